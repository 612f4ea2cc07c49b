//! The offline model's vocabulary: small word lists and sentence templates. Placeholders in
//! braces are filled by the composer: `{name}` the main character, `{noun}` a topic noun,
//! `{focus}` the main topic noun, `{other}` a different topic noun, `{who}` the main
//! character or "your main character" when the user named nobody, and one word or phrase from each list below under its own name. A capitalised
//! placeholder (`{Name}`) capitalises what it is replaced with.

/// Used when the user's text names nobody.
pub(super) const NAMES: &[&str] = &[
    "Asha", "Mira", "Tomas", "Leena", "Kofi", "Ines", "Ravi", "Elena",
];

/// Used when the user's text gives no nouns to work with.
pub(super) const NOUNS: &[&str] = &[
    "lantern",
    "river",
    "harbour",
    "letter",
    "garden",
    "storm",
    "bridge",
    "window",
    "train",
    "market",
    "lighthouse",
    "orchard",
];

pub(super) const ADJ: &[&str] = &[
    "quiet",
    "old",
    "bright",
    "narrow",
    "restless",
    "patient",
    "distant",
    "familiar",
    "unexpected",
    "careful",
    "stubborn",
    "half-forgotten",
];

pub(super) const SIGHT: &[&str] = &[
    "amber",
    "silver",
    "dusky",
    "sunlit",
    "pale",
    "glittering",
    "shadowed",
    "rust-red",
    "blue-grey",
    "gold-edged",
    "moonlit",
    "faded",
];

pub(super) const SOUND: &[&str] = &[
    "the hum of distant traffic",
    "a kettle beginning to sing",
    "gulls arguing overhead",
    "rain ticking on the roof",
    "the creak of old floorboards",
    "a radio murmuring in another room",
    "footsteps on wet stone",
    "wind worrying at the shutters",
];

pub(super) const SMELL: &[&str] = &[
    "woodsmoke",
    "cut grass",
    "salt and diesel",
    "fresh bread",
    "wet earth",
    "cardamom and burnt sugar",
    "old paper",
    "rain on hot dust",
];

pub(super) const TOUCH: &[&str] = &[
    "cool and slightly damp",
    "rough as sandpaper",
    "smooth and warm from the sun",
    "gritty with sand",
    "soft as worn cotton",
    "cold enough to sting",
];

pub(super) const TASTE: &[&str] = &[
    "salt",
    "iron",
    "sweet tea",
    "smoke",
    "bitter oranges",
    "mint",
    "river water",
];

pub(super) const TIME: &[&str] = &[
    "that evening",
    "before dawn",
    "by midday",
    "long after midnight",
    "as the light failed",
    "the next morning",
];

pub(super) const FEELING: &[&str] = &[
    "relief",
    "unease",
    "a small, stubborn hope",
    "curiosity",
    "quiet pride",
    "homesickness",
];

/// Story hooks for brainstorming: "a {noun} that {hook}".
pub(super) const HOOK: &[&str] = &[
    "only appears at night",
    "remembers everyone who has touched it",
    "is slowly changing the town around it",
    "two rivals both claim",
    "hides a letter nobody was meant to read",
    "could end a long family feud",
    "is the last of its kind",
    "keeps coming back no matter how far it is carried",
];

pub(super) const WRITE_OPENERS: &[&str] = &[
    "The {focus} had always been {adj}, but {time} it seemed to be waiting for something.",
    "Nobody talked about the {focus} anymore, though everyone still walked the long way around it.",
    "{Name} first noticed the {focus} {time}, when the light turned {sight}.",
    "There is a particular kind of silence that settles around a {focus}, and {name} knew it well.",
];

pub(super) const BODY: &[&str] = &[
    "{Name} stepped closer to the {noun} and listened to {sound}.",
    "The air smelled of {smell}, and beyond the {other} {sound} rose and fell.",
    "It was not the {noun} that mattered, {name} thought, but what it promised.",
    "For a long moment nothing moved except the {sight} light on the {noun}.",
    "{Name} felt {feeling} rise, sudden and hard to name.",
    "Every choice since morning had led here, to the {noun} and the {other}.",
    "Under {name}'s hand, the {other} felt {touch}.",
    "Later, {name} would say that this was the moment everything changed.",
    "Even the {other} seemed to lean in, as if the whole place had a stake in what came next.",
    "Somewhere a door closed, and the {noun} looked suddenly {adj}.",
    "{Name} counted slowly to ten, the way a grandmother had once taught, and waited.",
    "The {sight} evening pressed against the windows like a question.",
    "Nobody had warned {name} about the {noun}, and now it was too late to pretend otherwise.",
    "A memory surfaced, {adj} and unwelcome: the {other}, years ago, and a promise not kept.",
    "{Name} said nothing, but the silence said plenty.",
    "The smell of {smell} drifted in, and with it the sense that time was short.",
    "Far off, {sound}; closer, only {name}'s own breathing.",
    "There would be time for explanations later; {time}, there was only the {noun}.",
];

pub(super) const CLOSERS: &[&str] = &[
    "By the time the light was gone, {name} had made up their mind.",
    "And the {focus}, patient as ever, kept its secret a little longer.",
    "{Name} turned away from the {focus}, carrying {feeling} home like a stone in a pocket.",
];

/// First sentences of a continuation; they pick up the main character at once.
pub(super) const CONTINUE_OPENERS: &[&str] = &[
    "{Name} did not answer at once.",
    "{Name} took a slow breath and looked at the {focus} again.",
    "For a while {name} simply stood there, letting the moment settle.",
    "{Name} glanced toward the {focus}, half expecting it to have changed.",
];

pub(super) const CHAPTER_OPENERS: &[&str] = &[
    "{Name} had not expected the day to begin with the {focus}.",
    "The {focus} was the first thing {name} saw {time}, and the last thing anyone wanted to discuss.",
    "It started, as these things often do, with something small: a {focus} left where it should not be.",
];

/// Sentences a longer rewrite adds after each original sentence.
pub(super) const DETAIL: &[&str] = &[
    "Up close, the {noun} felt {touch}, and the air carried {smell}.",
    "Somewhere nearby came {sound}.",
    "It was {time}, and the light had turned {sight}.",
    "For a moment the {noun} seemed {adj}, almost alive.",
];

pub(super) const DESCRIBE_SIGHT: &[&str] = &[
    "At first glance the {focus} is all {sight} edges and {sight} shadow.",
    "Light falls across the {focus} in {sight} bands.",
];

pub(super) const DESCRIBE_SOUND: &[&str] = &[
    "Listen closely and you hear {sound}.",
    "Around the {focus}, {sound} comes and goes.",
];

pub(super) const DESCRIBE_SMELL: &[&str] = &[
    "The air carries {smell}, faint but unmistakable.",
    "Up close, the {focus} smells of {smell}.",
];

pub(super) const DESCRIBE_TOUCH: &[&str] = &[
    "Under your palm, everything here is {touch}.",
    "Reach out and the surface is {touch}.",
];

pub(super) const DESCRIBE_TASTE: &[&str] = &[
    "There is a taste of {taste} on the air, as if the {focus} had breathed it out.",
    "You can almost taste {taste} at the back of your throat.",
];

pub(super) const BRAINSTORM: &[&str] = &[
    "A {adj} {noun} that {hook}.",
    "{Name} inherits a {noun} and discovers it {hook}.",
    "Tell the story from the point of view of the {noun}.",
    "What if the {noun} were a person? Give it a voice, a grudge and one secret.",
    "{Name} and a stranger are stranded with nothing but a {noun}; by morning one of them has lied.",
    "Open on the last day the {noun} exists, then tell the story backwards.",
    "A {noun} goes missing, and everyone in town has a reason to have taken it.",
    "Two letters about the {noun}, written fifty years apart, that contradict each other.",
    "{Name} must choose between the {noun} and the {other}, and the wrong choice looks right.",
    "A comedy of errors set entirely around a {adj} {noun}.",
];

pub(super) const TITLE_ADJ: &[&str] = &[
    "Silent", "Broken", "Hidden", "Last", "Burning", "Long", "Borrowed", "Quiet", "Open", "Lost",
];

pub(super) const OUTLINE_FIRST: &[&str] = &[
    "{Name} meets the {focus} for the first time and cannot stop thinking about it.",
    "An ordinary day ends with {name} holding the {focus} and no explanation.",
];

pub(super) const OUTLINE_MIDDLE: &[&str] = &[
    "A secret about the {noun} surfaces, and {name} has to decide who to trust.",
    "{Name} follows the {noun} far from home and pays for it.",
    "An old friend returns with news of the {other}, and nothing goes to plan.",
    "The {noun} is lost, and {name} learns what it was really worth.",
    "A quiet chapter: {name} and the {other}, {time}, and a truth finally spoken.",
    "Everything {name} believed about the {noun} turns out to be half true.",
];

pub(super) const OUTLINE_LAST: &[&str] = &[
    "Everything converges on the {focus}, and {name} makes the choice the whole story has been building to.",
    "{Name} returns to the {focus}, changed, and finally understands it.",
];

pub(super) const CHAT_QUESTION: &[&str] = &[
    "Good question. If I were shaping the {focus}, I would start with what {who} wants and what stands in the way.",
    "One way to approach the {focus} is to show it through a single vivid moment rather than explain it.",
    "Try asking what the {focus} costs your characters; the answer usually points to the next scene.",
];

pub(super) const CHAT_STATEMENT: &[&str] = &[
    "That sounds promising; the {focus} could carry a lot of weight in the story.",
    "I like where this is going. What does the {focus} mean to {who}?",
    "Noted. A next step could be a short scene built around the {focus}.",
];

pub(super) const CHAT_FOLLOW_UP: &[&str] = &[
    "You could add a sensory detail, such as {sound} or the smell of {smell}, to ground it.",
    "Keep the {other} in view as well; contrast makes both sharper.",
    "A small, specific image will do more work here than a paragraph of explanation.",
];

/// Always last in a chat reply, so nobody mistakes the demo for advice.
pub(super) const CHAT_NOTE: &str =
    "(This reply comes from the offline demo model, so treat it as a sketch.)";

/// Wordy phrases a clearer rewrite replaces, as lowercase word sequences.
pub(super) const WORDY: &[(&[&str], &str)] = &[
    (&["in", "order", "to"], "to"),
    (&["due", "to", "the", "fact", "that"], "because"),
    (&["at", "this", "point", "in", "time"], "now"),
    (&["in", "spite", "of", "the", "fact", "that"], "although"),
    (&["a", "large", "number", "of"], "many"),
    (&["utilize"], "use"),
    (&["utilise"], "use"),
    (&["commence"], "begin"),
    (&["prior", "to"], "before"),
];

/// Words that add little; clearer and shorter rewrites drop them.
pub(super) const FILLERS: &[&str] = &[
    "very",
    "really",
    "quite",
    "just",
    "actually",
    "basically",
    "literally",
    "somewhat",
    "rather",
];

/// Words that are never a topic: function words and the words of instructions.
pub(super) const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "then",
    "so",
    "as",
    "at",
    "by",
    "for",
    "from",
    "in",
    "into",
    "of",
    "off",
    "on",
    "onto",
    "out",
    "over",
    "to",
    "up",
    "with",
    "without",
    "about",
    "after",
    "before",
    "under",
    "again",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "than",
    "too",
    "very",
    "can",
    "will",
    "just",
    "should",
    "now",
    "i",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "he",
    "him",
    "his",
    "she",
    "her",
    "it",
    "its",
    "they",
    "them",
    "their",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "do",
    "does",
    "did",
    "would",
    "could",
    "there",
    "here",
    "when",
    "where",
    "why",
    "how",
    "while",
    "because",
    "until",
    "also",
    "yet",
    "still",
    "even",
    "once",
    "never",
    "always",
    "every",
    "one",
    "two",
    "three",
    "first",
    "last",
    "like",
    "said",
    "says",
    "say",
    "went",
    "came",
    "got",
    "get",
    "let",
    "made",
    "make",
    "may",
    "might",
    "must",
    "shall",
    "upon",
    "down",
    "through",
    "across",
    "behind",
    "beyond",
    "toward",
    "towards",
    "suddenly",
    "perhaps",
    "maybe",
    "please",
    "write",
    "story",
    "describe",
    "brainstorm",
    "idea",
    "ideas",
    "outline",
    "chapter",
    "chapters",
    "continue",
    "rewrite",
    "paragraph",
    "paragraphs",
    "words",
    "word",
    "something",
    "tell",
    "short",
    "long",
    "give",
    "want",
    "need",
    "less",
    "scene",
    "text",
    "poem",
    "piece",
    "yes",
    "okay",
    "hello",
    "thanks",
    "thank",
    "anything",
    "nothing",
    "things",
    "thing",
    "way",
    "lot",
    "much",
    "many",
    "well",
    "back",
    "away",
    "around",
    "took",
    "saw",
    "felt",
    "knew",
    "thought",
    "told",
    "into",
    "ago",
    "did",
    "don't",
    "can't",
    "won't",
    "it's",
    "i'm",
    "let's",
    "help",
    "using",
    "use",
    "new",
];
