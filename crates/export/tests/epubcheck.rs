//! Exported EPUBs checked by epubcheck, the W3C's EPUB validator (Debian package `epubcheck`,
//! installed by `cargo xtask test`): no fatal errors, no errors, no warnings.
//!
//! Without epubcheck the test is skipped, except under CI (`CI=true`), where that fails it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use penora_export::{render, Chapter, Document, Format};

fn chapter(title: &str, text: &str) -> Chapter {
    Chapter {
        title: title.into(),
        text: text.into(),
    }
}

fn samples() -> Vec<(&'static str, Document)> {
    vec![
        (
            "two-chapters",
            Document {
                title: "The Long Night".into(),
                author: Some("Ada Lovelace".into()),
                chapters: vec![
                    chapter("Arrival", "It began.\n\nIt went on.\nA line break."),
                    chapter("Departure", "It ended."),
                ],
            },
        ),
        (
            "awkward",
            Document {
                title: format!("Tom & Jerry <2> \"quoted\" 'single' {}", "long ".repeat(60)),
                author: Some("Ада <Lovelace> & Co".into()),
                chapters: vec![
                    chapter(
                        "Первая глава & <b>not bold</b>",
                        "A < B & C > D \"q\" 'a'\n\nयह एक परीक्षण वाक्य है। क्षत्रिय\n\n\
                         Ελληνικά, café déjà vu, 日本語, العربية, emoji 🎉\u{1}\u{FFFF}\n\n\
                         ]]> <!-- not a comment --> &amp; &#x26;",
                    ),
                    chapter("", ""),
                    chapter("Empty", "   \n\n \t "),
                ],
            },
        ),
        (
            "plain-untitled",
            Document {
                title: "   ".into(),
                author: None,
                chapters: vec![chapter("", "Just one paragraph.")],
            },
        ),
    ]
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The command that runs epubcheck, if it is installed. Debian installs `epubcheck` as a link
/// to its jar, which only runs directly where the kernel knows jars (binfmt_misc); it is run
/// with `java -jar` instead.
fn epubcheck() -> Option<Command> {
    let path = std::env::var_os("PATH")?;
    let program: PathBuf = std::env::split_paths(&path)
        .map(|dir| dir.join("epubcheck"))
        .find(|p| p.is_file())?;
    let target = std::fs::canonicalize(&program).unwrap_or(program);
    if target.extension().is_some_and(|e| e == "jar") {
        let mut java = Command::new("java");
        java.arg("-jar").arg(target);
        Some(java)
    } else {
        Some(Command::new(target))
    }
}

#[test]
fn exported_epubs_pass_epubcheck_without_errors_or_warnings() {
    if epubcheck().is_none() {
        assert!(
            !in_ci(),
            "epubcheck is not installed; `cargo xtask test` installs Debian's `epubcheck`"
        );
        eprintln!("skipped: epubcheck is not installed (apt-get install epubcheck)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("penora-epubcheck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One JVM per file, started together: each takes seconds to start.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let checks: Vec<_> = samples()
            .into_iter()
            .map(|(name, doc)| {
                let path = dir.join(format!("{name}.epub"));
                scope.spawn(move || check(name, &doc, &path))
            })
            .collect();
        checks
            .into_iter()
            .filter_map(|c| c.join().unwrap())
            .collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// epubcheck's report on `doc` as an EPUB written to `path`, if it has any problem.
fn check(name: &str, doc: &Document, path: &Path) -> Option<String> {
    std::fs::write(path, render(doc, Format::Epub).unwrap()).unwrap();
    let out = epubcheck()
        .unwrap()
        .arg(path)
        .output()
        .expect("epubcheck runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let problem = report
        .lines()
        .any(|l| l.starts_with("FATAL") || l.starts_with("ERROR") || l.starts_with("WARNING"));
    (!out.status.success() || problem).then(|| format!("{name}: {}\n{report}", out.status))
}
