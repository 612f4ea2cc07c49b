//! A table that scrolls sideways on a small screen, with its heading row; the account, billing
//! and admin pages list their entries in it.

use leptos::prelude::*;

/// A column heading.
#[derive(Clone, Copy)]
pub enum Col {
    Text(&'static str),
    /// Numbers, aligned right.
    Num(&'static str),
    /// Named for screen readers only (a column of buttons).
    Hidden(&'static str),
}

/// The table; its children are the rows.
#[component]
pub fn Table(
    cols: Vec<Col>,
    #[prop(optional)] class: Option<&'static str>,
    #[prop(optional)] testid: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let heads = cols
        .into_iter()
        .map(|col| match col {
            Col::Text(text) => view! { <th scope="col">{text}</th> }.into_any(),
            Col::Num(text) => view! { <th scope="col" class="num">{text}</th> }.into_any(),
            Col::Hidden(text) => view! {
                <th scope="col"><span class="visually-hidden">{text}</span></th>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)">
            <table class=class data-testid=testid>
                <thead><tr>{heads}</tr></thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
