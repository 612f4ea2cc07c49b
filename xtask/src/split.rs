//! Splits the browser app's module at its lazy routes (`#[lazy_route]` in
//! `frontend/src/routes.rs`) with `wasm_split_cli_support`, before wasm-bindgen sees it.
//!
//! What comes out, all in `dist` beside the wasm-bindgen glue:
//! - the main module, still to go through wasm-bindgen (written to `work`, not `dist`);
//! - one `split_<name>.wasm` per lazy route and `chunk_<n>.wasm` for code several routes
//!   share, fetched the first time a route needs them;
//! - the link module [`LINK`], which the main module imports (so the glue imports it) and
//!   which loads the chunks; it imports the glue [`GLUE`] back for the main module's exports.
//!
//! The cargo build must keep the linker's relocations (`-C link-args=--emit-relocs`, set in
//! `.cargo/config.toml`): the splitter reads them to move code between modules.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};

/// The link module, as written and as the main module (and so the glue) imports it.
pub const LINK: &str = "__wasm_split.js";
/// The wasm-bindgen glue (out_name "penora"), which the link module imports.
pub const GLUE: &str = "penora.js";

/// Splits `wasm` (the cargo output). Returns the main module to hand to wasm-bindgen and
/// the chunks written to `dist`.
pub fn split(wasm: &Path, dist: &Path, work: &Path) -> anyhow::Result<(PathBuf, Vec<PathBuf>)> {
    let input = fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    fs::create_dir_all(work)?;
    let main = work.join("penora_split.wasm");
    let link = format!("./{LINK}");
    let glue = format!("./{GLUE}");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = dist;
    options.main_out_path = &main;
    options.link_name = &link;
    options.main_module = &glue;
    // The library reports eyre errors; their Debug form carries the whole chain.
    let split = wasm_split_cli_support::transform(options)
        .map_err(|err| anyhow!("splitting the wasm module: {err:?}"))?;
    anyhow::ensure!(
        dist.join(LINK).exists(),
        "the splitter wrote no {LINK}; is `--emit-relocs` in the wasm32 rustflags?"
    );
    let mut chunks = split.split_modules;
    chunks.sort();
    eprintln!(
        "xtask> split the module at {} lazy routes into {} files",
        split.prefetch_map.len(),
        chunks.len()
    );
    Ok((main, chunks))
}
