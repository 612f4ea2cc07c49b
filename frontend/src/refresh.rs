//! Refreshing the session one request at a time. Calls in this tab that need a refresh at
//! the same moment share one request; tabs take turns through the Web Locks API
//! (`navigator.locks`, reached through `js_sys` because web-sys marks it unstable), so the
//! next tab sends the cookie the previous one received instead of the same one again. The
//! server tolerates a repeat within a few seconds anyway (browsers without Web Locks,
//! private windows); after that a repeat is taken as theft and ends the sign-in.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures::future::{FutureExt, Shared};
use penora_api_types::AuthResponse;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::ApiError;

type Outcome = Result<AuthResponse, ApiError>;
type Pending = Shared<Pin<Box<dyn Future<Output = Outcome>>>>;

/// The Web Lock every tab of this origin takes around its refresh.
const LOCK_NAME: &str = "penora-refresh";

thread_local! {
    /// The refresh this tab is waiting for, if any.
    static IN_FLIGHT: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Runs `request` unless this tab already runs it, and then shares its answer.
pub async fn single_flight<F, Fut>(request: F) -> Outcome
where
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Outcome> + 'static,
{
    let pending = IN_FLIGHT.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some(pending) = slot.as_ref() {
            return pending.clone();
        }
        let fresh: Pin<Box<dyn Future<Output = Outcome>>> = Box::pin(across_tabs(request));
        let fresh = fresh.shared();
        *slot = Some(fresh.clone());
        fresh
    });
    let outcome = pending.clone().await;
    IN_FLIGHT.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_some_and(|p| p.ptr_eq(&pending)) {
            *slot = None;
        }
    });
    outcome
}

/// `request` while holding the tabs' lock; without Web Locks, just `request`.
async fn across_tabs<F, Fut>(request: F) -> Outcome
where
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Outcome> + 'static,
{
    let Some((locks, lock_request)) = lock_manager() else {
        return request().await;
    };
    let answer: Rc<RefCell<Option<Outcome>>> = Rc::default();
    let slot = Rc::clone(&answer);
    // The lock is held until the promise this callback returns settles.
    let callback = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            let outcome = request().await;
            *slot.borrow_mut() = Some(outcome);
            Ok(JsValue::UNDEFINED)
        })
    });
    if let Ok(promise) = lock_request.call2(&locks, &JsValue::from_str(LOCK_NAME), &callback) {
        // A rejection (the lock could not be taken) leaves the answer empty: handled below.
        let _ = JsFuture::from(js_sys::Promise::resolve(&promise)).await;
    }
    let outcome = answer.borrow_mut().take();
    match outcome {
        Some(outcome) => outcome,
        None => Err(ApiError::refresh_failed()),
    }
}

/// `navigator.locks` and its `request` method, where the browser has them.
fn lock_manager() -> Option<(JsValue, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request")).ok()?;
    let request = request.dyn_into::<js_sys::Function>().ok()?;
    Some((locks, request))
}
