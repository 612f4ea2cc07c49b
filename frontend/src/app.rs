//! The shell: navigation, routes, and restoring the session from the refresh cookie.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::api;
use crate::nav::{Nav, SkipLink};
use crate::pages::{
    account, admin, api_keys, auth_forms, billing, email_links, history, home, new_story, shared,
    sso, story, welcome, workspace, writer,
};
use crate::session::Session;

#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    // A returning visitor may still have a refresh cookie: trade it for a session. Only
    // when the hint says so, so a first visit logs no failed request.
    if crate::session::may_be_signed_in() {
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
                <Routes fallback=|| view! { <section class="card"><h1>"Not found"</h1><p>"There is no page here."</p><A href="/">"Home"</A></section> }>
                    <Route path=path!("/") view=home::Home/>
                    <Route path=path!("/sign-up") view=auth_forms::SignUp/>
                    <Route path=path!("/sign-in") view=auth_forms::SignIn/>
                    <Route path=path!("/forgot-password") view=email_links::ForgotPassword/>
                    <Route path=path!("/reset-password") view=email_links::ResetPassword/>
                    <Route path=path!("/verify-email") view=email_links::VerifyEmail/>
                    <Route path=path!("/welcome") view=welcome::Welcome/>
                    <Route path=path!("/account") view=account::Account/>
                    <Route path=path!("/account/history") view=history::History/>
                    <Route path=path!("/account/api-keys") view=api_keys::ApiKeys/>
                    <Route path=path!("/sso") view=sso::SsoLanding/>
                    <Route path=path!("/projects") view=workspace::Workspace/>
                    <Route path=path!("/projects/:id") view=writer::ProjectWriter/>
                    <Route path=path!("/s/:code") view=shared::SharedView/>
                    <Route path=path!("/write") view=writer::Write/>
                    <Route path=path!("/stories/new") view=new_story::NewStory/>
                    <Route path=path!("/stories/:id") view=story::StoryPage/>
                    <Route path=path!("/pricing") view=billing::pricing::Pricing/>
                    <Route path=path!("/billing") view=billing::plan::Billing/>
                    <Route path=path!("/billing/result") view=billing::result::BillingResult/>
                    <Route path=path!("/admin") view=admin::AdminUsers/>
                    <Route path=path!("/admin/users") view=admin::AdminUsers/>
                    <Route path=path!("/admin/users/:id") view=admin::AdminUserPage/>
                    <Route path=path!("/admin/audit") view=admin::AdminAudit/>
                    <Route path=path!("/admin/app-keys") view=admin::AdminAppKeys/>
                    <Route path=path!("/admin/payments") view=admin::AdminPayments/>
                </Routes>
            </main>
        </Router>
    }
}
