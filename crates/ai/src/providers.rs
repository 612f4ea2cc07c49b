//! The registry the server generates through: one `Provider` per available id.

use std::sync::Arc;

use crate::anthropic::Anthropic;
use crate::config::{ApiFormat, ProviderConfig, UpstreamConfig};
use crate::gemini::Gemini;
use crate::http::{ClientBuildError, HttpSettings, Transport};
use crate::metrics::Measured;
use crate::offline::Offline;
use crate::openai::OpenAiCompatible;
use crate::provider::Provider;
use secrecy::SecretString;

/// The offline model plus a client for each configured upstream, sharing one connection pool.
#[derive(Clone)]
pub struct Providers {
    entries: Vec<Arc<dyn Provider>>,
    known: Vec<UpstreamConfig>,
    transport: Transport,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

impl Providers {
    pub fn new(
        config: &ProviderConfig,
        settings: HttpSettings,
        offline: Offline,
    ) -> Result<Self, ClientBuildError> {
        let transport = Transport::new(settings)?;
        let upstreams = config
            .upstreams
            .iter()
            .map(|upstream| client(upstream, transport.clone()));
        let entries = std::iter::once(Arc::new(Measured(Arc::new(offline))) as Arc<dyn Provider>)
            .chain(upstreams)
            .collect();
        Ok(Self {
            entries,
            known: config.known.clone(),
            transport,
        })
    }

    /// A client for `provider_id` that sends the user's own `key` (sharing the connection
    /// pool); `None` for the offline model or an unknown id.
    pub fn with_key(&self, provider_id: &str, key: SecretString) -> Option<Arc<dyn Provider>> {
        let upstream = self.known.iter().find(|u| u.id == provider_id)?;
        let with_key = UpstreamConfig {
            api_key: Some(key),
            ..upstream.clone()
        };
        Some(client(&with_key, self.transport.clone()))
    }

    /// Whether users can bring their own key for `provider_id`: only for upstreams that
    /// require one. A keyless server (ollama) is the platform's to pay for; a user's "key"
    /// for it would only turn the platform's generations into free ones.
    pub fn accepts_own_keys(&self, provider_id: &str) -> bool {
        self.known
            .iter()
            .any(|u| u.id == provider_id && u.key_required)
    }

    /// Whether `provider_id` is an upstream that takes no key (a local server).
    pub fn is_keyless(&self, provider_id: &str) -> bool {
        self.known
            .iter()
            .any(|u| u.id == provider_id && !u.key_required)
    }

    pub fn get(&self, provider_id: &str) -> Option<Arc<dyn Provider>> {
        self.entries
            .iter()
            .find(|provider| provider.id() == provider_id)
            .cloned()
    }

    pub fn is_available(&self, provider_id: &str) -> bool {
        self.get(provider_id).is_some()
    }

    pub fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|provider| provider.id())
    }
}

/// An upstream's client, measured (see [`crate::metrics`]).
fn client(upstream: &UpstreamConfig, transport: Transport) -> Arc<dyn Provider> {
    Arc::new(Measured(unmeasured(upstream, transport)))
}

fn unmeasured(upstream: &UpstreamConfig, transport: Transport) -> Arc<dyn Provider> {
    let key = upstream.api_key.clone();
    let base = upstream.base_url.clone();
    match upstream.format {
        ApiFormat::OpenAiCompatible => {
            let mut client = OpenAiCompatible::new(upstream.id, base, key, transport);
            if upstream.id == "openrouter" {
                // OpenRouter's model list is public; its key page is not.
                client = client.key_checked_at("/key");
            }
            if upstream.key_required {
                Arc::new(client)
            } else {
                Arc::new(client.key_optional())
            }
        }
        ApiFormat::Anthropic => Arc::new(Anthropic::new(base, key, transport)),
        ApiFormat::Gemini => Arc::new(Gemini::new(base, key, transport)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_holds_offline_and_the_configured_upstreams() {
        let config = ProviderConfig::from_lookup(|name| {
            (name == "GROQ_API_KEY" || name == "ANTHROPIC_API_KEY").then(|| "k".to_owned())
        });
        let providers =
            Providers::new(&config, HttpSettings::default(), Offline::default()).unwrap();
        assert_eq!(
            providers.ids().collect::<Vec<_>>(),
            ["offline", "groq", "anthropic"]
        );
        assert!(providers.is_available("groq"));
        assert!(!providers.is_available("gemini"));
        assert_eq!(
            providers.get("anthropic").map(|p| p.id()),
            Some("anthropic")
        );
        // A user's own key reaches a provider the platform has no key for.
        let own = providers.with_key("gemini", SecretString::from("user-key".to_owned()));
        assert_eq!(own.map(|p| p.id()), Some("gemini"));
        assert!(providers
            .with_key("offline", SecretString::from("x".to_owned()))
            .is_none());
        assert!(providers.accepts_own_keys("openai") && !providers.accepts_own_keys("offline"));
        assert!(!providers.accepts_own_keys("ollama") && providers.is_keyless("ollama"));
        assert!(!providers.is_keyless("openai") && !providers.is_keyless("offline"));
    }
}
