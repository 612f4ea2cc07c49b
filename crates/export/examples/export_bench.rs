//! `cargo xtask bench export` runs this once per format, each in a fresh process so the peak
//! memory it reports belongs to that format alone: it renders a 100,000-word, 40-chapter
//! manuscript (mostly English, with accented Latin, Cyrillic and Devanagari paragraphs) and
//! prints one line: `format words chapters bytes median_ms best_ms rss_before_mb peak_mb`.

use std::time::Instant;

use penora_export::{render, Chapter, Document, Format};

const WORDS: usize = 100_000;
const CHAPTERS: usize = 40;
const PARAGRAPH_WORDS: usize = 100;
const RUNS: usize = 5;

const ENGLISH: &str = "the river ran silver under the old bridge and nobody in the village spoke of what they had seen that night when the lanterns went out one by one";
const ACCENTED: &str = "café déjà vu naïve façade jalapeño smörgåsbord crème brûlée señor";
const CYRILLIC: &str = "привет как дела мы шли по дороге и говорили о море и о звёздах";
const DEVANAGARI: &str = "यह एक परीक्षण वाक्य है और हम सब यहाँ क्षत्रिय विद्या की बात करते हैं";

fn manuscript() -> Document {
    let words_per_chapter = WORDS / CHAPTERS;
    let chapters = (0..CHAPTERS)
        .map(|c| {
            let mut paragraphs = Vec::new();
            for p in 0..words_per_chapter / PARAGRAPH_WORDS {
                let source = match p % 10 {
                    7 => ACCENTED,
                    8 => CYRILLIC,
                    9 => DEVANAGARI,
                    _ => ENGLISH,
                };
                let words: Vec<&str> = source
                    .split(' ')
                    .cycle()
                    .skip(c + p)
                    .take(PARAGRAPH_WORDS)
                    .collect();
                paragraphs.push(words.join(" "));
            }
            Chapter {
                title: format!("Chapter {}: The Lanterns", c + 1),
                text: paragraphs.join("\n\n"),
            }
        })
        .collect();
    Document {
        title: "The Long Night".into(),
        author: Some("Penora Bench".into()),
        chapters,
    }
}

/// Resident set now and at its peak, in MB, from /proc (Linux).
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let format: Format = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "pdf".into())
        .parse()?;
    let doc = manuscript();
    let words: usize = doc
        .chapters
        .iter()
        .map(|c| c.text.split_whitespace().count())
        .sum();
    let (before, _) = memory_mb();
    let mut times = Vec::new();
    let mut bytes = 0;
    // The first run also pays for parsing the fonts once per process, as a server does once.
    for _ in 0..=RUNS {
        let start = Instant::now();
        bytes = render(&doc, format)?.len();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let first = times.remove(0);
    times.sort_by(f64::total_cmp);
    let (_, peak) = memory_mb();
    println!(
        "{format} {words} {} {bytes} {:.1} {:.1} {first:.1} {before:.1} {peak:.1}",
        doc.chapters.len(),
        times[times.len() / 2],
        times[0],
    );
    Ok(())
}
