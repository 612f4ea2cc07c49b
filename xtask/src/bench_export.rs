//! `cargo xtask bench export`: time and peak memory to export a 100,000-word, 40-chapter
//! manuscript to PDF, DOCX and EPUB. Each format runs in a fresh release process
//! (`penora-export`'s `export_bench` example) so its peak memory is its own.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

use crate::shell;

const FORMATS: [&str; 3] = ["pdf", "docx", "epub"];

pub fn run(root: &Path) -> anyhow::Result<()> {
    shell::run(shell::cargo().args([
        "build",
        "--release",
        "-p",
        "penora-export",
        "--example",
        "export_bench",
    ]))?;
    let binary = shell::target_dir(root).join("release/examples/export_bench");
    println!(
        "\nexport of a 100,000-word, 40-chapter manuscript (median of 5 runs after a warm-up)"
    );
    println!(
        "{:<6} {:>8} {:>9} {:>10} {:>10} {:>10} {:>13} {:>9}",
        "format", "words", "chapters", "bytes", "median ms", "best ms", "first run ms", "peak MB"
    );
    for format in FORMATS {
        let out = shell::output(Command::new(&binary).arg(format))
            .with_context(|| format!("export bench for {format}"))?;
        let line = String::from_utf8_lossy(&out);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, words, chapters, bytes, median, best, first, _before, peak] = fields[..] else {
            bail!("unexpected bench output: {line}");
        };
        println!(
            "{name:<6} {words:>8} {chapters:>9} {bytes:>10} {median:>10} {best:>10} {first:>13} {peak:>9}"
        );
    }
    println!("(peak MB is the whole process's resident peak, the manuscript itself included)");
    Ok(())
}
