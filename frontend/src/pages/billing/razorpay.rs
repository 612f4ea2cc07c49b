//! Razorpay Checkout, when Razorpay is the gateway: its script is loaded on first use, its
//! modal takes the payment, and what its handler receives is handed to the result page in
//! the same query the sandbox's page uses, so one page verifies both.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const SCRIPT: &str = "https://checkout.razorpay.com/v1/checkout.js";

/// What one Checkout opens for: an order (`order_id`, with its amount) or a subscription.
pub struct Options {
    pub key: String,
    pub order_id: Option<String>,
    pub subscription_id: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub description: String,
    pub email: Option<String>,
    /// The result page with the app's own ids in its query (`order=` or `subscription=`).
    pub return_to: String,
}

fn set(target: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(target, &JsValue::from_str(key), value).map(|_| ())
}

/// Loads Checkout's script once; fails when the browser blocks or cannot fetch it.
async fn load() -> Result<Function, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let existing = Reflect::get(&window, &JsValue::from_str("Razorpay"))?;
    if existing.is_function() {
        return Ok(existing.unchecked_into());
    }
    let document = window
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let script = document.create_element("script")?;
    script.set_attribute("src", SCRIPT)?;
    let loaded = Promise::new(&mut |resolve, reject| {
        let _ = script.add_event_listener_with_callback("load", &resolve);
        let _ = script.add_event_listener_with_callback("error", &reject);
    });
    let head = document
        .query_selector("head")?
        .ok_or_else(|| JsValue::from_str("no head"))?;
    head.append_child(&script)?;
    JsFuture::from(loaded).await?;
    Reflect::get(&window, &JsValue::from_str("Razorpay"))?
        .dyn_into()
        .map_err(|_| JsValue::from_str("Razorpay Checkout did not start"))
}

/// The result page's address with what Checkout handed back added to its query.
fn result_url(return_to: &str, paid: &JsValue) -> String {
    let (path, query) = return_to.split_once('?').unwrap_or((return_to, ""));
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else {
        return return_to.to_owned();
    };
    params.set("status", "paid");
    for key in [
        "razorpay_payment_id",
        "razorpay_order_id",
        "razorpay_subscription_id",
        "razorpay_signature",
    ] {
        if let Some(value) = Reflect::get(paid, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
        {
            params.set(key, &value);
        }
    }
    format!("{path}?{}", String::from(params.to_string()))
}

/// Opens Checkout. A payment goes on to the result page; closing the modal calls
/// `on_dismiss` (nothing was charged). `Err` says why Checkout could not open.
pub async fn open(options: Options, on_dismiss: impl Fn() + 'static) -> Result<(), String> {
    let blocked = |_| {
        "Razorpay Checkout could not be loaded. Check your connection (or an ad blocker) and try again."
            .to_owned()
    };
    let ctor = load().await.map_err(blocked)?;
    let config = Object::new();
    let text = |s: &str| JsValue::from_str(s);
    let filled = (|| -> Result<(), JsValue> {
        set(&config, "key", &text(&options.key))?;
        set(&config, "name", &text("Penora"))?;
        set(&config, "description", &text(&options.description))?;
        if let Some(id) = &options.order_id {
            set(&config, "order_id", &text(id))?;
        }
        if let Some(id) = &options.subscription_id {
            set(&config, "subscription_id", &text(id))?;
        }
        if let Some(amount) = options.amount_minor {
            // Minor units are integers well inside f64's exact range.
            set(&config, "amount", &JsValue::from_f64(amount as f64))?;
        }
        if let Some(currency) = &options.currency {
            set(&config, "currency", &text(currency))?;
        }
        if let Some(email) = &options.email {
            let prefill = Object::new();
            set(&prefill, "email", &text(email))?;
            set(&config, "prefill", &prefill)?;
        }
        let return_to = options.return_to.clone();
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |paid: JsValue| {
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign(&result_url(&return_to, &paid));
            }
        });
        set(&config, "handler", &handler.into_js_value())?;
        let modal = Object::new();
        let dismissed = Closure::<dyn FnMut()>::new(on_dismiss);
        set(&modal, "ondismiss", &dismissed.into_js_value())?;
        set(&config, "modal", &modal)?;
        let checkout = Reflect::construct(&ctor, &Array::of1(&config))?;
        let open: Function = Reflect::get(&checkout, &text("open"))?.dyn_into()?;
        open.call0(&checkout)?;
        Ok(())
    })();
    filled
        .map_err(|_| "Razorpay Checkout could not start; reload the page and try again.".to_owned())
}
