//! `cargo xtask supply-chain`: what the build pulls in is what we accepted.
//!
//! - `cargo deny check licenses bans sources` against `deny.toml` (no advisory database is
//!   fetched; crates.io is read only for the manifests of crates this machine has not built),
//!   with cargo-deny installed at a pinned version when missing;
//! - the vendored crates under `vendor/` match their committed manifests of file hashes, so
//!   nothing creeps in unnoticed, and each one's `vendor/<crate>.patch` (its change against
//!   the published release) still describes it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::shell;

/// The cargo-deny release the checks are written for; installed when missing.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Vendored crates, each with `vendor/<name>.sha256` (its manifest) and
/// `vendor/<name>.patch` (its change against the published release).
const VENDORED: &[&str] = &["sqlx-core"];

#[derive(clap::Args, Default)]
pub struct SupplyChainArgs {
    /// Rewrite the vendor manifests from the files on disk (after a deliberate change to a
    /// vendored crate; update its `.patch` too).
    #[arg(long)]
    write_manifests: bool,
}

pub fn run(root: &Path, args: SupplyChainArgs) -> anyhow::Result<()> {
    if args.write_manifests {
        for name in VENDORED {
            let path = manifest_path(root, name);
            std::fs::write(&path, render(&hashes(&root.join("vendor").join(name))?))?;
            eprintln!("xtask> wrote {}", path.display());
        }
        return Ok(());
    }
    check_vendored(root)?;
    check_deny()
}

/// Every vendored crate's files hash to what its manifest says: no file changed, added or
/// removed.
pub fn check_vendored(root: &Path) -> anyhow::Result<()> {
    for name in VENDORED {
        let manifest_file = manifest_path(root, name);
        let committed = std::fs::read_to_string(&manifest_file)
            .with_context(|| format!("reading {}", manifest_file.display()))?;
        let expected = parse(&committed)?;
        let actual = hashes(&root.join("vendor").join(name))?;
        let problems = compare(&expected, &actual);
        if !problems.is_empty() {
            bail!(
                "vendor/{name} differs from vendor/{name}.sha256:\n  {}\n\
                 A vendored crate changes only on purpose: update vendor/{name}.patch, then \
                 `cargo xtask supply-chain --write-manifests`.",
                problems.join("\n  ")
            );
        }
        // The patch must describe the change that is there: it reverses cleanly.
        shell::output(std::process::Command::new("git").current_dir(root).args([
            "apply",
            "--check",
            "--reverse",
            &format!("--directory=vendor/{name}"),
            &format!("vendor/{name}.patch"),
        ]))
        .with_context(|| format!("vendor/{name}.patch does not describe vendor/{name}"))?;
        eprintln!(
            "xtask> vendor/{name}: {} files match the manifest and the patch",
            actual.len()
        );
    }
    Ok(())
}

fn check_deny() -> anyhow::Result<()> {
    ensure_cargo_deny()?;
    shell::run(shell::cargo().args(["deny", "--locked", "check", "licenses", "bans", "sources"]))
}

fn ensure_cargo_deny() -> anyhow::Result<()> {
    let installed = shell::output(shell::cargo().args(["deny", "--version"]))
        .map(|out| String::from_utf8_lossy(&out).contains(CARGO_DENY_VERSION))
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    eprintln!("xtask> installing cargo-deny {CARGO_DENY_VERSION}");
    // Its release profile asks for fat LTO and one codegen unit: minutes more on a small
    // machine for a tool that runs for a second.
    shell::run(
        shell::cargo()
            .args([
                "install",
                "--locked",
                "cargo-deny",
                "--version",
                CARGO_DENY_VERSION,
            ])
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env_remove("CARGO_TARGET_DIR"),
    )
}

fn manifest_path(root: &Path, name: &str) -> PathBuf {
    root.join("vendor").join(format!("{name}.sha256"))
}

/// SHA-256 of every file under `dir`, by path relative to it (`/`-separated).
fn hashes(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in
            std::fs::read_dir(&current).with_context(|| format!("reading {}", current.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let bytes = std::fs::read(&path)?;
            let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
            let hex = digest.as_ref().iter().fold(String::new(), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            });
            out.insert(relative, hex);
        }
    }
    Ok(out)
}

/// The manifest in `sha256sum`'s format, so `sha256sum -c` can check it too.
fn render(hashes: &BTreeMap<String, String>) -> String {
    hashes
        .iter()
        .map(|(path, hash)| format!("{hash}  {path}\n"))
        .collect()
}

fn parse(manifest: &str) -> anyhow::Result<BTreeMap<String, String>> {
    manifest
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match line.split_once("  ") {
            Some((hash, path)) if hash.len() == 64 => Ok((path.to_owned(), hash.to_owned())),
            _ => bail!("malformed manifest line: {line:?}"),
        })
        .collect()
}

fn compare(expected: &BTreeMap<String, String>, actual: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, hash) in expected {
        match actual.get(path) {
            None => problems.push(format!("missing: {path}")),
            Some(found) if found != hash => problems.push(format!("changed: {path}")),
            Some(_) => {}
        }
    }
    problems.extend(
        actual
            .keys()
            .filter(|path| !expected.contains_key(*path))
            .map(|path| format!("not in the manifest: {path}")),
    );
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(path, hash)| ((*path).to_owned(), (*hash).to_owned()))
            .collect()
    }

    #[test]
    fn a_manifest_reads_back_what_it_renders() -> anyhow::Result<()> {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let hashes = map(&[("src/lib.rs", a.as_str()), ("Cargo.toml", b.as_str())]);
        assert_eq!(parse(&render(&hashes))?, hashes);
        Ok(())
    }

    #[test]
    fn changed_added_and_missing_files_are_all_reported() {
        let expected = map(&[("a", "1"), ("b", "2")]);
        let actual = map(&[("a", "9"), ("c", "3")]);
        assert_eq!(
            compare(&expected, &actual),
            ["changed: a", "missing: b", "not in the manifest: c"]
        );
        assert!(compare(&expected, &expected).is_empty());
    }

    #[test]
    fn the_committed_vendor_trees_match_their_manifests() -> anyhow::Result<()> {
        check_vendored(&shell::workspace_root())
    }
}
