//! The billing catalog: what is sold (top-ups, packs, plans), the plan tiers, and who sells
//! it. Loaded from `config/billing.toml` (built in) or the file named by
//! `PENORA_BILLING_FILE`, and checked at start: a purchase can only ever grant what an item
//! of this catalog says, so no item can be paid for without granting its credits.

use std::collections::HashSet;
use std::path::Path;

use figment::providers::{Format, Toml};
use figment::Figment;
use penora_domain::{Currency, ItemKind, Millicredits, Money, Period};
use serde::Deserialize;

use crate::catalog::Catalog as Models;

const BUILT_IN: &str = include_str!("../../../../config/billing.toml");

/// The tier of an account without a plan.
pub const FREE_TIER: &str = "free";

/// Printed on receipts.
#[derive(Debug, Clone, Deserialize)]
pub struct Seller {
    pub name: String,
    #[serde(default)]
    pub address: Vec<String>,
    pub email: String,
    #[serde(default)]
    pub tax_id: Option<String>,
}

/// What a plan tier gives its subscribers while their plan is active.
#[derive(Debug, Clone, Deserialize)]
pub struct Tier {
    pub id: String,
    pub name: String,
    pub storage_bytes: i64,
    pub concurrent_generations: u32,
    pub generations_per_minute: u32,
}

/// One thing for sale.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    pub name: String,
    /// Whole credits granted by a purchase, or by each paid period of a plan.
    pub credits: i64,
    /// In the catalog currency's smallest unit.
    pub price_minor: i64,
    /// Plans only.
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub period: Option<Period>,
}

impl Item {
    pub fn grant(&self) -> Millicredits {
        Millicredits::from_credits(self.credits)
    }
}

#[derive(Debug, Clone, Deserialize)]
struct CatalogFile {
    currency: String,
    seller: Seller,
    #[serde(default)]
    tiers: Vec<Tier>,
    items: Vec<Item>,
}

/// The checked catalog.
#[derive(Debug, Clone)]
pub struct BillingCatalog {
    currency: Currency,
    seller: Seller,
    tiers: Vec<Tier>,
    items: Vec<Item>,
}

#[derive(Debug, thiserror::Error)]
pub enum BillingCatalogError {
    #[error("cannot read the billing catalog: {0}")]
    Read(String),
    #[error("the billing catalog is invalid: {0}")]
    Invalid(String),
}

fn invalid(message: String) -> BillingCatalogError {
    BillingCatalogError::Invalid(message)
}

/// Credits or a price no real catalog reaches; keeps every sum far from overflowing.
const MAX_CREDITS: i64 = 100_000_000;
const MAX_PRICE_MINOR: i64 = 1_000_000_000_000;

impl BillingCatalog {
    /// The file at `path`, or the built-in catalog; `models` is checked against its tiers.
    pub fn load(path: Option<&Path>, models: &Models) -> Result<Self, BillingCatalogError> {
        let figment = match path {
            Some(path) => Figment::from(Toml::file_exact(path)),
            None => Figment::from(Toml::string(BUILT_IN)),
        };
        let file: CatalogFile = figment
            .extract()
            .map_err(|e| BillingCatalogError::Read(e.to_string()))?;
        Self::validate(file, models)
    }

    fn validate(file: CatalogFile, models: &Models) -> Result<Self, BillingCatalogError> {
        let currency: Currency = file.currency.parse().map_err(|e| invalid(format!("{e}")))?;
        let mut tier_ids = HashSet::new();
        for tier in &file.tiers {
            if tier.id == FREE_TIER || !tier_ids.insert(tier.id.as_str()) {
                return Err(invalid(format!(
                    "tier id {:?} is reserved or appears twice",
                    tier.id
                )));
            }
            if tier.storage_bytes <= 0
                || tier.concurrent_generations == 0
                || tier.generations_per_minute == 0
            {
                return Err(invalid(format!(
                    "tier {:?}: storage, concurrency and rate must be positive",
                    tier.id
                )));
            }
        }
        let mut item_ids = HashSet::new();
        for item in &file.items {
            let name = &item.id;
            if item.id.is_empty() || !item_ids.insert(item.id.as_str()) {
                return Err(invalid(format!(
                    "item id {name:?} is empty or appears twice"
                )));
            }
            if !(1..=MAX_CREDITS).contains(&item.credits) {
                return Err(invalid(format!(
                    "item {name:?}: credits must be 1 to {MAX_CREDITS}"
                )));
            }
            if !(1..=MAX_PRICE_MINOR).contains(&item.price_minor) {
                return Err(invalid(format!(
                    "item {name:?}: price_minor must be positive"
                )));
            }
            match (item.kind, &item.tier, item.period) {
                (ItemKind::Plan, Some(tier), Some(_)) if tier_ids.contains(tier.as_str()) => {}
                (ItemKind::Plan, Some(tier), Some(_)) => {
                    return Err(invalid(format!("item {name:?}: no tier {tier:?}")));
                }
                (ItemKind::Plan, _, _) => {
                    return Err(invalid(format!(
                        "item {name:?}: a plan needs a tier and a period"
                    )));
                }
                (_, None, None) => {}
                _ => {
                    return Err(invalid(format!(
                        "item {name:?}: only plans have a tier and a period"
                    )));
                }
            }
        }
        for model in models.models() {
            if let Some(unknown) = model.plans.iter().find(|p| !tier_ids.contains(p.as_str())) {
                return Err(invalid(format!(
                    "model {:?} names the tier {unknown:?}, which the billing catalog does not have",
                    model.id
                )));
            }
        }
        Ok(Self {
            currency,
            seller: file.seller,
            tiers: file.tiers,
            items: file.items,
        })
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn seller(&self) -> &Seller {
        &self.seller
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Tiers, lowest first.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn tier(&self, id: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.id == id)
    }

    /// An item's price.
    pub fn price(&self, item: &Item) -> Money {
        Money::new(item.price_minor, self.currency)
    }

    /// The highest of `tiers` the catalog knows (a user with two entitled subscriptions gets
    /// the better one).
    pub fn best<'a>(&'a self, tiers: &[String]) -> Option<&'a Tier> {
        self.tiers
            .iter()
            .rev()
            .find(|tier| tiers.contains(&tier.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Models {
        Models::load(None, |_| true).unwrap()
    }

    fn parse(text: &str) -> Result<BillingCatalog, BillingCatalogError> {
        let file: CatalogFile = Figment::from(Toml::string(text))
            .extract()
            .map_err(|e| BillingCatalogError::Read(e.to_string()))?;
        BillingCatalog::validate(file, &models())
    }

    const HEAD: &str = "currency = \"USD\"\n[seller]\nname = \"P\"\nemail = \"b@p.example\"\n\
        [[tiers]]\nid = \"lite\"\nname = \"Lite\"\nstorage_bytes = 1\nconcurrent_generations = 1\ngenerations_per_minute = 1\n\
        [[tiers]]\nid = \"pro\"\nname = \"Pro\"\nstorage_bytes = 1\nconcurrent_generations = 1\ngenerations_per_minute = 1\n\
        [[tiers]]\nid = \"studio\"\nname = \"Studio\"\nstorage_bytes = 1\nconcurrent_generations = 1\ngenerations_per_minute = 1\n";

    fn item(id: &str, kind: &str, credits: i64, price: i64, extra: &str) -> String {
        format!("[[items]]\nid = \"{id}\"\nkind = \"{kind}\"\nname = \"x\"\ncredits = {credits}\nprice_minor = {price}\n{extra}")
    }

    #[test]
    fn the_built_in_catalog_is_the_issue_table() {
        let catalog = BillingCatalog::load(None, &models()).unwrap();
        assert_eq!(catalog.currency(), Currency::USD);
        let row = |id: &str| {
            let item = catalog.item(id).unwrap();
            (item.credits, item.price_minor)
        };
        assert_eq!(row("topup-10"), (10, 100));
        assert_eq!(row("pack-100"), (100, 900));
        assert_eq!(row("pro-yearly"), (9_000, 30_000));
        assert_eq!(row("studio-monthly"), (5_000, 15_000));
        assert_eq!(catalog.tier("pro").unwrap().storage_bytes, 20 * 1024 * 1024);
        let best = catalog.best(&["lite".to_owned(), "studio".to_owned()]);
        assert_eq!(best.map(|t| t.id.as_str()), Some("studio"));
    }

    #[test]
    fn bad_catalogs_are_refused_with_the_item_named() {
        let ok = format!("{HEAD}{}", item("a", "pack", 1, 1, ""));
        assert!(parse(&ok).is_ok());
        let twice = format!(
            "{HEAD}{}{}",
            item("a", "pack", 1, 1, ""),
            item("a", "topup", 1, 1, "")
        );
        assert!(parse(&twice).unwrap_err().to_string().contains("\"a\""));
        for (credits, price) in [(0, 1), (1, 0), (-5, 1), (1, -1)] {
            let bad = format!("{HEAD}{}", item("a", "pack", credits, price, ""));
            assert!(parse(&bad).is_err(), "{credits} {price}");
        }
        let no_tier = format!(
            "{HEAD}{}",
            item("p", "plan", 1, 1, "period = \"monthly\"\n")
        );
        assert!(parse(&no_tier).is_err());
        let unknown_tier = format!(
            "{HEAD}{}",
            item("p", "plan", 1, 1, "tier = \"gold\"\nperiod = \"monthly\"\n")
        );
        assert!(parse(&unknown_tier)
            .unwrap_err()
            .to_string()
            .contains("gold"));
        let pack_with_tier = format!("{HEAD}{}", item("a", "pack", 1, 1, "tier = \"lite\"\n"));
        assert!(parse(&pack_with_tier).is_err());
        let bad_currency = ok.replace("\"USD\"", "\"usd\"");
        assert!(parse(&bad_currency).is_err());
        let unknown_kind = format!("{HEAD}{}", item("a", "gift", 1, 1, ""));
        assert!(parse(&unknown_kind).is_err());
    }

    #[test]
    fn a_model_naming_a_tier_the_catalog_lacks_is_refused() {
        // The built-in models name lite, pro and studio; a catalog without studio fails.
        let without_studio = HEAD.split("[[tiers]]\nid = \"studio\"").next().unwrap();
        let text = format!("{without_studio}{}", item("a", "pack", 1, 1, ""));
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("studio"), "{err}");
    }
}
