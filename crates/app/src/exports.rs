//! Exports: a project's content rendered by `penora-export`, off the async workers (a long
//! manuscript's PDF takes a CPU-bound moment), a bounded number at once, and kept on disk
//! ([`super::export_cache`]) so an unchanged project renders once.

use std::sync::Arc;
use std::time::Duration;

use penora_domain::ProjectContent;
use penora_export::{Chapter, Document, Format};
use tokio::sync::Semaphore;

use super::export_cache::{CacheKey, DiskCache};
use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ExportFailed {
    #[error(transparent)]
    Render(#[from] penora_export::ExportError),
    #[error("export task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// Every render slot stayed taken for the whole queue wait.
    #[error("too many exports at once")]
    Busy,
}

/// The seconds a refused export is told to wait before trying again.
pub const BUSY_RETRY_SECS: u64 = 2;

pub fn document(content: &ProjectContent, author: Option<String>) -> Document {
    Document {
        title: content.title.as_str().to_owned(),
        author: author.filter(|a| !a.is_empty()),
        chapters: content
            .chapters()
            .iter()
            .map(|c| Chapter {
                title: c.title().to_owned(),
                text: c.text().to_owned(),
            })
            .collect(),
    }
}

/// A rendered export: the file's bytes, its download name, and whether it came from the
/// cache.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub name: String,
    pub cached: bool,
}

/// The process's render slots and its cache of rendered files.
pub struct Exporter {
    slots: Arc<Semaphore>,
    queue_wait: Duration,
    cache: Option<DiskCache>,
}

impl Exporter {
    /// `export_concurrency` slots (at least one); the cache under `<data_dir>/export-cache`
    /// unless `export_cache_bytes` is 0.
    pub fn new(settings: &Settings) -> std::io::Result<Self> {
        let cache = match settings.export_cache_bytes {
            0 => None,
            cap => Some(DiskCache::new(settings.data_dir.join("export-cache"), cap)?),
        };
        Ok(Self {
            slots: Arc::new(Semaphore::new(settings.export_concurrency.max(1))),
            queue_wait: Duration::from_millis(settings.export_queue_ms),
            cache,
        })
    }

    /// The render slots (tests hold them to fill the queue).
    pub fn slots(&self) -> &Arc<Semaphore> {
        &self.slots
    }

    pub fn cache(&self) -> Option<&DiskCache> {
        self.cache.as_ref()
    }

    /// The rendering of `document` as `format`, from the cache when `key` is there;
    /// otherwise rendered in a slot on a blocking thread and kept. `Busy` when no slot
    /// came free within the queue wait.
    #[tracing::instrument(name = "services::exports::export", skip_all)]
    pub async fn export(
        &self,
        key: CacheKey<'_>,
        document: Document,
        format: Format,
    ) -> Result<Rendered, ExportFailed> {
        let name = penora_export::file_name(&document.title, format);
        if let Some(bytes) = self.cached(&key).await {
            return Ok(Rendered {
                bytes,
                name,
                cached: true,
            });
        }
        // A zero wait still takes a free slot: the acquire is polled before the deadline.
        let slot = tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ExportFailed::Busy)?
            .map_err(|_| ExportFailed::Busy)?;
        // Another request may have rendered the same file while this one queued.
        if let Some(bytes) = self.cached(&key).await {
            return Ok(Rendered {
                bytes,
                name,
                cached: true,
            });
        }
        let cache = self.cache.clone();
        let file = key.file_name();
        let span = tracing::Span::current();
        let bytes = tokio::task::spawn_blocking(move || {
            let _span = span.enter();
            // The slot is held until the render ends, even if the request is dropped.
            let _slot = slot;
            let bytes = penora_export::render(&document, format)?;
            if let Some(cache) = cache {
                if let Err(err) = cache.put(&file, &bytes) {
                    tracing::warn!(error = %err, "rendered export not cached");
                }
            }
            Ok::<_, penora_export::ExportError>(bytes)
        })
        .await??;
        Ok(Rendered {
            bytes,
            name,
            cached: false,
        })
    }

    async fn cached(&self, key: &CacheKey<'_>) -> Option<Vec<u8>> {
        self.cache.as_ref()?.get(&key.file_name()).await
    }
}
