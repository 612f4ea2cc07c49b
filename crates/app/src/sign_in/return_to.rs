//! Where a sign-in may send the browser afterwards: a path of the app, or a URL on the
//! app's own origin or an origin the operator allowed. Anything else goes to the app's home,
//! so a sign-in link can never be made to redirect elsewhere.

use url::Url;

/// Where to go after signing in, checked against the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

/// The app's origin (`public_url`) and the other origins a sign-in may return to.
#[derive(Debug, Clone)]
pub struct Destinations {
    app: Url,
    allowed: Vec<url::Origin>,
}

impl Destinations {
    /// `public_url` and the comma-separated `extra` origins; an unparsable extra origin is
    /// skipped with a warning, an unparsable `public_url` is an error.
    pub fn new(public_url: &str, extra: &str) -> Result<Self, url::ParseError> {
        let app = Url::parse(public_url)?;
        let mut allowed = vec![app.origin()];
        for origin in extra.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            match Url::parse(origin) {
                Ok(url) if url.origin().is_tuple() => allowed.push(url.origin()),
                _ => tracing::warn!(origin, "ignoring an unparsable return-to origin"),
            }
        }
        Ok(Self { app, allowed })
    }

    /// The app's page at `path` (which starts with `/`).
    pub fn app_page(&self, path: &str) -> String {
        self.app
            .join(path)
            .map_or_else(|_| path.to_owned(), String::from)
    }

    /// `raw` when it may be returned to, as an absolute URL; `None` otherwise.
    pub fn check(&self, raw: Option<&str>) -> Option<ReturnTo> {
        let raw = raw?.trim();
        if raw.is_empty() || raw.len() > 2_000 || raw.chars().any(char::is_control) {
            return None;
        }
        let url = if raw.starts_with('/') {
            // `//host` and `/\host` are other hosts to a browser, not paths.
            if raw.starts_with("//") || raw.starts_with("/\\") {
                return None;
            }
            self.app.join(raw).ok()?
        } else {
            Url::parse(raw).ok()?
        };
        let origin = url.origin();
        let fine = matches!(url.scheme(), "http" | "https")
            && url.username().is_empty()
            && url.password().is_none()
            && self.allowed.contains(&origin);
        fine.then(|| ReturnTo(url.into()))
    }

    /// Where to go: `return_to` if given, else the app's home.
    pub fn or_home(&self, return_to: Option<ReturnTo>) -> String {
        return_to.map_or_else(|| self.app_page("/"), |r| r.0)
    }
}

impl ReturnTo {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destinations() -> Destinations {
        Destinations::new("https://penora.example", "https://imagegene.example").unwrap()
    }

    #[test]
    fn paths_and_allowed_origins_are_kept() {
        let d = destinations();
        let check = |raw| d.check(Some(raw)).map(|r| r.0);
        assert_eq!(
            check("/write?x=1").as_deref(),
            Some("https://penora.example/write?x=1")
        );
        assert_eq!(
            check("https://imagegene.example/studio").as_deref(),
            Some("https://imagegene.example/studio")
        );
    }

    #[test]
    fn other_hosts_and_tricks_are_refused() {
        let d = destinations();
        for raw in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "https://penora.example.evil.example/",
            "https://user@evil.example/",
            "https://penora.example@evil.example/",
            "javascript:alert(1)",
            "http://penora.example/",
            "https://penora.example:8443/",
            "/a\nb",
            "",
        ] {
            assert_eq!(d.check(Some(raw)), None, "{raw:?}");
        }
        assert_eq!(
            d.or_home(d.check(Some("//evil"))),
            "https://penora.example/"
        );
    }
}
