//! Exports: a project's content rendered by `penora-export`, off the async workers (a long
//! manuscript's PDF takes a CPU-bound moment).

use penora_domain::ProjectContent;
use penora_export::{Chapter, Document, Format};

#[derive(Debug, thiserror::Error)]
pub enum ExportFailed {
    #[error(transparent)]
    Render(#[from] penora_export::ExportError),
    #[error("export task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

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

/// The file's bytes and its download name.
pub async fn render(document: Document, format: Format) -> Result<(Vec<u8>, String), ExportFailed> {
    let name = penora_export::file_name(&document.title, format);
    let bytes =
        tokio::task::spawn_blocking(move || penora_export::render(&document, format)).await??;
    Ok((bytes, name))
}
