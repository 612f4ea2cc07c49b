//! The signed-in user and their access token, shared by every page through context.

use leptos::prelude::*;
use penora_api_types::{AuthResponse, User};

#[derive(Clone, Copy)]
pub struct Session {
    user: RwSignal<Option<User>>,
    token: RwSignal<Option<String>>,
    /// False until the start-up refresh has answered, so pages do not flash "signed out".
    ready: RwSignal<bool>,
}

impl Session {
    pub fn provide() -> Self {
        let session = Self {
            user: RwSignal::new(None),
            token: RwSignal::new(None),
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
    }

    pub fn set_user(&self, user: User) {
        self.user.set(Some(user));
    }

    pub fn clear(&self) {
        self.token.set(None);
        self.user.set(None);
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
