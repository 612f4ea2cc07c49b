//! The signed-in user and their access token, shared by every page through context.

use leptos::prelude::*;
use leptos::task::spawn_local;
use penora_api_types::{AuthResponse, Balance, User};

#[derive(Clone, Copy)]
pub struct Session {
    user: RwSignal<Option<User>>,
    token: RwSignal<Option<String>>,
    balance: RwSignal<Option<Balance>>,
    /// False until the start-up refresh has answered, so pages do not flash "signed out".
    ready: RwSignal<bool>,
    /// Whether a re-read of the balance is already scheduled (one at a time).
    rereading: StoredValue<bool>,
    /// The session ran out (its refresh was refused) rather than being signed out.
    expired: RwSignal<bool>,
}

impl Session {
    pub fn provide() -> Self {
        let session = Self {
            user: RwSignal::new(None),
            token: RwSignal::new(None),
            balance: RwSignal::new(None),
            ready: RwSignal::new(false),
            rereading: StoredValue::new(false),
            expired: RwSignal::new(false),
        };
        provide_context(session);
        // Credits change elsewhere too (another tab, ImageGene, an administrator): re-read
        // them whenever the page comes back into view.
        let handle = window_event_listener(leptos::ev::focus, move |_| {
            if session.token().is_some() {
                session.refresh_balance();
            }
        });
        on_cleanup(move || handle.remove());
        session
    }

    pub fn get() -> Self {
        use_context::<Session>().unwrap_or_else(Session::provide)
    }

    pub fn sign_in(&self, auth: AuthResponse) {
        self.expired.set(false);
        self.token.set(Some(auth.access_token));
        self.user.set(Some(auth.user));
        self.ready.set(true);
        self.refresh_balance();
    }

    /// Re-reads the balance; called after sign-in and after anything that spends or adds.
    /// While credits are held (a generation runs, here or elsewhere), it reads again every
    /// few seconds, so the figure follows the spending and ends where it settles.
    pub fn refresh_balance(&self) {
        let session = *self;
        // Fire and forget: the balance belongs to the session, not to the page that spent.
        spawn_local(async move {
            if let Ok(balance) = crate::api::balance(session).await {
                let held = balance.reserved_mc > 0;
                session.balance.set(Some(balance));
                if held && !session.rereading.get_value() {
                    session.rereading.set_value(true);
                    set_timeout(
                        move || {
                            session.rereading.set_value(false);
                            session.refresh_balance();
                        },
                        std::time::Duration::from_secs(2),
                    );
                }
            }
        });
    }

    pub fn balance(&self) -> Option<Balance> {
        self.balance.get()
    }

    pub fn set_user(&self, user: User) {
        self.user.set(Some(user));
    }

    /// The session ended by itself: pages that need one send the visitor to sign in again.
    pub fn expire(&self) {
        self.clear();
        self.expired.set(true);
    }

    pub fn expired(&self) -> bool {
        self.expired.get()
    }

    pub fn clear(&self) {
        self.token.set(None);
        self.user.set(None);
        self.balance.set(None);
        self.ready.set(true);
    }

    pub fn user(&self) -> Option<User> {
        self.user.get()
    }

    pub fn token(&self) -> Option<String> {
        self.token.get_untracked()
    }

    pub fn ready(&self) -> bool {
        self.ready.get()
    }
}

/// The cookie the server sets beside the (httpOnly) refresh cookie: it says a session may be
/// there to restore, so a signed-out visit sends no request bound to fail.
const HINT_COOKIE: &str = "penora_signed_in";

fn html_document() -> Option<web_sys::HtmlDocument> {
    use wasm_bindgen::JsCast;
    web_sys::window()?.document()?.dyn_into().ok()
}

/// Whether the signed-in hint is set.
pub fn may_be_signed_in() -> bool {
    let cookies = html_document()
        .and_then(|d| d.cookie().ok())
        .unwrap_or_default();
    cookies.split(';').any(|c| {
        c.trim()
            .strip_prefix(HINT_COOKIE)
            .is_some_and(|v| v.starts_with("=1"))
    })
}

/// Drops the hint once the session it promised turned out to be gone.
pub fn forget_hint() {
    if let Some(document) = html_document() {
        let _ = document.set_cookie(&format!("{HINT_COOKIE}=; Max-Age=0; Path=/"));
    }
}
