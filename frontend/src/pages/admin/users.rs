//! Users with their balances, newest first, searched by email; each opens the user's page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use penora_api_types::{AdminUser, RoleView};

use super::{when, AdminOnly, LoadError, Pager, Pages};
use crate::api;
use crate::format::credits;
use crate::pages::table::{Col, Table};
use crate::session::Session;

#[component]
pub fn AdminUsers() -> impl IntoView {
    view! { <AdminOnly><UsersCard/></AdminOnly> }
}

#[component]
fn UsersCard() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let params = use_query_map();
    // The search lives in the address (`?q=`), so going back from a user keeps it.
    let searched = Memo::new(move |_| params.with(|p| p.get("q").unwrap_or_default()));
    let typed = RwSignal::new(searched.get_untracked());
    let pages = Pages::new();
    Effect::new(move |previous: Option<String>| {
        let q = searched.get();
        if previous.is_some_and(|p| p != q) {
            pages.reset();
            typed.set(q.clone());
        }
        q
    });
    let users = LocalResource::new(move || {
        let path = api::query(&[("q", Some(searched.get())), ("cursor", pages.cursor.get())]);
        api::admin_users(session, path)
    });
    let next = Signal::derive(move || {
        users
            .get()
            .and_then(|r| r.ok())
            .and_then(|page| page.next_cursor)
    });

    let search = move |ev: SubmitEvent| {
        ev.prevent_default();
        let q = typed.get_untracked();
        let path = format!("/admin/users{}", api::query(&[("q", Some(q))]));
        navigate(&path, Default::default());
    };

    view! {
        <section class="card" data-testid="admin-users">
            <h1>"Users"</h1>
            <form class="toolbar" role="search" on:submit=search>
                <input type="search" name="q" aria-label="Search users by email" placeholder="Part of an email address"
                    prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                <button type="submit">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(page) if page.items.is_empty() => view! {
                            <p class="muted">"No users match this search."</p>
                        }.into_any(),
                        Ok(page) => view! { <UserTable items=page.items/> }.into_any(),
                        Err(error) => view! { <LoadError what="Users could not be loaded" error=error/> }.into_any(),
                    }
                })}
            </Transition>
            <Pager pages=pages next=next/>
        </section>
    }
}

#[component]
fn UserTable(items: Vec<AdminUser>) -> impl IntoView {
    view! {
        <Table class="admin-table" cols=vec![Col::Text("Email"), Col::Text("Name"), Col::Text("Role"), Col::Num("Credits"), Col::Text("Joined")]>
                    {items.into_iter().map(|item| {
                        let user = item.user;
                        let role = match user.role {
                            RoleView::Admin => "Admin",
                            RoleView::User => "Writer",
                        };
                        let held = item.balance.reserved_mc;
                        let title = (held > 0).then(|| format!("{} held for generations", credits(held)));
                        view! {
                            <tr data-testid="admin-user-row">
                                <td><A href=format!("/admin/users/{}", user.id)>{user.email}</A></td>
                                <td>{user.display_name}</td>
                                <td>{role}</td>
                                <td class="num" title=title>{credits(item.balance.available_mc)}</td>
                                <td>{when(user.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </Table>
    }
}
