//! The pages loaded on demand, one split point per area: the first page someone opens in
//! an area fetches that area's code (and code it shares with other areas, once); the other
//! pages of the area come with it. `cargo xtask build-frontend` splits the module at these
//! points (wasm_split, see `xtask/src/split.rs`). The home page, signing in and up, the
//! welcome page and "not found" stay in `app.rs`, in the main module.
//!
//! One split point per area rather than per page: every split point, and every set of split
//! points that share code, becomes a file (a point per page made 300 files, a dozen fetched
//! for one page). A page added to an area goes in its enum and its loader's `match`.

use leptos::prelude::*;
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use leptos_router::LazyRoute;

use crate::pages::account::{self, api_keys, history};
use crate::pages::{admin, billing, email_links, new_story, shared, sso, story, workspace, writer};

/// The pages people reach from a mail or a partner's site, not from the home page.
#[derive(Clone, Copy)]
enum LinkArea {
    ForgotPassword,
    ResetPassword,
    VerifyEmail,
    Sso,
}

#[wasm_split(penora_link_area, wasm_split_path = ::leptos::wasm_split, fallible)]
fn link_area(page: LinkArea) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        LinkArea::ForgotPassword => view! { <email_links::ForgotPassword/> }.into_any(),
        LinkArea::ResetPassword => view! { <email_links::ResetPassword/> }.into_any(),
        LinkArea::VerifyEmail => view! { <email_links::VerifyEmail/> }.into_any(),
        LinkArea::Sso => view! { <sso::SsoLanding/> }.into_any(),
    })
}

/// The pages of the account area (`/account*`).
#[derive(Clone, Copy)]
enum AccountArea {
    Account,
    History,
    ApiKeys,
}

#[wasm_split(penora_account_area, wasm_split_path = ::leptos::wasm_split, fallible)]
fn account_area(page: AccountArea) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        AccountArea::Account => view! { <account::Account/> }.into_any(),
        AccountArea::History => view! { <history::History/> }.into_any(),
        AccountArea::ApiKeys => view! { <api_keys::ApiKeys/> }.into_any(),
    })
}

/// The writer: projects, a project, a quick draft.
#[derive(Clone, Copy)]
enum WriterArea {
    Projects,
    Project,
    Write,
}

#[wasm_split(penora_writer_area, wasm_split_path = ::leptos::wasm_split, fallible)]
fn writer_area(page: WriterArea) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        WriterArea::Projects => view! { <workspace::Workspace/> }.into_any(),
        WriterArea::Project => view! { <writer::ProjectWriter/> }.into_any(),
        WriterArea::Write => view! { <writer::Write/> }.into_any(),
    })
}

/// A shared project, read by anyone with the link: not the writer's code.
#[wasm_split(penora_shared_view, wasm_split_path = ::leptos::wasm_split, fallible)]
fn shared_view() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <shared::SharedView/> }.into_any())
}

/// The story builder (`/stories/*`).
#[derive(Clone, Copy)]
enum StoriesArea {
    New,
    Story,
}

#[wasm_split(penora_stories_area, wasm_split_path = ::leptos::wasm_split, fallible)]
fn stories_area(page: StoriesArea) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        StoriesArea::New => view! { <new_story::NewStory/> }.into_any(),
        StoriesArea::Story => view! { <story::StoryPage/> }.into_any(),
    })
}

/// Prices and payments (`/pricing`, `/billing*`).
#[derive(Clone, Copy)]
enum BillingArea {
    Pricing,
    Plan,
    Result,
}

#[wasm_split(penora_billing_area, wasm_split_path = ::leptos::wasm_split, fallible)]
fn billing_area(page: BillingArea) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        BillingArea::Pricing => view! { <billing::pricing::Pricing/> }.into_any(),
        BillingArea::Plan => view! { <billing::plan::Billing/> }.into_any(),
        BillingArea::Result => view! { <billing::result::BillingResult/> }.into_any(),
    })
}

/// The admin pages (`/admin/*`).
#[derive(Clone, Copy)]
enum AdminArea {
    Users,
    User,
    Audit,
    AppKeys,
    Payments,
}

#[wasm_split(penora_admin_area, wasm_split_path = ::leptos::wasm_split, fallible)]
fn admin_area(page: AdminArea) -> Result<AnyView, SplitLoaderError> {
    Ok(match page {
        AdminArea::Users => view! { <admin::AdminUsers/> }.into_any(),
        AdminArea::User => view! { <admin::AdminUserPage/> }.into_any(),
        AdminArea::Audit => view! { <admin::AdminAudit/> }.into_any(),
        AdminArea::AppKeys => view! { <admin::AdminAppKeys/> }.into_any(),
        AdminArea::Payments => view! { <admin::AdminPayments/> }.into_any(),
    })
}

/// A route whose page is loaded on demand: `lazy_page!(Route type, loader call)`. The
/// route holds no data of its own (pages load theirs), so `data()` is free. A load that
/// fails shows a message instead of the page ([`crate::area`]).
macro_rules! lazy_page {
    ($name:ident, $load:expr) => {
        pub struct $name;

        impl LazyRoute for $name {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                crate::area::page($load).await
            }
        }
    };
}

lazy_page!(ForgotPasswordPage, link_area(LinkArea::ForgotPassword));
lazy_page!(ResetPasswordPage, link_area(LinkArea::ResetPassword));
lazy_page!(VerifyEmailPage, link_area(LinkArea::VerifyEmail));
lazy_page!(SsoPage, link_area(LinkArea::Sso));
lazy_page!(AccountPage, account_area(AccountArea::Account));
lazy_page!(HistoryPage, account_area(AccountArea::History));
lazy_page!(ApiKeysPage, account_area(AccountArea::ApiKeys));
lazy_page!(WorkspacePage, writer_area(WriterArea::Projects));
lazy_page!(ProjectWriterPage, writer_area(WriterArea::Project));
lazy_page!(WritePage, writer_area(WriterArea::Write));
lazy_page!(SharedPage, shared_view());
lazy_page!(NewStoryPage, stories_area(StoriesArea::New));
lazy_page!(StoryPage, stories_area(StoriesArea::Story));
lazy_page!(PricingPage, billing_area(BillingArea::Pricing));
lazy_page!(BillingPage, billing_area(BillingArea::Plan));
lazy_page!(BillingResultPage, billing_area(BillingArea::Result));
lazy_page!(AdminUsersPage, admin_area(AdminArea::Users));
lazy_page!(AdminUserPage, admin_area(AdminArea::User));
lazy_page!(AdminAuditPage, admin_area(AdminArea::Audit));
lazy_page!(AdminAppKeysPage, admin_area(AdminArea::AppKeys));
lazy_page!(AdminPaymentsPage, admin_area(AdminArea::Payments));
