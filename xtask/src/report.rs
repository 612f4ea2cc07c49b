//! What browsers download, as served (brotli): each file of the built app, the home page's
//! share (the entry page, what it names, and the modules those import, but not the chunks
//! of lazy routes) and the whole app, against the targets.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::assets::{self, INDEX};

/// What a first visit to the home page may download, brotli-compressed.
const HOME_TARGET: u64 = 200_000;
/// Every file of the app, brotli-compressed.
const APP_TARGET: u64 = 350_000;

/// Prints the table for the app built in `dist`.
pub fn print(dist: &Path) -> anyhow::Result<()> {
    let home_files = home_files(dist)?;
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
        if home_files.contains(&name) {
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

/// The files a first visit to the home page downloads: the entry page, the files it names,
/// and the JavaScript modules those import statically (the split build's link module),
/// over and over until nothing new is named.
fn home_files(dist: &Path) -> anyhow::Result<BTreeSet<String>> {
    let names: Vec<String> = assets::served_files(dist)?
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect();
    let index = fs::read_to_string(dist.join(INDEX))?;
    let mut home: BTreeSet<String> = names
        .iter()
        .filter(|n| *n == INDEX || index.contains(&format!("/{n}\"")))
        .cloned()
        .collect();
    let mut scanned = BTreeSet::new();
    while let Some(js) = home
        .iter()
        .find(|n| n.ends_with(".js") && !scanned.contains(*n))
        .cloned()
    {
        let text = fs::read_to_string(dist.join(&js))?;
        for name in &names {
            if text.contains(&format!("from \"./{name}\""))
                || text.contains(&format!("from './{name}'"))
            {
                home.insert(name.clone());
            }
        }
        scanned.insert(js);
    }
    Ok(home)
}

fn kb(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}
