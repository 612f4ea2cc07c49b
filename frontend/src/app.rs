//! The shell: navigation, routes, and restoring the session from the refresh cookie.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, Lazy};

use crate::api;
use crate::area::AreaLoading;
use crate::nav::{Nav, SkipLink};
use crate::pages::{auth_forms, home, welcome};
use crate::routes::*;
use crate::session::Session;

#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    crate::area::provide_downloads();
    // A returning visitor may still have a refresh cookie: trade it for a session. Only
    // when the hint says so, so a first visit logs no failed request.
    if crate::session::may_be_signed_in() {
        // Fire and forget at startup: the session outlives every page, so nothing owns this.
        spawn_local(async move {
            match api::refresh().await {
                Ok(auth) => session.sign_in(auth),
                Err(err) => {
                    // Only a refused cookie means there is no session; a server that is
                    // restarting or a dropped connection may have one to restore next time.
                    if err.status == 401 {
                        crate::session::forget_hint();
                    }
                    session.clear();
                }
            }
        });
    } else {
        session.clear();
    }

    view! {
        <Router>
            <SkipLink/>
            <Nav/>
            <main class="container" id="main" tabindex="-1">
                <AreaLoading/>
                <Routes fallback=|| view! { <section class="card"><h1>"Not found"</h1><p>"There is no page here."</p><A href="/">"Home"</A></section> }>
                    <Route path=path!("/") view=home::Home/>
                    <Route path=path!("/sign-up") view=auth_forms::SignUp/>
                    <Route path=path!("/sign-in") view=auth_forms::SignIn/>
                    <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordPage>::new()}/>
                    <Route path=path!("/reset-password") view={Lazy::<ResetPasswordPage>::new()}/>
                    <Route path=path!("/verify-email") view={Lazy::<VerifyEmailPage>::new()}/>
                    <Route path=path!("/welcome") view=welcome::Welcome/>
                    <Route path=path!("/account") view={Lazy::<AccountPage>::new()}/>
                    <Route path=path!("/account/history") view={Lazy::<HistoryPage>::new()}/>
                    <Route path=path!("/account/api-keys") view={Lazy::<ApiKeysPage>::new()}/>
                    <Route path=path!("/sso") view={Lazy::<SsoPage>::new()}/>
                    <Route path=path!("/projects") view={Lazy::<WorkspacePage>::new()}/>
                    <Route path=path!("/projects/:id") view={Lazy::<ProjectWriterPage>::new()}/>
                    <Route path=path!("/s/:code") view={Lazy::<SharedPage>::new()}/>
                    <Route path=path!("/write") view={Lazy::<WritePage>::new()}/>
                    <Route path=path!("/stories/new") view={Lazy::<NewStoryPage>::new()}/>
                    <Route path=path!("/stories/:id") view={Lazy::<StoryPage>::new()}/>
                    <Route path=path!("/pricing") view={Lazy::<PricingPage>::new()}/>
                    <Route path=path!("/billing") view={Lazy::<BillingPage>::new()}/>
                    <Route path=path!("/billing/result") view={Lazy::<BillingResultPage>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<AdminUsersPage>::new()}/>
                    <Route path=path!("/admin/users") view={Lazy::<AdminUsersPage>::new()}/>
                    <Route path=path!("/admin/users/:id") view={Lazy::<AdminUserPage>::new()}/>
                    <Route path=path!("/admin/audit") view={Lazy::<AdminAuditPage>::new()}/>
                    <Route path=path!("/admin/app-keys") view={Lazy::<AdminAppKeysPage>::new()}/>
                    <Route path=path!("/admin/payments") view={Lazy::<AdminPaymentsPage>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}
