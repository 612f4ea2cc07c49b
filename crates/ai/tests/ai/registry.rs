//! The registry built from environment-style configuration.

use std::collections::HashMap;

use penora_ai::{HttpSettings, Offline, ProviderConfig, Providers};

use crate::helpers::{chat_request, run};
use penora_fake_upstream::{FakeUpstream, Reply};

#[tokio::test]
async fn a_configured_upstream_is_reachable_through_the_registry() {
    let fake = FakeUpstream::start(vec![Reply::events(vec!["data: [DONE]\n\n".into()])]).await;
    let vars = HashMap::from([
        ("GROQ_API_KEY", "groq-key".to_owned()),
        ("GROQ_BASE_URL", format!("{}/openai/v1/", fake.base_url)),
    ]);
    let config = ProviderConfig::from_lookup(|name| vars.get(name).cloned());
    assert!(config.is_available("groq"));
    assert!(!config.is_available("openai"));

    let providers = Providers::new(&config, HttpSettings::default(), Offline::default()).unwrap();
    assert_eq!(providers.ids().collect::<Vec<_>>(), ["offline", "groq"]);
    let groq = providers.get("groq").unwrap();
    run(groq.as_ref(), chat_request("llama-3.1-8b-instant"))
        .await
        .assert_well_formed();
    let request = &fake.requests()[0];
    assert_eq!(request.target, "/openai/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer groq-key"));
}

#[test]
fn the_offline_model_is_always_available() {
    let config = ProviderConfig::from_lookup(|_| None);
    assert!(config.is_available("offline"));
    assert_eq!(config.available_ids(), ["offline"]);
}
