//! Credits spent over the last 30 days, by day or by model: a bar chart drawn here as SVG,
//! with the same numbers as a table for screen readers and for reading exact values.

use chrono::Days;
use leptos::prelude::*;
use penora_api_types::Usage;

use super::area::{model_name, ModelNames};
use crate::api;
use crate::format::credits;
use crate::pages::table::{Col, Table};
use crate::session::Session;

/// The drawing's size in its own units (it scales to the card's width).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;

/// One bar: its axis label, its full name, credits spent (mc) and words.
#[derive(Clone)]
struct Bar {
    label: String,
    name: String,
    spent_mc: i64,
    words: i64,
}

#[component]
pub fn UsageCard(models: ModelNames) -> impl IntoView {
    let session = Session::get();
    let group = RwSignal::new("day");
    let usage = LocalResource::new(move || api::usage(session, group.get()));
    let toggle = move |value: &'static str, label: &'static str| {
        view! {
            <button type="button" class="secondary" aria-pressed=move || (group.get() == value).to_string()
                on:click=move |_| group.set(value)>{label}</button>
        }
    };
    view! {
        <section class="card" data-testid="usage">
            <div class="card-head">
                <h2>"Credits spent, last 30 days"</h2>
                <div class="segmented" role="group" aria-label="Group by">
                    {toggle("day", "By day")}
                    {toggle("model", "By model")}
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading usage…"</p> }>
                {move || Suspend::new(async move {
                    match usage.await {
                        Ok(found) => {
                            let by_day = found.group_by == "day";
                            let bars = if by_day { day_bars(&found) } else { model_bars(&found, models) };
                            view! { <Chart bars=bars by_day=by_day/> }.into_any()
                        }
                        Err(err) => view! {
                            <p class="form-error" role="alert">{format!("Could not load your usage: {}", err.message())}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Every day of the window, spent or not, oldest first.
fn day_bars(usage: &Usage) -> Vec<Bar> {
    let first = usage.from.date_naive();
    let last = usage.to.date_naive();
    let mut bars = Vec::new();
    let mut day = first;
    while day <= last {
        let key = day.format("%Y-%m-%d").to_string();
        let row = usage.items.iter().find(|r| r.key == key);
        bars.push(Bar {
            label: day.format("%-d %b").to_string(),
            name: day.format("%-d %b %Y").to_string(),
            spent_mc: row.map_or(0, |r| r.spent_mc),
            words: row.map_or(0, |r| r.words),
        });
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    bars
}

/// One bar per model used, most spent first.
fn model_bars(usage: &Usage, models: ModelNames) -> Vec<Bar> {
    let mut rows = usage.items.clone();
    rows.sort_by_key(|r| std::cmp::Reverse(r.spent_mc));
    rows.into_iter()
        .map(|r| {
            let name = model_name(models, &r.key);
            Bar {
                label: short(&name, 14),
                name,
                spent_mc: r.spent_mc,
                words: r.words,
            }
        })
        .collect()
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// A round top for the axis: 1, 2 or 5 times a power of ten, in millicredits.
fn axis_top(max_mc: i64) -> i64 {
    let mut step = 1000;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= max_mc {
                return step * factor;
            }
        }
        step *= 10;
    }
}

fn describe(bar: &Bar) -> String {
    format!(
        "{}: {} credits, {} words",
        bar.name,
        credits(bar.spent_mc),
        bar.words
    )
}

#[component]
fn Chart(bars: Vec<Bar>, by_day: bool) -> impl IntoView {
    if bars.iter().all(|b| b.spent_mc == 0) && !by_day {
        return view! { <p class="muted" data-testid="usage-empty">"Nothing spent in the last 30 days."</p> }.into_any();
    }
    let total: i64 = bars.iter().map(|b| b.spent_mc).sum();
    let top = axis_top(bars.iter().map(|b| b.spent_mc).max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.7).min(64.0);
    // Label every day would crowd 30 bars: every 7th, counted from the newest.
    let every = if by_day { 7 } else { 1 };
    let count = bars.len();
    let summary = format!(
        "Bar chart of credits spent {}: {} credits in all.",
        if by_day {
            "per day over the last 30 days"
        } else {
            "per model over the last 30 days"
        },
        credits(total)
    );
    let y = move |mc: i64| TOP + plot_h - plot_h * mc as f64 / top as f64;
    let ticks = [0, top / 2, top];
    let drawn = bars.clone();
    view! {
        <figure class="chart" tabindex="0">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary data-testid="usage-chart"
                preserveAspectRatio="xMidYMid meet">
                {ticks.into_iter().map(|t| view! {
                    <g class="tick">
                        <line x1=LEFT x2=WIDTH - RIGHT y1=y(t) y2=y(t)></line>
                        <text x=LEFT - 6.0 y=y(t) + 4.0 text-anchor="end">{credits(t)}</text>
                    </g>
                }).collect_view()}
                {drawn.into_iter().enumerate().map(|(i, bar)| {
                    let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
                    let h = (y(0) - y(bar.spent_mc)).max(if bar.spent_mc > 0 { 1.0 } else { 0.0 });
                    let labelled = (count - 1 - i).is_multiple_of(every);
                    let tip = describe(&bar);
                    view! {
                        <g class="bar">
                            <rect x=x y=y(0) - h width=bar_w height=h>
                                <title>{tip}</title>
                            </rect>
                            {labelled.then(|| view! {
                                <text class="x-label" x=x + bar_w / 2.0 y=HEIGHT - BOTTOM + 16.0 text-anchor="middle">{bar.label.clone()}</text>
                            })}
                        </g>
                    }
                }).collect_view()}
                <line class="axis" x1=LEFT x2=WIDTH - RIGHT y1=y(0) y2=y(0)></line>
            </svg>
            <figcaption class="muted">
                {if total == 0 { "Nothing spent in the last 30 days.".to_owned() } else { format!("{} credits spent in all.", credits(total)) }}
            </figcaption>
        </figure>
        <details class="chart-table">
            <summary>"Show as a table"</summary>
            <Table cols=vec![Col::Text(if by_day { "Day" } else { "Model" }), Col::Num("Credits"), Col::Num("Words")]>
                        {bars.into_iter().filter(|b| b.spent_mc > 0).map(|b| view! {
                            <tr><th scope="row">{b.name}</th><td class="num">{credits(b.spent_mc)}</td><td class="num">{b.words}</td></tr>
                        }).collect_view()}
                    </Table>
        </details>
    }
    .into_any()
}
