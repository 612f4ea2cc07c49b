//! What browsers download, as served (brotli): each file of the built app, the home page's
//! share (the entry page and what it loads) and the whole app, against the targets.

use std::fs;
use std::path::Path;

use crate::assets::{self, INDEX};

/// What a first visit to the home page may download, brotli-compressed.
const HOME_TARGET: u64 = 200_000;
/// Every file of the app, brotli-compressed.
const APP_TARGET: u64 = 350_000;

/// Prints the table for the app built in `dist`.
pub fn print(dist: &Path) -> anyhow::Result<()> {
    let index = fs::read_to_string(dist.join(INDEX))?;
    let (mut home, mut app) = (0, 0);
    eprintln!(
        "xtask> {:<40} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip", "brotli"
    );
    for path in assets::served_files(dist)? {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let size = |suffix: &str| {
            fs::metadata(dist.join(format!("{name}{suffix}"))).map_or(0, |m| m.len())
        };
        let brotli = size(".br");
        eprintln!(
            "xtask> {name:<40} {:>10} {:>10} {brotli:>10}",
            size(""),
            size(".gz")
        );
        app += brotli;
        if name == INDEX || index.contains(&format!("/{name}\"")) {
            home += brotli;
        }
    }
    eprintln!(
        "xtask> home page downloads {} (target {}); the whole app is {} (target {})",
        kb(home),
        kb(HOME_TARGET),
        kb(app),
        kb(APP_TARGET)
    );
    Ok(())
}

fn kb(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}
