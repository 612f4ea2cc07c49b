//! Writing the offline model's text for each task from templates, a seeded RNG and the
//! user's own names and nouns.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::plainer::{clearer, shorter};
use super::text::{capitalise, sentences, word_count, Topic};
use super::words::*;
use crate::types::{GenerationRequest, Message, RewriteStyle, Role, Task};

/// How many words each open-ended task writes when no length is asked for and `max_tokens`
/// allows.
const WRITE_WORDS: usize = 180;
const CONTINUE_WORDS: usize = 140;
const CHAPTER_WORDS: usize = 320;
const BRAINSTORM_IDEAS: usize = 8;

/// Writes the whole text for `request`: open-ended tasks aim at the requested length (or
/// their own), within about `word_budget` words (the caller cuts to the budget exactly).
pub(super) fn compose(request: &GenerationRequest, word_budget: usize) -> String {
    let about = subject_text(request);
    let mut composer = Composer::new(request.seed, Topic::of(&about));
    let aim = |own: usize| {
        let asked = request.target_words.and_then(|w| usize::try_from(w).ok());
        asked.unwrap_or(own).min(word_budget)
    };
    match &request.task {
        Task::Write => composer.prose(WRITE_OPENERS, aim(WRITE_WORDS)),
        Task::Continue => composer.continuation(&request.input, aim(CONTINUE_WORDS)),
        Task::Rewrite { style } => composer.rewrite(&request.input, style),
        Task::Describe => composer.describe(),
        Task::Brainstorm => composer.brainstorm(),
        Task::Outline { chapters } => composer.outline(*chapters, word_budget),
        Task::Chapter { title, .. } => composer.chapter(title, aim(CHAPTER_WORDS)),
        Task::Chat => composer.chat(last_user_message(request).unwrap_or(&request.input)),
    }
}

/// The text the output should be about: the input and the latest user message.
fn subject_text(request: &GenerationRequest) -> String {
    let mut text = request.input.clone();
    if let Some(message) = last_user_message(request) {
        if !request.input.contains(message) {
            text.push('\n');
            text.push_str(message);
        }
    }
    text
}

fn last_user_message(request: &GenerationRequest) -> Option<&str> {
    request
        .messages
        .iter()
        .rev()
        .find(|message: &&Message| message.role == Role::User)
        .map(|message| message.content.as_str())
}

struct Composer {
    rng: ChaCha8Rng,
    name: String,
    /// Whether `name` came from the user's text rather than the built-in list.
    name_given: bool,
    nouns: Vec<String>,
    last_noun: String,
}

impl Composer {
    fn new(seed: u64, topic: Topic) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let name_given = !topic.names.is_empty();
        let name = match topic.names.into_iter().next() {
            Some(name) => name,
            None => pick(&mut rng, NAMES).to_owned(),
        };
        let nouns = if topic.nouns.is_empty() {
            let mut fallback: Vec<String> = NOUNS.iter().map(|noun| noun.to_string()).collect();
            fallback.shuffle(&mut rng);
            fallback.truncate(3);
            fallback
        } else {
            topic.nouns
        };
        Self {
            rng,
            name,
            name_given,
            nouns,
            last_noun: String::new(),
        }
    }

    fn focus(&self) -> String {
        self.nouns.first().cloned().unwrap_or_default()
    }

    /// Fills one template into a sentence.
    fn fill(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut pieces = template.split('{');
        out.push_str(pieces.next().unwrap_or_default());
        for piece in pieces {
            match piece.split_once('}') {
                Some((key, rest)) => {
                    let word = self.word(&key.to_lowercase());
                    let capital = key.chars().next().is_some_and(char::is_uppercase);
                    out.push_str(&if capital { capitalise(&word) } else { word });
                    out.push_str(rest);
                }
                None => {
                    out.push('{');
                    out.push_str(piece);
                }
            }
        }
        capitalise(&fix_articles(&out))
    }

    fn word(&mut self, key: &str) -> String {
        let list = match key {
            "name" => return self.name.clone(),
            "who" if self.name_given => return self.name.clone(),
            "who" => return "your main character".to_owned(),
            "focus" => return self.focus(),
            "noun" => return self.noun(false),
            "other" => return self.noun(true),
            "adj" => ADJ,
            "sight" => SIGHT,
            "sound" => SOUND,
            "smell" => SMELL,
            "touch" => TOUCH,
            "taste" => TASTE,
            "time" => TIME,
            "feeling" => FEELING,
            "hook" => HOOK,
            unknown => return format!("{{{unknown}}}"),
        };
        pick(&mut self.rng, list).to_owned()
    }

    /// A topic noun; `different` avoids the one just used, borrowing a built-in noun when
    /// the user's text has only one.
    fn noun(&mut self, different: bool) -> String {
        if different && self.nouns.len() < 2 {
            let last = self.last_noun.clone();
            let spare: Vec<&str> = NOUNS.iter().copied().filter(|n| *n != last).collect();
            return pick(&mut self.rng, &spare).to_owned();
        }
        let choices: Vec<&String> = self
            .nouns
            .iter()
            .filter(|noun| !different || **noun != self.last_noun)
            .collect();
        let noun = choices
            .get(self.rng.gen_range(0..choices.len().max(1)))
            .map(|noun| noun.to_string())
            .unwrap_or_default();
        self.last_noun.clone_from(&noun);
        noun
    }

    /// Sentences from `templates` in a shuffled order, cycling when they run out.
    fn sentences_from(&mut self, templates: &[&str], count: usize) -> Vec<String> {
        let mut order: Vec<&str> = Vec::new();
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            if order.is_empty() {
                order = templates.to_vec();
                order.shuffle(&mut self.rng);
            }
            if let Some(template) = order.pop() {
                out.push(self.fill(template));
            } else {
                break;
            }
        }
        out
    }

    /// Paragraphs of 3–5 sentences: an opener, body sentences until about `target` words,
    /// then a closer.
    fn prose(&mut self, openers: &[&str], target: usize) -> String {
        let opener = self.sentences_from(openers, 1);
        self.prose_after(opener, target)
    }

    /// The lead, body sentences, then a closer: about `target` words and never more (Penora
    /// cuts what passes the chosen length, and a cut would end mid-sentence), unless the
    /// lead and closer alone are longer.
    fn prose_after(&mut self, lead: Vec<String>, target: usize) -> String {
        let lead_len = lead.len();
        let mut sentences = lead;
        let mut words: usize = sentences.iter().map(|s| word_count(s)).sum();
        let mut bag: Vec<&str> = Vec::new();
        while words < target {
            if bag.is_empty() {
                bag = BODY.to_vec();
                bag.shuffle(&mut self.rng);
            }
            let Some(template) = bag.pop() else { break };
            let sentence = self.fill(template);
            words += word_count(&sentence);
            sentences.push(sentence);
        }
        let closer = self.sentences_from(CLOSERS, 1);
        words += closer.iter().map(|s| word_count(s)).sum::<usize>();
        while words > target && sentences.len() > lead_len {
            if let Some(dropped) = sentences.pop() {
                words -= word_count(&dropped);
            }
        }
        sentences.extend(closer);
        self.paragraphs(sentences)
    }

    fn paragraphs(&mut self, sentences: Vec<String>) -> String {
        let mut paragraphs = Vec::new();
        let mut rest = sentences.as_slice();
        while !rest.is_empty() {
            let size = self.rng.gen_range(3..=5).min(rest.len());
            let (paragraph, tail) = rest.split_at(size);
            paragraphs.push(paragraph.join(" "));
            rest = tail;
        }
        paragraphs.join("\n\n")
    }

    fn continuation(&mut self, input: &str, budget: usize) -> String {
        // Pick up the thread of the last sentence: its nouns come first.
        if let Some(last) = sentences(input).last() {
            let recent = Topic::of(last);
            for noun in recent.nouns.into_iter().rev() {
                self.nouns.retain(|known| *known != noun);
                self.nouns.insert(0, noun);
            }
        }
        let opener = self.sentences_from(CONTINUE_OPENERS, 1);
        self.prose_after(opener, budget)
    }

    fn chapter(&mut self, title: &str, budget: usize) -> String {
        // The title leads the topic: "The Drowned Bell" gives "the Drowned Bell".
        let subject = title_subject(title);
        if !subject.is_empty() {
            self.nouns.retain(|noun| *noun != subject);
            self.nouns.insert(0, subject);
        }
        let mut lead = self.sentences_from(CHAPTER_OPENERS, 1);
        lead.push(format!(
            "Later, {} would think of that day simply as “{}”.",
            self.name,
            title.trim()
        ));
        self.prose_after(lead, budget)
    }

    fn describe(&mut self) -> String {
        let senses = [
            DESCRIBE_SIGHT,
            DESCRIBE_SOUND,
            DESCRIBE_SMELL,
            DESCRIBE_TOUCH,
            DESCRIBE_TASTE,
        ];
        let sentences: Vec<String> = senses
            .iter()
            .flat_map(|sense| self.sentences_from(sense, 1))
            .collect();
        sentences.join(" ")
    }

    fn brainstorm(&mut self) -> String {
        self.sentences_from(BRAINSTORM, BRAINSTORM_IDEAS)
            .iter()
            .enumerate()
            .map(|(index, idea)| format!("{}. {idea}", index + 1))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Exactly `chapters` lines, unless the budget runs out first (no point writing 10,000
    /// lines that will be cut).
    fn outline(&mut self, chapters: u32, budget: usize) -> String {
        let mut lines = Vec::new();
        let mut words = 0;
        let mut adjectives: Vec<&str> = Vec::new();
        // Middle chapters draw from a bag so neighbours do not repeat.
        let mut middles: Vec<&str> = Vec::new();
        for number in 1..=chapters {
            if words > budget {
                break;
            }
            let stage = match number {
                1 => OUTLINE_FIRST,
                n if n == chapters => OUTLINE_LAST,
                _ => {
                    if middles.is_empty() {
                        middles = OUTLINE_MIDDLE.to_vec();
                        middles.shuffle(&mut self.rng);
                    }
                    &[middles.pop().unwrap_or_default()][..]
                }
            };
            if adjectives.is_empty() {
                adjectives = TITLE_ADJ.to_vec();
                adjectives.shuffle(&mut self.rng);
            }
            let adjective = adjectives.pop().unwrap_or_default();
            let noun = capitalise(&self.noun(true));
            let title = format!("The {adjective} {noun}");
            let summary = self.sentences_from(stage, 1).concat();
            let line = format!("Chapter {number}: {title} — {summary}");
            words += word_count(&line);
            lines.push(line);
        }
        lines.join("\n")
    }

    fn chat(&mut self, message: &str) -> String {
        let opening = if message.trim_end().ends_with('?') {
            CHAT_QUESTION
        } else {
            CHAT_STATEMENT
        };
        let mut reply = self.sentences_from(opening, 1);
        reply.extend(self.sentences_from(CHAT_FOLLOW_UP, 1));
        reply.push(CHAT_NOTE.to_owned());
        reply.join(" ")
    }

    fn rewrite(&mut self, input: &str, style: &RewriteStyle) -> String {
        match style {
            RewriteStyle::Shorter => shorter(input),
            RewriteStyle::Longer => self.longer(input),
            RewriteStyle::Clearer => clearer(input),
            RewriteStyle::MoreVivid => self.vivid(input),
            RewriteStyle::Custom(instruction) => format!(
                "(Offline demo: rewritten with “{}” in mind.)\n\n{}",
                instruction.trim(),
                clearer(input)
            ),
        }
    }

    /// Each sentence followed by a detail sentence.
    fn longer(&mut self, input: &str) -> String {
        let mut out = Vec::new();
        for sentence in sentences(input) {
            out.push(sentence.to_owned());
            out.extend(self.sentences_from(DETAIL, 1));
        }
        out.join(" ")
    }

    /// A sensory adjective after every other article, and a smell-and-sound sentence at the
    /// end of each paragraph.
    fn vivid(&mut self, input: &str) -> String {
        let mut paragraphs = Vec::new();
        for paragraph in input.split("\n\n").filter(|p| !p.trim().is_empty()) {
            let mut words = Vec::new();
            let mut articles = 0;
            for word in paragraph.split_whitespace() {
                words.push(word.to_owned());
                if matches!(word.to_lowercase().as_str(), "the" | "a" | "an") {
                    articles += 1;
                    if articles % 2 == 1 {
                        words.push(pick(&mut self.rng, SIGHT).to_owned());
                    }
                }
            }
            let mut text = fix_articles(&words.join(" "));
            text.push(' ');
            text.push_str(
                &self.fill("The air smelled of {smell}, and {sound} filled every pause."),
            );
            paragraphs.push(text);
        }
        paragraphs.join("\n\n")
    }
}

/// A title as a noun phrase: without its leading article, which the templates supply.
fn title_subject(title: &str) -> String {
    let title = title.trim();
    match title.split_once(' ') {
        Some((article, rest)) if matches!(article.to_lowercase().as_str(), "the" | "a" | "an") => {
            rest.trim().to_owned()
        }
        _ => title.to_owned(),
    }
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

/// "a amber" → "an amber", "an silver" → "a silver" (by first letter; good enough here).
fn fix_articles(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (index, word) in words.iter().enumerate() {
        let next_vowel = words
            .get(index + 1)
            .and_then(|next| next.chars().next())
            .map(|c| "aeiouAEIOU".contains(c));
        let fixed = match (*word, next_vowel) {
            ("a", Some(true)) => "an",
            ("A", Some(true)) => "An",
            ("an", Some(false)) => "a",
            ("An", Some(false)) => "A",
            (other, _) => other,
        };
        out.push(fixed.to_owned());
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_agree_with_the_next_word() {
        assert_eq!(
            fix_articles("a amber light and an silver coin"),
            "an amber light and a silver coin"
        );
    }
}
