//! Builds the browser app: cargo for wasm32, then wasm-bindgen as a library (no tool
//! download), then the static files, into `frontend/dist`, with the CSP hashes of
//! `index.html`'s inline scripts beside it (the server allows exactly those).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use base64::Engine;

use crate::{assets, report, shell, split};

/// The wasm-bindgen version this xtask links; must equal the one in Cargo.lock, since the
/// generated JS glue and the wasm module must come from the same version.
const BINDGEN_VERSION: &str = "0.2.130";

pub fn dist_dir(root: &Path) -> PathBuf {
    root.join("frontend/dist")
}

/// Whether `frontend/dist` holds a complete build (older builds lack the script hashes or
/// the compressed copies the server now expects).
pub fn is_built(root: &Path) -> bool {
    let dist = dist_dir(root);
    dist.join(SCRIPT_HASHES_FILE).exists() && dist.join("index.html.br").exists()
}

pub fn build(root: &Path) -> anyhow::Result<()> {
    check_bindgen_version(root)?;
    ensure_wasm_target()?;
    shell::run(shell::cargo().args([
        "build",
        "-p",
        "penora-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let wasm =
        shell::target_dir(root).join("wasm32-unknown-unknown/wasm-release/penora_frontend.wasm");
    let dist = dist_dir(root);
    if dist.exists() {
        fs::remove_dir_all(&dist).context("clearing frontend/dist")?;
    }
    fs::create_dir_all(&dist)?;
    // Split first (it needs the linker's relocations, which wasm-bindgen drops), then give
    // the main module to wasm-bindgen; the chunks are final as the splitter writes them.
    let work = wasm.with_file_name("split");
    let (main, chunks) = split::split(&wasm, &dist, &work)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main)
        .out_name("penora")
        .typescript(false)
        // The chunks import the main module's exports under the linker's names.
        .keep_lld_exports(true)
        .demangle(false)
        // Function names for stack traces: 60 % of the module, and nobody reads them.
        .remove_name_section(true)
        .remove_producers_section(true)
        .web(true)?
        .generate(&dist)
        .context("wasm-bindgen")?;
    optimise(&dist.join("penora_bg.wasm"))?;
    for chunk in &chunks {
        optimise(chunk)?;
    }
    for entry in fs::read_dir(root.join("frontend/static"))? {
        let entry = entry?;
        fs::copy(entry.path(), dist.join(entry.file_name()))?;
    }
    assets::fingerprint(&dist)?;
    write_script_hashes(&dist)?;
    assets::precompress(&dist)?;
    eprintln!("xtask> browser app built in frontend/dist");
    report::print(&dist)?;
    Ok(())
}

/// The file the server reads the app page's script hashes from (penora-server's
/// `http::security::SCRIPT_HASHES_FILE`).
const SCRIPT_HASHES_FILE: &str = "csp-script-hashes.txt";

/// Writes the CSP source (`sha256-<base64>`) of every inline script in `index.html`, one a
/// line, so the policy follows the page whatever the build put in it.
fn write_script_hashes(dist: &Path) -> anyhow::Result<()> {
    let html = fs::read_to_string(dist.join("index.html")).context("reading index.html")?;
    let hashes: String = inline_scripts(&html)?
        .into_iter()
        .map(|script| format!("{}\n", script_hash(script)))
        .collect();
    fs::write(dist.join(SCRIPT_HASHES_FILE), hashes)?;
    Ok(())
}

/// The CSP hash source of a script's text, exactly as it stands between its tags.
fn script_hash(script: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!("sha256-{encoded}")
}

/// The text of each `<script>` element without a `src` in our own `index.html` (a page we
/// write, not arbitrary HTML: no comments or CDATA around scripts).
fn inline_scripts(html: &str) -> anyhow::Result<Vec<&str>> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after_name = &rest[start + "<script".len()..];
        let Some(tag_end) = after_name.find('>') else {
            bail!("index.html: a <script> tag is not closed");
        };
        let attributes = &after_name[..tag_end];
        let body = &after_name[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            bail!("index.html: a <script> has no </script>");
        };
        if !attributes.contains("src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close + "</script>".len()..];
    }
    Ok(scripts)
}

fn check_bindgen_version(root: &Path) -> anyhow::Result<()> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let locked = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"wasm-bindgen\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_owned());
    match locked {
        Some(v) if v == BINDGEN_VERSION => Ok(()),
        Some(v) => bail!(
            "Cargo.lock has wasm-bindgen {v} but xtask links wasm-bindgen-cli-support {BINDGEN_VERSION}; \
             set both to the same version (xtask/Cargo.toml, frontend/Cargo.toml, xtask/src/frontend.rs)"
        ),
        None => bail!("wasm-bindgen is not in Cargo.lock"),
    }
}

/// Installs the wasm32 target through rustup when it is missing.
pub fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = shell::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .map(|o| String::from_utf8_lossy(&o).contains("wasm32-unknown-unknown"))
        .unwrap_or(false);
    if !installed {
        shell::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// Runs Binaryen's `wasm-opt -Oz` over the module and keeps its output only when the
/// brotli copy browsers download comes out smaller (it does not always: `-Oz` can make the
/// module smaller but less compressible). Binaryen is optional: installed from Debian when
/// possible, skipped when not.
const WASM_FEATURES: &[&str] = &[
    "bulk-memory",
    "mutable-globals",
    "multivalue",
    "nontrapping-float-to-int",
    "reference-types",
    "sign-ext",
];

fn optimise(wasm: &Path) -> anyhow::Result<()> {
    if let Err(err) = shell::ensure_debian_package("wasm-opt", "binaryen", "to shrink the app") {
        eprintln!("xtask> skipping wasm-opt: {err:#}");
        return Ok(());
    }
    let optimised = wasm.with_extension("opt.wasm");
    let ran = Command::new("wasm-opt")
        // The features rustc's wasm32 target uses, not `--all-features`: with that, Binaryen
        // gives the chunks typed function references, which browsers refuse.
        .arg("-Oz")
        .args(WASM_FEATURES.iter().map(|f| format!("--enable-{f}")))
        .arg("-o")
        .arg(&optimised)
        .arg(wasm)
        .status()
        .is_ok_and(|s| s.success());
    if !ran {
        eprintln!("xtask> wasm-opt failed; keeping the module as built");
        let _ = fs::remove_file(&optimised);
        return Ok(());
    }
    let before = assets::brotli(&fs::read(wasm)?)?.len();
    let after = assets::brotli(&fs::read(&optimised)?)?.len();
    eprintln!(
        "xtask> wasm-opt -Oz {}: {} kB -> {} kB brotli; keeping the {}",
        wasm.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default(),
        before / 1000,
        after / 1000,
        if after < before {
            "optimised module"
        } else {
            "module as built"
        }
    );
    if after < before {
        fs::rename(&optimised, wasm)?;
    } else {
        fs::remove_file(&optimised)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_as_they_stand() {
        let html = "<head><script src=\"/a.js\"></script></head>\n<body><script type=\"module\">\n  init();\n</script></body>";
        let scripts = inline_scripts(html).unwrap();
        assert_eq!(scripts, ["\n  init();\n"]);
        // The empty script's hash, as browsers compute it (CSP Level 3 examples).
        assert_eq!(
            script_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(inline_scripts("<script>oops").is_err());
    }

    #[test]
    fn the_app_page_has_its_loader_inline() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let html = fs::read_to_string(root.join("frontend/static/index.html")).unwrap();
        let scripts = inline_scripts(&html).unwrap();
        // The loader, and the theme switch that must run before the first paint.
        assert!(scripts.iter().any(|s| s.contains("import init from")));
    }
}
