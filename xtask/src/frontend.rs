//! Builds the browser app: cargo for wasm32, then wasm-bindgen as a library (no tool
//! download), then the static files, into `frontend/dist`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::shell;

/// The wasm-bindgen version this xtask links; must equal the one in Cargo.lock, since the
/// generated JS glue and the wasm module must come from the same version.
const BINDGEN_VERSION: &str = "0.2.130";

pub fn dist_dir(root: &Path) -> PathBuf {
    root.join("frontend/dist")
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
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name("penora")
        .typescript(false)
        .web(true)?
        .generate(&dist)
        .context("wasm-bindgen")?;
    optimise(&dist.join("penora_bg.wasm"));
    for entry in fs::read_dir(root.join("frontend/static"))? {
        let entry = entry?;
        fs::copy(entry.path(), dist.join(entry.file_name()))?;
    }
    let size = fs::metadata(dist.join("penora_bg.wasm"))?.len();
    eprintln!(
        "xtask> browser app built in frontend/dist ({} kB of wasm)",
        size / 1024
    );
    Ok(())
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

/// Shrinks the module with Binaryen's wasm-opt when it is installed; optional.
fn optimise(wasm: &Path) {
    if !shell::has_program("wasm-opt") {
        return;
    }
    let ok = Command::new("wasm-opt")
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "-o",
        ])
        .arg(wasm)
        .arg(wasm)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("xtask> wasm-opt failed; keeping the unoptimised module");
    }
}
