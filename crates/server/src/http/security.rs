//! Security headers on every response: a Content-Security-Policy for the kind of page the
//! response is, `X-Content-Type-Options: nosniff`, `Referrer-Policy`, and
//! `Strict-Transport-Security` when the public URL is https.

use std::path::Path;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use anyhow::{bail, Context};

use penora_app::config::{PaymentMode, Settings};

/// The file beside the app's `index.html` that lists the CSP sources of its inline scripts
/// (`sha256-<base64>`, one a line). `cargo xtask build-frontend` writes it, so the hashes
/// always describe the page they were built with.
pub const SCRIPT_HASHES_FILE: &str = "csp-script-hashes.txt";

/// Where Razorpay Checkout's script comes from.
const RAZORPAY_SCRIPT: &str = "https://checkout.razorpay.com";

/// HSTS for a year, for this host only: whether sibling subdomains are on https is not ours
/// to say.
const HSTS: &str = "max-age=31536000";

/// What a response is, which decides its Content-Security-Policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// The browser app's page (`index.html` and the client-side routes falling back to it).
    App,
    /// The vendored Swagger UI under `/docs/`.
    Docs,
    /// Everything else (JSON, problem bodies, files): nothing runs in it or frames it.
    Api,
    /// A payment page that loads the gateway's checkout.
    Checkout(Gateway),
}

/// Who takes the payment on a checkout page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    /// The local stand-in: a page of our own, nothing from elsewhere.
    Sandbox,
    /// Razorpay's Checkout: its script, and its frames for the payment form.
    Razorpay,
}

/// The policies, rendered once at start. Cloned into the app data of every worker.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    app: HeaderValue,
    docs: HeaderValue,
    api: HeaderValue,
    sandbox: HeaderValue,
    razorpay: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    /// `script_hashes`: the CSP sources of the app page's inline scripts; `https`: whether
    /// people reach the server over https (then browsers are told to keep to it); `gateway`:
    /// who takes payments, whose checkout the app page then runs.
    pub fn new(script_hashes: &[String], https: bool, gateway: Gateway) -> anyhow::Result<Self> {
        let value = |kind| {
            HeaderValue::from_str(&policy(kind, script_hashes, gateway))
                .context("a script hash is not a valid header value")
        };
        Ok(Self {
            app: value(PolicyKind::App)?,
            docs: value(PolicyKind::Docs)?,
            api: value(PolicyKind::Api)?,
            sandbox: value(PolicyKind::Checkout(Gateway::Sandbox))?,
            razorpay: value(PolicyKind::Checkout(Gateway::Razorpay))?,
            hsts: https,
        })
    }

    /// From the settings: the app page's hashes are read from the built app when one is
    /// served (see [`SCRIPT_HASHES_FILE`]).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let hashes = match &settings.frontend_dir {
            Some(dir) => read_script_hashes(dir)?,
            None => Vec::new(),
        };
        let gateway = match PaymentMode::resolve(settings) {
            Ok(PaymentMode::Razorpay { .. }) => Gateway::Razorpay,
            _ => Gateway::Sandbox,
        };
        Self::new(
            &hashes,
            settings.public_url.starts_with("https://"),
            gateway,
        )
    }

    /// The Content-Security-Policy header value for `kind`.
    pub fn policy(&self, kind: PolicyKind) -> HeaderValue {
        match kind {
            PolicyKind::App => self.app.clone(),
            PolicyKind::Docs => self.docs.clone(),
            PolicyKind::Api => self.api.clone(),
            PolicyKind::Checkout(Gateway::Sandbox) => self.sandbox.clone(),
            PolicyKind::Checkout(Gateway::Razorpay) => self.razorpay.clone(),
        }
    }

    /// Adds the headers a response lacks. A policy the handler set itself (a checkout page)
    /// is kept.
    fn apply(&self, path: &str, headers: &mut HeaderMap) {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            let kind = kind_of(path, headers.get(header::CONTENT_TYPE));
            headers.insert(header::CONTENT_SECURITY_POLICY, self.policy(kind));
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        if self.hsts {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
    }
}

/// The middleware: the outermost one, so the responses the others make (CORS refusals,
/// problem bodies) get the headers too. Handlers' errors are responses by the time they get
/// here.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let headers = req.app_data::<web::Data<SecurityHeaders>>().cloned();
    let mut response = next.call(req).await?;
    if let Some(headers) = headers {
        let path = response.request().path().to_owned();
        headers.apply(&path, response.headers_mut());
    }
    Ok(response)
}

/// Swagger UI under `/docs`; an HTML page elsewhere is the app's; anything else is data.
fn kind_of(path: &str, content_type: Option<&HeaderValue>) -> PolicyKind {
    let html = content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if path == "/docs" || path.starts_with("/docs/") {
        PolicyKind::Docs
    } else if html && path.starts_with("/api/v1/billing/sandbox/") {
        PolicyKind::Checkout(Gateway::Sandbox)
    } else if html {
        PolicyKind::App
    } else {
        PolicyKind::Api
    }
}

/// The policy text for `kind`. `app_scripts` are the hash sources of the app page's inline
/// scripts, and `gateway` the payments the app page takes (both for [`PolicyKind::App`]
/// only: with Razorpay it loads Razorpay Checkout's script, which opens its frame).
pub fn policy(kind: PolicyKind, app_scripts: &[String], gateway: Gateway) -> String {
    // Directives every page kind shares: never framed, no <base> rewriting, no plugins.
    const PAGE: &str = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; \
                        form-action 'self'";
    match kind {
        PolicyKind::Api => "default-src 'none'; frame-ancestors 'none'".to_owned(),
        PolicyKind::App => {
            // wasm-bindgen's loader compiles the module (WebAssembly.instantiateStreaming).
            let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
            for hash in app_scripts {
                scripts.push_str(&format!(" '{hash}'"));
            }
            let checkout = match gateway {
                Gateway::Sandbox => "",
                Gateway::Razorpay => {
                    scripts.push_str(&format!(" {RAZORPAY_SCRIPT}"));
                    "; frame-src https://api.razorpay.com"
                }
            };
            format!(
                "default-src 'self'; script-src {scripts}; style-src 'self'; \
                 img-src 'self' data:; connect-src 'self'{checkout}; {PAGE}"
            )
        }
        // Swagger UI: scripts from its own files; it injects a <style> element at run time
        // (inline styles only: it renders our own document, no one else's text); its
        // stylesheet draws icons as data: images; "Try it out" calls the API on this origin.
        PolicyKind::Docs => format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; {PAGE}"
        ),
        PolicyKind::Checkout(Gateway::Sandbox) => format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; frame-src 'none'; {PAGE}"
        ),
        PolicyKind::Checkout(Gateway::Razorpay) => format!(
            "default-src 'self'; script-src 'self' https://checkout.razorpay.com; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             frame-src https://api.razorpay.com; {PAGE}"
        ),
    }
}

/// The hash sources listed in the built app's [`SCRIPT_HASHES_FILE`]. A frontend dir
/// without one was not built by `cargo xtask build-frontend`: its inline script would be
/// blocked, so the server refuses to start rather than serve a blank page.
fn read_script_hashes(dir: &Path) -> anyhow::Result<Vec<String>> {
    let path = dir.join(SCRIPT_HASHES_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {}: build the app with `cargo xtask build-frontend`",
            path.display()
        )
    })?;
    let mut hashes = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !is_hash_source(line) {
            bail!(
                "{} has a line that is not a script hash: {line:?}",
                path.display()
            );
        }
        hashes.push(line.to_owned());
    }
    Ok(hashes)
}

/// `sha256-`, `sha384-` or `sha512-` and standard base64: nothing else may reach the header.
fn is_hash_source(source: &str) -> bool {
    let Some((algorithm, digest)) = source.split_once('-') else {
        return false;
    };
    matches!(algorithm, "sha256" | "sha384" | "sha512")
        && !digest.is_empty()
        && digest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
        policy
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name)?.strip_prefix(' '))
    }

    #[test]
    fn the_app_may_run_its_own_scripts_its_wasm_and_its_inline_loader_only() {
        let hash = "sha256-AbC+/9=".to_owned();
        let app = policy(
            PolicyKind::App,
            std::slice::from_ref(&hash),
            Gateway::Sandbox,
        );
        assert_eq!(
            directive(&app, "script-src"),
            Some("'self' 'wasm-unsafe-eval' 'sha256-AbC+/9='")
        );
        assert_eq!(directive(&app, "default-src"), Some("'self'"));
        assert_eq!(directive(&app, "connect-src"), Some("'self'"));
        assert_eq!(directive(&app, "frame-ancestors"), Some("'none'"));
        assert_eq!(directive(&app, "base-uri"), Some("'none'"));
        assert_eq!(directive(&app, "object-src"), Some("'none'"));
        assert!(!app.contains("unsafe-inline") && !app.contains("'unsafe-eval'"));
        assert!(!app.contains("razorpay"), "{app}");
    }

    #[test]
    fn with_razorpay_the_app_may_run_its_checkout() {
        let app = policy(PolicyKind::App, &[], Gateway::Razorpay);
        assert_eq!(
            directive(&app, "script-src"),
            Some("'self' 'wasm-unsafe-eval' https://checkout.razorpay.com")
        );
        assert_eq!(
            directive(&app, "frame-src"),
            Some("https://api.razorpay.com")
        );
        assert_eq!(directive(&app, "connect-src"), Some("'self'"));
    }

    #[test]
    fn api_responses_allow_nothing() {
        assert_eq!(
            policy(PolicyKind::Api, &[], Gateway::Sandbox),
            "default-src 'none'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn checkout_pages_allow_the_gateway_and_nothing_else() {
        let razorpay = policy(
            PolicyKind::Checkout(Gateway::Razorpay),
            &[],
            Gateway::Sandbox,
        );
        assert_eq!(
            directive(&razorpay, "script-src"),
            Some("'self' https://checkout.razorpay.com")
        );
        assert_eq!(
            directive(&razorpay, "frame-src"),
            Some("https://api.razorpay.com")
        );
        assert_eq!(directive(&razorpay, "frame-ancestors"), Some("'none'"));
        assert!(!razorpay.contains("unsafe"));
        let sandbox = policy(
            PolicyKind::Checkout(Gateway::Sandbox),
            &[],
            Gateway::Sandbox,
        );
        assert!(!sandbox.contains("razorpay"), "{sandbox}");
        assert_eq!(directive(&sandbox, "script-src"), Some("'self'"));
        assert_eq!(directive(&sandbox, "frame-src"), Some("'none'"));
        let headers = SecurityHeaders::new(&[], false, Gateway::Sandbox).unwrap();
        assert_eq!(
            headers.policy(PolicyKind::Checkout(Gateway::Razorpay)),
            razorpay.as_str()
        );
    }

    #[test]
    fn the_kind_follows_the_path_and_the_content_type() {
        let html = HeaderValue::from_static("text/html; charset=utf-8");
        let json = HeaderValue::from_static("application/json");
        assert_eq!(kind_of("/docs/", Some(&html)), PolicyKind::Docs);
        assert_eq!(kind_of("/docs/swagger-ui.css", None), PolicyKind::Docs);
        assert_eq!(kind_of("/account", Some(&html)), PolicyKind::App);
        assert_eq!(kind_of("/api/v1/me", Some(&json)), PolicyKind::Api);
        assert_eq!(kind_of("/penora.js", None), PolicyKind::Api);
        assert_eq!(kind_of("/docsx", Some(&html)), PolicyKind::App);
    }

    #[test]
    fn only_hash_sources_are_read_from_the_built_app() {
        assert!(is_hash_source(
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        ));
        for bad in [
            "sha1-abc",
            "sha256-",
            "sha256-abc; script-src *",
            "'unsafe-inline'",
            "sha256-ab'c",
        ] {
            assert!(!is_hash_source(bad), "{bad}");
        }
        let dir = std::env::temp_dir().join(format!("penora-csp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = read_script_hashes(&dir).unwrap_err().to_string();
        assert!(missing.contains("cargo xtask build-frontend"), "{missing}");
        std::fs::write(
            dir.join(SCRIPT_HASHES_FILE),
            "sha256-AAAA\n\nsha384-BBBB=\n",
        )
        .unwrap();
        assert_eq!(
            read_script_hashes(&dir).unwrap(),
            ["sha256-AAAA", "sha384-BBBB="]
        );
        std::fs::write(dir.join(SCRIPT_HASHES_FILE), "*\n").unwrap();
        assert!(read_script_hashes(&dir).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
