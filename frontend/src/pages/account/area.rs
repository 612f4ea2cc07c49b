//! What the account pages share: their sub-navigation and how they say dates, roles and
//! credit-history kinds.

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::RoleView;

/// Overview · History · API keys. The link of the page shown carries `aria-current="page"`.
#[component]
pub fn AccountNav() -> impl IntoView {
    view! {
        <nav class="account-nav" aria-label="Account">
            <A href="/account" exact=true>"Overview"</A>
            <A href="/account/history" exact=true>"History"</A>
            <A href="/account/api-keys" exact=true>"API keys"</A>
        </nav>
    }
}

/// "4 Dec 2026, 14:05 UTC".
pub use crate::format::{entry_kind as kind_name, when, ENTRY_KINDS as KINDS};

pub fn role_name(role: RoleView) -> &'static str {
    match role {
        RoleView::User => "Member",
        RoleView::Admin => "Administrator",
    }
}

/// Model ids and their display names, from the catalog (empty when it cannot be read: the
/// ids are shown then).
pub type ModelNames = LocalResource<Vec<(String, String)>>;

pub fn model_names() -> ModelNames {
    LocalResource::new(|| async {
        crate::api::models()
            .await
            .map(|list| {
                list.models
                    .into_iter()
                    .map(|m| (m.id, m.display_name))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The display name of model `id` (a model no longer in the catalog keeps its id).
pub fn model_name(names: ModelNames, id: &str) -> String {
    names.with(|found| {
        found
            .as_ref()
            .and_then(|list| list.iter().find(|(m, _)| m == id))
            .map_or_else(|| id.to_owned(), |(_, name)| name.clone())
    })
}
