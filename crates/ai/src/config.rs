//! Which upstreams are configured, read from environment-style variables.
//!
//! The caller passes the lookup (`|name| std::env::var(name).ok()` in the server), so tests
//! can use a map instead of the process environment.

use secrecy::SecretString;

use crate::offline::OFFLINE_ID;

/// Which wire format an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFormat {
    OpenAiCompatible,
    Anthropic,
    Gemini,
}

/// One upstream we know how to reach, and the variables that configure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownUpstream {
    pub id: &'static str,
    pub format: ApiFormat,
    pub key_var: &'static str,
    pub base_url_var: &'static str,
    pub default_base_url: &'static str,
    /// Local servers take no key; they are configured by setting their base URL.
    pub key_required: bool,
}

const fn known(
    id: &'static str,
    format: ApiFormat,
    key_var: &'static str,
    base_url_var: &'static str,
    default_base_url: &'static str,
) -> KnownUpstream {
    KnownUpstream {
        id,
        format,
        key_var,
        base_url_var,
        default_base_url,
        key_required: true,
    }
}

/// Every upstream, in the order the registry lists them.
pub const KNOWN_UPSTREAMS: &[KnownUpstream] = &[
    known(
        "deepinfra",
        ApiFormat::OpenAiCompatible,
        "DEEPINFRA_API_KEY",
        "DEEPINFRA_BASE_URL",
        "https://api.deepinfra.com/v1/openai",
    ),
    known(
        "openai",
        ApiFormat::OpenAiCompatible,
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "https://api.openai.com/v1",
    ),
    known(
        "groq",
        ApiFormat::OpenAiCompatible,
        "GROQ_API_KEY",
        "GROQ_BASE_URL",
        "https://api.groq.com/openai/v1",
    ),
    known(
        "openrouter",
        ApiFormat::OpenAiCompatible,
        "OPENROUTER_API_KEY",
        "OPENROUTER_BASE_URL",
        "https://openrouter.ai/api/v1",
    ),
    known(
        "anthropic",
        ApiFormat::Anthropic,
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "https://api.anthropic.com",
    ),
    known(
        "gemini",
        ApiFormat::Gemini,
        "GEMINI_API_KEY",
        "GEMINI_BASE_URL",
        "https://generativelanguage.googleapis.com",
    ),
    KnownUpstream {
        key_required: false,
        ..known(
            "ollama",
            ApiFormat::OpenAiCompatible,
            "OLLAMA_API_KEY",
            "OLLAMA_BASE_URL",
            "http://127.0.0.1:11434/v1",
        )
    },
];

/// One configured upstream. The key is a `SecretString`: its Debug output is redacted.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub id: &'static str,
    pub format: ApiFormat,
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub key_required: bool,
}

/// The upstreams that have what they need (a key, or a base URL for keyless local servers).
/// The offline model needs nothing and is always available.
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    pub upstreams: Vec<UpstreamConfig>,
    /// Every upstream Penora can reach, configured or not, without keys: where a user's own
    /// key is sent.
    pub known: Vec<UpstreamConfig>,
}

impl ProviderConfig {
    /// Reads `*_API_KEY` and `*_BASE_URL` through `lookup`; blank values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let value = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let known: Vec<UpstreamConfig> = KNOWN_UPSTREAMS
            .iter()
            .map(|known| UpstreamConfig {
                id: known.id,
                format: known.format,
                base_url: value(known.base_url_var)
                    .unwrap_or_else(|| known.default_base_url.to_owned()),
                api_key: value(known.key_var).map(SecretString::from),
                // `<PROVIDER>_KEY_REQUIRED=false`: the base URL is a keyless server (vLLM,
                // llama.cpp) that only the platform pays for, so it takes no users' keys.
                key_required: known.key_required
                    && !value(&known.key_var.replace("_API_KEY", "_KEY_REQUIRED"))
                        .is_some_and(|v| v.eq_ignore_ascii_case("false")),
            })
            .collect();
        let upstreams = known
            .iter()
            .filter(|upstream| {
                let known = KNOWN_UPSTREAMS.iter().find(|k| k.id == upstream.id);
                match known {
                    Some(_) if upstream.key_required => upstream.api_key.is_some(),
                    Some(k) => value(k.base_url_var).is_some(),
                    None => false,
                }
            })
            .cloned()
            .collect();
        let known = known
            .into_iter()
            .map(|upstream| UpstreamConfig {
                api_key: None,
                ..upstream
            })
            .collect();
        Self { upstreams, known }
    }

    /// The ids that can generate: `offline` first, then each configured upstream.
    pub fn available_ids(&self) -> Vec<&'static str> {
        std::iter::once(OFFLINE_ID)
            .chain(self.upstreams.iter().map(|upstream| upstream.id))
            .collect()
    }

    pub fn is_available(&self, provider_id: &str) -> bool {
        provider_id == OFFLINE_ID || self.upstream(provider_id).is_some()
    }

    pub fn upstream(&self, provider_id: &str) -> Option<&UpstreamConfig> {
        self.upstreams
            .iter()
            .find(|upstream| upstream.id == provider_id)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> ProviderConfig {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProviderConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn nothing_set_means_only_offline() {
        let config = config(&[]);
        assert_eq!(config.available_ids(), ["offline"]);
        assert!(config.is_available("offline"));
        assert!(!config.is_available("deepinfra"));
        assert!(!config.is_available("ollama"));
    }

    #[test]
    fn a_key_configures_its_provider_with_the_default_base_url() {
        let config = config(&[("DEEPINFRA_API_KEY", "di-key"), ("GEMINI_API_KEY", "g-key")]);
        assert_eq!(config.available_ids(), ["offline", "deepinfra", "gemini"]);
        let deepinfra = config.upstream("deepinfra").unwrap();
        assert_eq!(deepinfra.base_url, "https://api.deepinfra.com/v1/openai");
        assert_eq!(deepinfra.format, ApiFormat::OpenAiCompatible);
        assert_eq!(
            deepinfra.api_key.as_ref().unwrap().expose_secret(),
            "di-key"
        );
        assert!(!config.is_available("anthropic"));
    }

    #[test]
    fn base_urls_are_overridable_and_blank_values_ignored() {
        let config = config(&[
            ("ANTHROPIC_API_KEY", "a-key"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9999"),
            ("OPENAI_API_KEY", "   "),
            ("OLLAMA_BASE_URL", "http://127.0.0.1:11434/v1"),
        ]);
        assert_eq!(config.available_ids(), ["offline", "anthropic", "ollama"]);
        assert_eq!(
            config.upstream("anthropic").unwrap().base_url,
            "http://127.0.0.1:9999"
        );
        assert!(config.upstream("ollama").unwrap().api_key.is_none());
    }

    #[test]
    fn debug_output_hides_keys() {
        let config = config(&[("OPENAI_API_KEY", "sk-very-secret")]);
        assert!(!format!("{config:?}").contains("sk-very-secret"));
    }
}
