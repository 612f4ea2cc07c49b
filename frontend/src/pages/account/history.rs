//! `/account/history`: what was spent, by day or model (chart), and every change of the
//! balance, newest first. The filters and the page live in the address (`kind`, `from`,
//! `to`, `cursor`), so "Older" is a link and the browser's Back goes to newer entries.

use chrono::{Days, NaiveDate};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use penora_api_types::Transaction;

use super::area::{kind_name, model_name, model_names, when, AccountNav, ModelNames, KINDS};
use super::usage_chart::UsageCard;
use crate::api;
use crate::format::credits;
use crate::pages::pager::LinkPager;
use crate::pages::table::{Col, Table};
use crate::session::Session;

const PAGE_SIZE: u32 = 20;

#[component]
pub fn History() -> impl IntoView {
    let models = model_names();
    view! {
        <crate::form::SignedIn heading="Credit history" what="your credit history">
            <AccountNav/>
            <UsageCard models=models/>
            <Ledger models=models/>
        </crate::form::SignedIn>
    }
}

/// The filters as they stand in the address.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    kind: String,
    from: String,
    to: String,
}

impl Filters {
    /// This page's address with these filters (and `cursor`, for an older page).
    fn href(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (key, value) in [("kind", &self.kind), ("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() {
                parts.push(format!("{key}={}", encode(value)));
            }
        }
        if let Some(cursor) = cursor {
            parts.push(format!("cursor={}", encode(cursor)));
        }
        if parts.is_empty() {
            "/account/history".to_owned()
        } else {
            format!("/account/history?{}", parts.join("&"))
        }
    }

    /// The API query: days become UTC instants, and `to` takes in its whole day.
    fn api_query(&self, cursor: Option<&str>) -> String {
        let mut query = format!("limit={PAGE_SIZE}");
        if !self.kind.is_empty() {
            query.push_str(&format!("&kind={}", encode(&self.kind)));
        }
        if let Some(day) = parse_day(&self.from) {
            query.push_str(&format!("&from={}T00:00:00Z", day.format("%Y-%m-%d")));
        }
        if let Some(day) = parse_day(&self.to).and_then(|d| d.checked_add_days(Days::new(1))) {
            query.push_str(&format!("&to={}T00:00:00Z", day.format("%Y-%m-%d")));
        }
        if let Some(cursor) = cursor {
            query.push_str(&format!("&cursor={}", encode(cursor)));
        }
        query
    }
}

fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

#[component]
fn Ledger(models: ModelNames) -> impl IntoView {
    let session = Session::get();
    let query = use_query_map();
    let navigate = use_navigate();
    let filters = Memo::new(move |_| {
        query.with(|q| Filters {
            kind: q.get("kind").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
        })
    });
    let cursor = Memo::new(move |_| query.with(|q| q.get("cursor")));
    let page = LocalResource::new(move || {
        let path = filters.with(|f| f.api_query(cursor.get().as_deref()));
        api::transactions(session, path)
    });

    // The form's own copy, applied to the address on submit.
    let kind = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    Effect::new(move |_| {
        let f = filters.get();
        kind.set(f.kind);
        from.set(f.from);
        to.set(f.to);
    });
    let apply = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let wanted = Filters {
                kind: kind.get_untracked(),
                from: from.get_untracked(),
                to: to.get_untracked(),
            };
            navigate(&wanted.href(None), Default::default());
        }
    };

    view! {
        <section class="card" data-testid="history">
            <h1>"Credit history"</h1>
            <form class="filters" on:submit=apply>
                <div class="field">
                    <label for="history-kind"><span>"What"</span></label>
                    <select id="history-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="" prop:selected=move || kind.with(String::is_empty)>"Everything"</option>
                        {KINDS.into_iter().map(|(id, name)| view! {
                            <option value=id prop:selected=move || kind.with(|k| k == id)>{name}</option>
                        }).collect_view()}
                    </select>
                </div>
                <label class="field" for="history-from">
                    <span>"From"</span>
                    <input id="history-from" type="date" prop:value=move || from.get()
                        on:input=move |ev| from.set(event_target_value(&ev))/>
                </label>
                <label class="field" for="history-to">
                    <span>"To"</span>
                    <input id="history-to" type="date" prop:value=move || to.get()
                        on:input=move |ev| to.set(event_target_value(&ev))/>
                </label>
                <div class="filter-actions">
                    <button type="submit" class="secondary">"Show"</button>
                    <Show when=move || filters.get() != Filters::default()>
                        <A href="/account/history">"Clear filters"</A>
                    </Show>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading your history…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(found) => {
                            let older = found.next_cursor.map(|c| filters.with_untracked(|f| f.href(Some(&c))));
                            // Back to the first page, from any other.
                            let newest = Signal::derive(move || cursor.get().map(|_| filters.with(|f| f.href(None))));
                            view! {
                                <Entries items=found.items models=models/>
                                <LinkPager newest=newest older=older/>
                            }.into_any()
                        }
                        Err(err) => view! {
                            <p class="form-error" role="alert">{format!("Could not load your history: {}", err.message())}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Entries(items: Vec<Transaction>, models: ModelNames) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted" data-testid="history-empty">"No entries match."</p> }
            .into_any();
    }
    view! {
        <Table class="ledger" cols=vec![Col::Text("Date"), Col::Text("What"), Col::Num("Amount"), Col::Num("Balance after")]>
                    {items.into_iter().map(|t| view! { <Entry entry=t models=models/> }).collect_view()}
                </Table>
    }
    .into_any()
}

#[component]
fn Entry(entry: Transaction, models: ModelNames) -> impl IntoView {
    let mut details = Vec::new();
    let kind = kind_name(&entry.kind);
    // A description that only repeats the kind ("Welcome bonus") is said once.
    let said = |d: &&String| !d.trim().is_empty() && !d.trim().eq_ignore_ascii_case(kind);
    if let Some(text) = entry.description.as_ref().filter(said) {
        details.push(text.clone());
    }
    if let Some(model) = &entry.model {
        details.push(model_name(models, model));
    }
    if let Some(words) = entry.words {
        details.push(format!("{words} words"));
    }
    let amount = if entry.amount_mc > 0 {
        format!("+{}", credits(entry.amount_mc))
    } else {
        // A real minus sign reads better than a hyphen.
        format!("\u{2212}{}", credits(-entry.amount_mc))
    };
    let (gain, spend) = (entry.amount_mc > 0, entry.amount_mc < 0);
    view! {
        <tr data-testid=format!("entry-{}", entry.kind)>
            <td class="nowrap">{when(entry.created_at)}</td>
            <td>
                <strong>{kind}</strong>
                {(!details.is_empty()).then(|| view! { <span class="muted">{format!(" · {}", details.join(" · "))}</span> })}
            </td>
            <td class="num" class:gain=gain class:spend=spend>{amount}</td>
            <td class="num">{credits(entry.balance_after_mc)}</td>
        </tr>
    }
}
