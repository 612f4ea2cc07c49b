//! Typed ids: what the app passes between pages and API calls, so one kind of id cannot be
//! sent where another is wanted. Each reads and writes as the plain string the API uses.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id of something the API answered with (a UUID there).
            pub fn of(id: impl std::fmt::Display) -> Self {
                Self(id.to_string())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id!(
    /// A project; a story is a project too, and has its id.
    ProjectId
);
id!(
    /// One generation (a writing tool's run, an outline or a chapter).
    GenerationId
);
id!(
    /// A personal API key.
    ApiKeyId
);
id!(
    /// A user, as the admin pages name them.
    UserId
);
id!(
    /// A partner app's key (admin).
    AppKeyId
);
id!(
    /// A payment (admin refunds).
    PaymentId
);

/// The route's `:id`, typed.
pub fn route_id<T>() -> Memo<T>
where
    T: From<String> + PartialEq + Send + Sync + 'static,
{
    let params = use_params_map();
    Memo::new(move |_| T::from(params.with(|p| p.get("id").unwrap_or_default())))
}
