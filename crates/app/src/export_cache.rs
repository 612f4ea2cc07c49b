//! Rendered exports kept on disk, so a popular shared PDF renders once.
//!
//! A file is named by what makes its bytes: the project, its version (every edit raises
//! it, so an edited project never reads an older file), the author's name printed in it
//! and the format. The index (`moka`, least recently used first out) weighs each file by
//! its size and deletes the files it evicts, so the files never add up to more than the
//! cap. The directory belongs to this process: it is emptied at start-up (a new build
//! may render differently, and the index of the files is in memory).

use std::io::Write;
use std::path::{Path, PathBuf};

use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;
use penora_export::Format;
use uuid::Uuid;

/// What a rendered file is the rendering of.
#[derive(Debug, Clone, Copy)]
pub struct CacheKey<'a> {
    pub project: Uuid,
    pub version: i64,
    pub author: Option<&'a str>,
    pub format: Format,
}

impl CacheKey<'_> {
    /// A file name made only of the id, the version, hex and the extension.
    pub fn file_name(&self) -> String {
        let author = self.author.unwrap_or_default();
        let digest = ring::digest::digest(&ring::digest::SHA256, author.as_bytes());
        let author: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "{}-{}-{author}.{}",
            self.project,
            self.version,
            self.format.extension()
        )
    }
}

#[derive(Clone)]
pub struct DiskCache {
    dir: PathBuf,
    cap_bytes: u64,
    /// File name to size in bytes.
    index: moka::sync::Cache<String, u64>,
}

impl DiskCache {
    /// Empties (or creates) `dir` and caches at most `cap_bytes` in it.
    pub fn new(dir: PathBuf, cap_bytes: u64) -> std::io::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let evict_dir = dir.clone();
        let index = moka::sync::Cache::builder()
            .max_capacity(cap_bytes)
            .weigher(|_: &String, size: &u64| u32::try_from(*size).unwrap_or(u32::MAX))
            .eviction_policy(EvictionPolicy::lru())
            .eviction_listener(move |name: std::sync::Arc<String>, _, cause| {
                // A replaced entry names the same file, now holding the newer bytes.
                if cause != RemovalCause::Replaced {
                    let _ = std::fs::remove_file(evict_dir.join(name.as_str()));
                }
            })
            .build();
        Ok(Self {
            dir,
            cap_bytes,
            index,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cached bytes of the file `name` ([`CacheKey::file_name`]), if it is on disk.
    #[tracing::instrument(name = "services::export_cache::get", skip_all)]
    pub async fn get(&self, name: &str) -> Option<Vec<u8>> {
        self.index.get(name)?;
        match tokio::fs::read(self.dir.join(name)).await {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                self.index.invalidate(name);
                None
            }
        }
    }

    /// Keeps a rendering (written to a temporary file, then renamed into place, so a reader
    /// never sees half a file), evicting the least recently used past the cap. Blocking:
    /// call it off the async workers. A file larger than the whole cap is not kept.
    pub fn put(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let size = bytes.len() as u64;
        if size > self.cap_bytes || size > u64::from(u32::MAX) {
            return Ok(());
        }
        let temp = self
            .dir
            .join(format!("{name}.{}.tmp", Uuid::new_v4().simple()));
        let written = std::fs::File::create(&temp)
            .and_then(|mut file| file.write_all(bytes))
            .and_then(|()| std::fs::rename(&temp, self.dir.join(name)));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(err);
        }
        self.index.insert(name.to_owned(), size);
        self.index.run_pending_tasks();
        Ok(())
    }

    /// Bytes the index holds (after pending evictions ran).
    pub fn weighted_bytes(&self) -> u64 {
        self.index.run_pending_tasks();
        self.index.weighted_size()
    }
}
