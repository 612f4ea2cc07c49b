//! The admin area (admins only): users and balances, a user's ledger with adjustments, the
//! audit log, app keys and payments. Everything here sits behind [`AdminOnly`]; the server
//! refuses anyone else anyway.

pub mod amounts;
pub mod app_keys;
pub mod audit;
pub mod payments;
pub mod user;
pub mod users;

use leptos::prelude::*;
use leptos_router::components::A;
use penora_api_types::RoleView;

use crate::api::ApiError;
use crate::form::SignedIn;
pub use crate::pages::pager::{Pager, Pages};
use crate::session::Session;

pub use app_keys::AdminAppKeys;
pub use audit::AdminAudit;
pub use payments::AdminPayments;
pub use user::AdminUserPage;
pub use users::AdminUsers;

/// Shows `children` (under the admin sub-nav) to a signed-in admin; anyone else is told the
/// page is for administrators.
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let session = Session::get();
    let is_admin = Memo::new(move |_| {
        session
            .user()
            .is_some_and(|user| user.role == RoleView::Admin)
    });
    let children = StoredValue::new(children);
    view! {
        <SignedIn heading="Admin" what="the admin area">
            <Show
                when=move || is_admin.get()
                fallback=|| view! {
                    <section class="card narrow" data-testid="admin-refused">
                        <h1>"Admin"</h1>
                        <p role="alert">"This page is for administrators."</p>
                    </section>
                }
            >
                <SubNav/>
                {children.with_value(|children| children())}
            </Show>
        </SignedIn>
    }
}

#[component]
fn SubNav() -> impl IntoView {
    view! {
        <nav class="subnav" aria-label="Admin">
            <A href="/admin/users">"Users"</A>
            <A href="/admin/audit">"Audit log"</A>
            <A href="/admin/app-keys">"App keys"</A>
            <A href="/admin/payments">"Payments"</A>
        </nav>
    }
}

/// A moment as the admin pages show it: "4 Dec 2026, 14:05 UTC".
pub use crate::format::{entry_kind as entry_label, short_id as short, when};

/// Signed credits: "+12.5", "-3".
pub fn signed_credits(mc: i64) -> String {
    let text = crate::format::credits(mc);
    if mc > 0 {
        format!("+{text}")
    } else {
        text
    }
}

/// What failed to load, with the server's message.
#[component]
pub fn LoadError(what: &'static str, error: ApiError) -> impl IntoView {
    view! { <p class="form-error" role="alert">{format!("{what}: {}", error.message())}</p> }
}

/// A key for one write that stays the same for its retries (the server's `Idempotency-Key`).
pub fn fresh_key() -> String {
    let random = (js_sys::Math::random() * 1e15) as u64;
    let now = js_sys::Date::now() as u64;
    format!("web-{now:x}-{random:x}")
}
