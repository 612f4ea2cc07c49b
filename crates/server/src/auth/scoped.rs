//! Extractors that carry the scope a route needs in their type: `Scoped<Read>` is an
//! `AuthUser` whose personal key (if it came with one) holds `read`; `ScopedCaller<Generate>`
//! the same for a `Caller`; `App<CreditsWrite>` an app key holding `credits:write`. A key
//! without the scope is refused with `403 insufficient_scope` before the handler runs.
//!
//! The plain `AuthUser`, `Caller` and `AppClient` are not extractors, so a handler cannot
//! serve a key without naming a scope. Routes no key may call take `SessionUser` or
//! `AdminUser` instead.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest};
use penora_domain::{AppScope, Scope};

use super::extractor::{self, Fut};
use super::{AppClient, AuthUser, Caller};
use crate::error::ApiError;
use penora_app::generations::Account;

/// A personal-key scope, as a type.
pub trait NeedsScope: 'static {
    const SCOPE: Scope;
}

/// An app-key scope, as a type.
pub trait NeedsAppScope: 'static {
    const SCOPE: AppScope;
}

macro_rules! scope_types {
    ($trait:ident, $enum:ident: $($name:ident => $variant:ident),+ $(,)?) => {
        $(
            #[doc = concat!("The `", stringify!($variant), "` scope, as a type.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl $trait for $name {
                const SCOPE: $enum = $enum::$variant;
            }
        )+
    };
}

scope_types!(NeedsScope, Scope: Read => Read, Write => Write, Generate => Generate);
scope_types!(NeedsAppScope, AppScope:
    UsersRead => UsersRead,
    CreditsRead => CreditsRead,
    CreditsWrite => CreditsWrite,
    ProjectsRead => ProjectsRead,
    StorageWrite => StorageWrite,
);

/// A user (session, or a personal key holding `S`), account loaded.
#[derive(Debug, Clone)]
pub struct Scoped<S> {
    user: AuthUser,
    scope: PhantomData<fn() -> S>,
}

/// A user (session, or a personal key holding `S`), account not read; see `Caller`.
#[derive(Debug)]
pub struct ScopedCaller<S> {
    caller: Caller,
    scope: PhantomData<fn() -> S>,
}

/// An app key holding `S`.
#[derive(Debug, Clone)]
pub struct App<S> {
    app: AppClient,
    scope: PhantomData<fn() -> S>,
}

impl<S> Scoped<S> {
    pub fn into_inner(self) -> AuthUser {
        self.user
    }
}

impl<S> ScopedCaller<S> {
    pub fn into_inner(self) -> Caller {
        self.caller
    }

    /// The account a generation started by this caller bills; see [`Caller::account`].
    pub fn account(self) -> Account {
        self.caller.account()
    }
}

impl<S> App<S> {
    pub fn into_inner(self) -> AppClient {
        self.app
    }
}

impl<S> Deref for Scoped<S> {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl<S> Deref for ScopedCaller<S> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<S> Deref for App<S> {
    type Target = AppClient;

    fn deref(&self) -> &AppClient {
        &self.app
    }
}

impl<S: NeedsScope> FromRequest for Scoped<S> {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let user = extractor::auth_user(req);
        Box::pin(async move {
            let user = user.await?;
            user.via.require(S::SCOPE)?;
            Ok(Scoped {
                user,
                scope: PhantomData,
            })
        })
    }
}

impl<S: NeedsScope> FromRequest for ScopedCaller<S> {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = extractor::caller(req);
        Box::pin(async move {
            let caller = caller.await?;
            caller.via().require(S::SCOPE)?;
            Ok(ScopedCaller {
                caller,
                scope: PhantomData,
            })
        })
    }
}

impl<S: NeedsAppScope> FromRequest for App<S> {
    type Error = ApiError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let app = extractor::app_client(req);
        Box::pin(async move {
            let app = app.await?;
            app.require(S::SCOPE)?;
            Ok(App {
                app,
                scope: PhantomData,
            })
        })
    }
}
