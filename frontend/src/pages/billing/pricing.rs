//! `/pricing`: credit packs, top-ups, and plans with a Monthly/Yearly toggle, priced from the
//! catalog in its currency. Anyone may look; buying needs a sign-in.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::{BillingCatalog, CatalogItem, CurrentPlan, PlanTier};

use super::checkout::{self, StartError, Started};
use super::{money, period_word, storage};
use crate::api;
use crate::format::credits;
use crate::session::Session;

/// Where a signed-out visitor goes to buy, and comes back from.
const SIGN_IN_TO_BUY: &str = "/sign-in?next=/pricing";

/// What the buy buttons share: the purchase running, where it went, and what went wrong.
#[derive(Clone, Copy)]
struct Buying {
    action: Action<CatalogItem, Result<Started, StartError>>,
    /// The item whose checkout the browser is leaving for (every button stays disabled).
    leaving: RwSignal<Option<String>>,
}

impl Buying {
    fn busy_with(&self, id: &str) -> bool {
        let running = self.action.pending().get()
            && self
                .action
                .input()
                .with(|i| i.as_ref().is_some_and(|i| i.id == id));
        running || self.leaving.with(|l| l.as_deref() == Some(id))
    }

    fn any_busy(&self) -> bool {
        self.action.pending().get() || self.leaving.with(Option::is_some)
    }
}

#[component]
pub fn Pricing() -> impl IntoView {
    let session = Session::get();
    let catalog = LocalResource::new(api::catalog);
    view! {
        <section class="card pricing" data-testid="pricing">
            <h1>"Pricing"</h1>
            <p class="hint">
                "Credits pay for writing: one credit is about 100 words on a standard model. "
                "Buy them once, or get them every month with a plan that also gives more storage and models."
            </p>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading prices…"</p> }>
                {move || catalog.get().map(|found| match found {
                    Ok(c) => view! { <Catalog catalog=c session=session/> }.into_any(),
                    Err(err) => view! {
                        <p class="form-error" role="alert">{format!("The prices could not be loaded: {}", err.message())}</p>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Catalog(catalog: BillingCatalog, session: Session) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let leaving = RwSignal::new(None::<String>);
    let action = Action::new_local(move |item: &CatalogItem| {
        let item = item.clone();
        problem.set(None);
        notice.set(None);
        let dismissed = move || notice.set(Some("Checkout closed: nothing was charged.".into()));
        async move { checkout::start(session, item, dismissed).await }
    });
    Effect::new(move |_| {
        action.value().with(|done| match done {
            Some(Ok(Started::Leaving)) => leaving.set(action.input().get_untracked().map(|i| i.id)),
            Some(Err(err)) => problem.set(Some(err.message())),
            _ => {}
        });
    });
    let buying = Buying { action, leaving };
    let plan = LocalResource::new(move || {
        let signed_in = session.user().is_some();
        async move {
            match signed_in {
                true => api::current_plan(session).await.ok(),
                false => None,
            }
        }
    });
    let models = LocalResource::new(api::models);
    let names = Signal::derive(move || {
        models
            .get()
            .and_then(Result::ok)
            .map_or_else(HashMap::new, |list| {
                list.models
                    .into_iter()
                    .map(|m| (m.id, m.display_name))
                    .collect::<HashMap<_, _>>()
            })
    });
    let current_tier = Signal::derive(move || {
        plan.get().flatten().and_then(|p: CurrentPlan| {
            p.subscription
                .filter(|s| {
                    !matches!(
                        s.status.as_str(),
                        "cancelled" | "completed" | "halted" | "expired"
                    )
                })
                .map(|_| p.plan.id)
        })
    });

    let of_kind = |kind: &str| -> Vec<CatalogItem> {
        catalog
            .items
            .iter()
            .filter(|i| i.kind == kind)
            .cloned()
            .collect()
    };
    let (packs, topups, plans) = (of_kind("pack"), of_kind("topup"), of_kind("plan"));
    let sandbox = catalog.gateway == "sandbox";
    view! {
        {sandbox.then(|| view! {
            <p class="test-mode" data-testid="test-mode">"Test mode: payments go to Penora's sandbox and no money is taken."</p>
        })}
        <p class="notice" role="status">{move || notice.get()}</p>
        <Show when=move || problem.with(Option::is_some)>
            <p class="form-error" role="alert" data-testid="buy-error">{move || problem.get()}</p>
        </Show>
        {(!packs.is_empty()).then(|| view! {
            <h2>"Credit packs"</h2>
            <div class="price-grid" data-testid="packs">
                {packs.into_iter().map(|item| view! { <ItemCard item=item buying=buying session=session/> }).collect_view()}
            </div>
        })}
        {(!topups.is_empty()).then(|| view! {
            <h2>"Top-ups"</h2>
            <p class="hint">"A few credits when you run short."</p>
            <div class="price-grid small" data-testid="topups">
                {topups.into_iter().map(|item| view! { <ItemCard item=item buying=buying session=session/> }).collect_view()}
            </div>
        })}
        {(!plans.is_empty()).then(|| view! {
            <Plans plans=plans tiers=catalog.tiers.clone() free=catalog.free.clone()
                names=names current=current_tier buying=buying session=session/>
        })}
    }
}

/// The buy button of `item`, or the way to sign in first.
#[component]
fn BuyButton(item: CatalogItem, buying: Buying, session: Session, label: String) -> impl IntoView {
    let id = item.id.clone();
    let busy_id = id.clone();
    let signed_out = move || session.ready() && session.user().is_none();
    view! {
        <Show
            when=move || !signed_out()
            fallback=|| view! { <A href=SIGN_IN_TO_BUY attr:class="button secondary" attr:data-testid="sign-up-to-buy">"Sign up to buy"</A> }
        >
            {
                let item = item.clone();
                let busy_id = busy_id.clone();
                let label = label.clone();
                view! {
                    <button
                        type="button"
                        data-testid=format!("buy-{id}")
                        disabled=move || buying.any_busy() || !session.ready()
                        on:click=move |_| { buying.action.dispatch_local(item.clone()); }
                    >
                        {move || if buying.busy_with(&busy_id) { "Opening checkout…".to_owned() } else { label.clone() }}
                    </button>
                }
            }
        </Show>
    }
}

#[component]
fn ItemCard(item: CatalogItem, buying: Buying, session: Session) -> impl IntoView {
    let price = money(item.price_minor, &item.currency);
    let label = format!("Buy for {price}");
    let (testid, name) = (format!("item-{}", item.id), item.name.clone());
    view! {
        <article class="price-card" data-testid=testid>
            <h3>{name}</h3>
            <p class="price">{price}</p>
            <p>{format!("{} credits", credits(item.credits_mc))}</p>
            <BuyButton item=item buying=buying session=session label=label/>
        </article>
    }
}

/// What a tier gives, as a list.
fn includes(tier: &PlanTier, names: &HashMap<String, String>) -> Vec<String> {
    let models: Vec<String> = tier
        .models
        .iter()
        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
        .collect();
    let mut lines = vec![
        format!("{} of storage", storage(tier.storage_bytes)),
        format!("{} generations at once", tier.concurrent_generations),
        format!("Up to {} generations a minute", tier.generations_per_minute),
    ];
    lines.push(match models.len() {
        0 => "No models".to_owned(),
        _ => format!("Models: {}", models.join(", ")),
    });
    lines
}

#[component]
fn Plans(
    plans: Vec<CatalogItem>,
    tiers: Vec<PlanTier>,
    free: PlanTier,
    names: Signal<HashMap<String, String>>,
    current: Signal<Option<String>>,
    buying: Buying,
    session: Session,
) -> impl IntoView {
    let yearly = RwSignal::new(false);
    let period = move || if yearly.get() { "yearly" } else { "monthly" };
    let monthly_price = |tier: &str, plans: &[CatalogItem]| {
        plans
            .iter()
            .find(|p| p.tier.as_deref() == Some(tier) && p.period.as_deref() == Some("monthly"))
            .map(|p| p.price_minor)
    };
    let free_tier = free.clone();
    let cards = move || {
        let wanted = period();
        let free_tier = free_tier.clone();
        let mut cards = vec![view! {
            <article class="price-card plan" data-testid="plan-free">
                <h3>{free_tier.name.clone()}</h3>
                <p class="price">"Free"</p>
                <p>"Pay as you go with packs and top-ups"</p>
                <ul class="includes">
                    {move || includes(&free_tier, &names.get()).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                </ul>
            </article>
        }
        .into_any()];
        for tier in &tiers {
            let Some(item) = plans
                .iter()
                .find(|p| {
                    p.tier.as_deref() == Some(tier.id.as_str())
                        && p.period.as_deref() == Some(wanted)
                })
                .cloned()
            else {
                continue;
            };
            let each = period_word(item.period.as_deref());
            // Against twelve months of the monthly price, in whole per cent.
            let saving = (wanted == "yearly")
                .then(|| monthly_price(&tier.id, &plans))
                .flatten()
                .map(|m| m * 12)
                .filter(|year| *year > item.price_minor)
                .map(|year| (year - item.price_minor) * 100 / year);
            let tier_id = tier.id.clone();
            let is_current = move || current.get().as_deref() == Some(tier_id.as_str());
            let tier = tier.clone();
            let label = format!("Choose {}", tier.name);
            cards.push(view! {
                <article class="price-card plan" class:current=is_current.clone() data-testid=format!("plan-{}", item.id)>
                    <h3>{tier.name.clone()}</h3>
                    <p class="price">{money(item.price_minor, &item.currency)}<span class="per">{format!(" / {each}")}</span></p>
                    {saving.map(|s| view! { <p class="saving">{format!("Save {s}% against monthly")}</p> })}
                    <p>{format!("{} credits each {each}", credits(item.credits_mc))}</p>
                    <ul class="includes">
                        {move || includes(&tier, &names.get()).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                    </ul>
                    <Show
                        when=is_current.clone()
                        fallback={
                            let item = item.clone();
                            let label = label.clone();
                            move || view! { <BuyButton item=item.clone() buying=buying session=session label=label.clone()/> }
                        }
                    >
                        <p class="badge">"Your plan"</p>
                        <A href="/billing">"Manage it on Billing"</A>
                    </Show>
                </article>
            }
            .into_any());
        }
        cards
    };
    view! {
        <h2>"Plans"</h2>
        <div class="period-toggle" role="group" aria-label="Billing period">
            <button type="button" class:secondary=move || yearly.get() aria-pressed=move || (!yearly.get()).to_string()
                on:click=move |_| yearly.set(false)>"Monthly"</button>
            <button type="button" class:secondary=move || !yearly.get() aria-pressed=move || yearly.get().to_string()
                on:click=move |_| yearly.set(true)>"Yearly"</button>
        </div>
        <div class="price-grid plans" data-testid="plans">{cards}</div>
        <p class="hint">"A plan renews each period until you cancel it; cancelling keeps it until the period you paid for ends."</p>
    }
}
