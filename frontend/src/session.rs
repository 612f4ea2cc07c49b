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
}

impl Session {
    pub fn provide() -> Self {
        let session = Self {
            user: RwSignal::new(None),
            token: RwSignal::new(None),
            balance: RwSignal::new(None),
            ready: RwSignal::new(false),
        };
        provide_context(session);
        session
    }

    pub fn get() -> Self {
        use_context::<Session>().unwrap_or_else(Session::provide)
    }

    pub fn sign_in(&self, auth: AuthResponse) {
        self.token.set(Some(auth.access_token));
        self.user.set(Some(auth.user));
        self.ready.set(true);
        self.refresh_balance();
    }

    /// Re-reads the balance; called after sign-in and after anything that spends or adds.
    pub fn refresh_balance(&self) {
        let session = *self;
        spawn_local(async move {
            if let Ok(balance) = crate::api::balance(session).await {
                session.balance.set(Some(balance));
            }
        });
    }

    pub fn balance(&self) -> Option<Balance> {
        self.balance.get()
    }

    pub fn set_user(&self, user: User) {
        self.user.set(Some(user));
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
