//! Where to go after signing in: the page that asked for it, passed as `?next=` and kept to
//! this app's own paths (never another site).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `raw` when it is a path of this app: starts with one `/`, no scheme, no backslash.
pub fn safe(raw: &str) -> Option<String> {
    let path = raw.split(['?', '#']).next().unwrap_or(raw);
    let lower = path.to_ascii_lowercase();
    // One leading `/`, and no segment a browser would collapse into `//host`.
    let ok = raw.starts_with('/')
        && !path.contains("//")
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control);
    ok.then(|| raw.to_owned())
}

/// The page's `?next=`, when it is safe.
pub fn from_query() -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.with(|q| q.get("next")).as_deref().and_then(safe))
}

/// The current page's path and query, to come back to.
pub fn here() -> String {
    web_sys::window()
        .and_then(|w| {
            let location = w.location();
            Some(format!(
                "{}{}",
                location.pathname().ok()?,
                location.search().ok()?
            ))
        })
        .unwrap_or_else(|| "/".to_owned())
}

/// `page` (`/sign-in`, `/sign-up`) carrying `next`.
pub fn with_next(page: &str, next: Option<&str>) -> String {
    match next {
        Some(next) => format!("{page}?next={}", encode(next)),
        None => page.to_owned(),
    }
}

fn encode(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn only_this_apps_paths_are_followed() {
        assert_eq!(safe("/write?x=1").as_deref(), Some("/write?x=1"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "/%2F%2Fevil.example",
            "write",
            "",
        ] {
            assert_eq!(safe(bad), None, "{bad}");
        }
    }
}
