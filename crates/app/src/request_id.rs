//! The id of the request being served, readable anywhere in its task (errors stamp it into
//! problem bodies and generations into upstream error messages without threading it through
//! every function).

use uuid::Uuid;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id, if called while serving one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// Keeps a caller's id when it is short and plain (so logs can be joined across services),
/// otherwise makes a new one.
pub fn accept_or_new(incoming: Option<&str>) -> String {
    match incoming {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            id.to_owned()
        }
        _ => Uuid::now_v7().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_ids_and_replaces_others() {
        assert_eq!(accept_or_new(Some("abc-123_X")), "abc-123_X");
        assert_ne!(accept_or_new(Some("bad id\n")), "bad id\n");
        assert_ne!(accept_or_new(Some(&"a".repeat(65))), "a".repeat(65));
        assert_eq!(accept_or_new(None).len(), 36);
    }

    #[tokio::test]
    async fn scope_sets_current() {
        assert_eq!(current(), None);
        let inside = scope("r1".to_owned(), async { current() }).await;
        assert_eq!(inside.as_deref(), Some("r1"));
    }
}
