//! The model catalog: which models exist, what they cost, whether they can be used now.
//! Loaded from `config/models.toml` (built in) or the file named by `PENORA_MODELS_FILE`.

use std::collections::HashSet;
use std::path::Path;

use figment::providers::{Format, Toml};
use figment::Figment;
use penora_domain::pricing::default_input_multiplier;
use penora_domain::{Multiplier, Price};
use serde::Deserialize;

const BUILT_IN: &str = include_str!("../../../config/models.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct ModelSpec {
    pub id: String,
    pub display_name: String,
    pub provider: String,
    pub upstream: String,
    pub multiplier_per_mille: u32,
    /// The input rate in per-mille; absent: a quarter of `multiplier_per_mille`, rounded up.
    #[serde(default)]
    pub input_multiplier_per_mille: Option<u32>,
    pub context_tokens: u32,
    pub max_output_words: u32,
    #[serde(default)]
    pub plans: Vec<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub description: String,
    /// Worked out at load: enabled, and its provider is configured (has its key).
    #[serde(skip)]
    pub available: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl ModelSpec {
    pub fn multiplier(&self) -> Multiplier {
        // Validated at load, so this cannot fall back in practice.
        Multiplier::per_mille(self.multiplier_per_mille).unwrap_or(Multiplier::ONE)
    }

    /// What input beyond the free allowance is priced at.
    pub fn input_multiplier(&self) -> Multiplier {
        self.input_multiplier_per_mille
            .and_then(|per_mille| Multiplier::per_mille(per_mille).ok())
            .unwrap_or_else(|| default_input_multiplier(self.multiplier()))
    }

    /// What its words cost with the platform's key.
    pub fn price(&self) -> Price {
        Price::at(self.multiplier(), self.input_multiplier())
    }
}

#[derive(Debug, Clone, Deserialize)]
struct CatalogFile {
    default_model: String,
    models: Vec<ModelSpec>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    default_model: String,
    models: Vec<ModelSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the model catalog: {0}")]
    Read(String),
    #[error("the model catalog is invalid: {0}")]
    Invalid(String),
}

impl Catalog {
    /// The file at `path`, or the built-in catalog. `configured` says whether a provider id
    /// can be called (the offline model always can; upstreams need their key).
    pub fn load(
        path: Option<&Path>,
        configured: impl Fn(&str) -> bool,
    ) -> Result<Self, CatalogError> {
        let figment = match path {
            Some(path) => Figment::from(Toml::file_exact(path)),
            None => Figment::from(Toml::string(BUILT_IN)),
        };
        let file: CatalogFile = figment
            .extract()
            .map_err(|e| CatalogError::Read(e.to_string()))?;
        Self::validate(file, configured)
    }

    fn validate(
        file: CatalogFile,
        configured: impl Fn(&str) -> bool,
    ) -> Result<Self, CatalogError> {
        let mut seen = HashSet::new();
        let mut models = file.models;
        for model in &mut models {
            if !seen.insert(model.id.clone()) {
                return Err(CatalogError::Invalid(format!(
                    "model id {:?} appears twice",
                    model.id
                )));
            }
            Multiplier::per_mille(model.multiplier_per_mille)
                .map_err(|e| CatalogError::Invalid(format!("model {:?}: {e}", model.id)))?;
            if let Some(per_mille) = model.input_multiplier_per_mille {
                Multiplier::per_mille(per_mille).map_err(|e| {
                    CatalogError::Invalid(format!("model {:?}: input: {e}", model.id))
                })?;
            }
            if model.max_output_words == 0 {
                return Err(CatalogError::Invalid(format!(
                    "model {:?}: max_output_words is 0",
                    model.id
                )));
            }
            model.available = model.enabled && configured(&model.provider);
        }
        if !models.iter().any(|m| m.id == file.default_model) {
            return Err(CatalogError::Invalid(format!(
                "default_model {:?} is not in the catalog",
                file.default_model
            )));
        }
        Ok(Self {
            default_model: file.default_model,
            models,
        })
    }

    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }

    pub fn default_model(&self) -> &str {
        &self.default_model
    }

    /// An enabled model by id.
    pub fn get(&self, id: &str) -> Option<&ModelSpec> {
        self.models.iter().find(|m| m.id == id && m.enabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_catalog_loads_and_marks_keyless_models_unavailable() {
        let catalog = Catalog::load(None, |provider| provider == "offline").unwrap();
        assert_eq!(catalog.default_model(), "offline-demo");
        assert!(catalog.get("offline-demo").is_some_and(|m| m.available));
        assert!(catalog.get("mistral-7b").is_some_and(|m| !m.available));
        let with_key = Catalog::load(None, |provider| {
            ["offline", "deepinfra"].contains(&provider)
        })
        .unwrap();
        assert!(with_key.get("mistral-7b").is_some_and(|m| m.available));
        assert!(with_key.get("gpt-4o-mini").is_some_and(|m| !m.available));
    }

    #[test]
    fn bad_catalogs_are_refused() {
        let spec = |id: &str, m: u32| {
            format!(
            "[[models]]\nid = \"{id}\"\ndisplay_name = \"x\"\nprovider = \"offline\"\nupstream = \"x\"\nmultiplier_per_mille = {m}\ncontext_tokens = 1\nmax_output_words = 1\n"
        )
        };
        let parse = |text: String| {
            let file: CatalogFile = Figment::from(Toml::string(&text)).extract().unwrap();
            Catalog::validate(file, |_| false)
        };
        assert!(parse(format!(
            "default_model = \"a\"\n{}{}",
            spec("a", 1000),
            spec("a", 1000)
        ))
        .is_err());
        assert!(parse(format!("default_model = \"a\"\n{}", spec("a", 0))).is_err());
        assert!(parse(format!("default_model = \"b\"\n{}", spec("a", 1000))).is_err());
        assert!(parse(format!("default_model = \"a\"\n{}", spec("a", 1500))).is_ok());
        let with_input = |input: u32| {
            format!(
                "default_model = \"a\"\n{}input_multiplier_per_mille = {input}\n",
                spec("a", 1000)
            )
        };
        assert!(parse(with_input(0)).is_err());
        assert!(parse(with_input(100_001)).is_err());
        let catalog = parse(with_input(400)).unwrap();
        assert_eq!(
            catalog.get("a").map(|m| m.input_multiplier().get()),
            Some(400)
        );
    }

    #[test]
    fn the_input_rate_defaults_to_a_quarter_of_the_output_rate_rounded_up() {
        let catalog = Catalog::load(None, |_| true).unwrap();
        let input = |id: &str| catalog.get(id).map(|m| m.input_multiplier().get());
        assert_eq!(input("offline-demo"), Some(250));
        assert_eq!(input("mixtral-8x7b"), Some(375));
        assert_eq!(input("llama-3.1-70b"), Some(750));
    }
}
