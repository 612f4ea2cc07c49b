//! A fake of Razorpay's REST API for tests: the endpoints `penora_payments::Razorpay` calls,
//! Razorpay's JSON shapes and error body, state in memory, Basic auth checked, and faults
//! (down, slow, a refund's answer lost) on demand; refunds honour `X-Refund-Idempotency`. The customer's side (paying, dashboard refunds, renewals) is driven
//! through methods on `FakeRazorpay`.
//!
//! Like Razorpay, an unknown id answers 400 BAD_REQUEST_ERROR "The id provided does not
//! exist"; an unknown route answers 404.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use chrono::{DateTime, Months, TimeDelta, Utc};
use penora_payments::entities::deserialize_notes;
use penora_payments::{
    Collection, Invoice, Notes, Order, Payment, Plan, PlanItem, Refund, Subscription,
};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

mod routes;

type Shared = Arc<Mutex<State>>;

/// A running fake; stops when dropped.
pub struct FakeRazorpay {
    /// The API base to give the client, "http://127.0.0.1:PORT/v1/".
    pub url: String,
    state: Shared,
    handle: ServerHandle,
}

#[derive(Default)]
struct State {
    key_id: String,
    key_secret: String,
    orders: BTreeMap<String, Order>,
    /// Payments in creation order.
    payments: Vec<Payment>,
    refunds: Vec<Refund>,
    /// Refunds made with `X-Refund-Idempotency`: key → (the request, the refund).
    refund_keys: HashMap<String, (String, Refund)>,
    /// How many refund answers to lose after making the refund.
    lost_refund_answers: usize,
    plans: BTreeMap<String, Plan>,
    subscriptions: BTreeMap<String, Subscription>,
    invoices: Vec<Invoice>,
    down: bool,
    delay: Duration,
    counts: HashMap<String, usize>,
}

impl State {
    fn payment_mut(&mut self, id: &str) -> Option<&mut Payment> {
        self.payments.iter_mut().find(|p| p.id == id)
    }
}

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn new_id(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(Alphanumeric)
        .take(14)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Razorpay's error answer.
fn error(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "error": {
            "code": code,
            "description": description,
            "source": "NA",
            "step": "NA",
            "reason": "NA",
            "metadata": {}
        }
    }))
}

fn bad_request(description: &str) -> HttpResponse {
    error(StatusCode::BAD_REQUEST, "BAD_REQUEST_ERROR", description)
}

fn does_not_exist() -> HttpResponse {
    bad_request("The id provided does not exist")
}

/// `from` plus `interval` periods (`period` as in a plan); `from` itself if it cannot be added.
fn advance(from: i64, period: &str, interval: i64) -> i64 {
    let Some(start) = DateTime::from_timestamp(from, 0) else {
        return from;
    };
    let n = u32::try_from(interval).unwrap_or(1);
    let end = match period {
        "yearly" => start.checked_add_months(Months::new(n.saturating_mul(12))),
        "weekly" => start.checked_add_signed(TimeDelta::weeks(i64::from(n))),
        "daily" => start.checked_add_signed(TimeDelta::days(i64::from(n))),
        _ => start.checked_add_months(Months::new(n)),
    };
    end.map_or(from, |t| t.timestamp())
}

impl FakeRazorpay {
    /// Starts on 127.0.0.1:0 in the current tokio runtime. Checks Basic auth against
    /// key_id/key_secret (401 with Razorpay's error body otherwise).
    ///
    /// # Panics
    /// If no loopback port can be bound (a broken test machine).
    pub async fn start(key_id: &str, key_secret: &str) -> FakeRazorpay {
        let state: Shared = Arc::new(Mutex::new(State {
            key_id: key_id.to_owned(),
            key_secret: key_secret.to_owned(),
            ..State::default()
        }));
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("fake razorpay: cannot bind 127.0.0.1:0: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(addr) => addr.port(),
            Err(e) => panic!("fake razorpay: no local address: {e}"),
        };
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .service(
                    web::scope("/v1")
                        .route("/orders", web::post().to(routes::create_order))
                        .route("/orders/{id}", web::get().to(routes::fetch_order))
                        .route(
                            "/orders/{id}/payments",
                            web::get().to(routes::order_payments),
                        )
                        .route("/payments/{id}", web::get().to(routes::fetch_payment))
                        .route(
                            "/payments/{id}/refund",
                            web::post().to(routes::refund_payment),
                        )
                        .route("/plans", web::post().to(routes::create_plan))
                        .route(
                            "/subscriptions",
                            web::post().to(routes::create_subscription),
                        )
                        .route(
                            "/subscriptions/{id}",
                            web::get().to(routes::fetch_subscription),
                        )
                        .route(
                            "/subscriptions/{id}/cancel",
                            web::post().to(routes::cancel_subscription),
                        )
                        .route("/invoices", web::get().to(routes::list_invoices)),
                )
                .default_service(web::to(routes::not_found))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1);
        let server = match server.listen(listener) {
            Ok(s) => s.run(),
            Err(e) => panic!("fake razorpay: cannot listen: {e}"),
        };
        let handle = server.handle();
        tokio::spawn(server);
        FakeRazorpay {
            url: format!("http://127.0.0.1:{port}/v1/"),
            state,
            handle,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Simulates a payment of `order_id` by the customer: a captured payment (its amount and
    /// currency as given, so tests can make mismatches), returns it. The order (if known)
    /// becomes "paid".
    pub fn pay(&self, order_id: &str, amount: i64, currency: &str) -> Payment {
        let mut s = self.lock();
        let notes = match s.orders.get_mut(order_id) {
            Some(order) => {
                order.status = "paid".into();
                order.attempts += 1;
                order.amount_paid = amount;
                order.amount_due = (order.amount - amount).max(0);
                order.notes.clone()
            }
            None => Notes::new(),
        };
        let payment = captured_payment(amount, currency, Some(order_id), None, None, notes);
        s.payments.push(payment.clone());
        payment
    }

    /// Records a processed refund, as Razorpay's dashboard would (no checks; an unknown
    /// payment still gets its refund record).
    pub fn refund(&self, payment_id: &str, amount: i64) -> Refund {
        let mut s = self.lock();
        let refund = match s.payment_mut(payment_id) {
            Some(payment) => routes::apply_refund(payment, amount, Notes::new()),
            None => Refund {
                id: new_id("rfnd_"),
                entity: "refund".into(),
                amount,
                currency: "INR".into(),
                payment_id: payment_id.to_owned(),
                notes: Notes::new(),
                status: "processed".into(),
                created_at: now(),
            },
        };
        s.refunds.push(refund.clone());
        refund
    }

    /// Charges subscription `id` for its next period (status active, new payment with an
    /// invoice); returns the payment.
    pub fn charge_subscription(&self, id: &str) -> Payment {
        let mut s = self.lock();
        let plan = s
            .subscriptions
            .get(id)
            .and_then(|sub| s.plans.get(&sub.plan_id))
            .cloned();
        let (amount, currency, period, interval) = match &plan {
            Some(p) => (
                p.item.amount,
                p.item.currency.clone(),
                p.period.clone(),
                p.interval,
            ),
            None => (0, "INR".to_owned(), "monthly".to_owned(), 1),
        };
        let invoice_id = new_id("inv_");
        let payment = captured_payment(
            amount,
            &currency,
            None,
            Some(id),
            Some(invoice_id.clone()),
            Notes::new(),
        );
        let t = now();
        if let Some(sub) = s.subscriptions.get_mut(id) {
            let start = sub.current_end.unwrap_or(t);
            sub.status = "active".into();
            sub.start_at.get_or_insert(t);
            sub.current_start = Some(start);
            sub.current_end = Some(advance(start, &period, interval));
            sub.charge_at = sub.current_end;
            sub.paid_count += 1;
            sub.remaining_count = Some((sub.total_count - sub.paid_count).max(0));
        }
        s.invoices.push(Invoice {
            id: invoice_id,
            entity: "invoice".into(),
            subscription_id: Some(id.to_owned()),
            payment_id: Some(payment.id.clone()),
            order_id: None,
            status: Some("paid".into()),
            amount: Some(amount),
            currency: Some(currency),
        });
        s.payments.push(payment.clone());
        payment
    }

    /// Sets a subscription's status (e.g. "halted").
    pub fn set_subscription_status(&self, id: &str, status: &str) {
        if let Some(sub) = self.lock().subscriptions.get_mut(id) {
            sub.status = status.to_owned();
        }
    }

    /// Every API call answers 503 while down.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// The next `n` refunds are made, but answered with a 504 as if the answer were lost
    /// on its way back.
    pub fn lose_refund_answers(&self, n: usize) {
        self.lock().lost_refund_answers = n;
    }

    /// Every API call waits `delay` before answering (zero: no wait).
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// How many requests a route got, named as "METHOD /path" with `{id}` for ids:
    /// "POST /orders", "GET /orders/{id}", "GET /orders/{id}/payments", "GET /payments/{id}",
    /// "POST /payments/{id}/refund", "POST /plans", "POST /subscriptions",
    /// "GET /subscriptions/{id}", "POST /subscriptions/{id}/cancel", "GET /invoices".
    pub fn count(&self, route: &str) -> usize {
        self.lock().counts.get(route).copied().unwrap_or(0)
    }

    /// Every refund made, oldest first.
    pub fn refunds(&self) -> Vec<Refund> {
        self.lock().refunds.clone()
    }

    /// The subscription as the fake holds it (None if unknown).
    pub fn subscription(&self, id: &str) -> Option<Subscription> {
        self.lock().subscriptions.get(id).cloned()
    }

    /// The order as the fake holds it (None if unknown).
    pub fn order(&self, id: &str) -> Option<Order> {
        self.lock().orders.get(id).cloned()
    }
}

impl Drop for FakeRazorpay {
    fn drop(&mut self) {
        // `stop` sends the command at once; its future only waits for the workers to finish.
        drop(self.handle.stop(false));
    }
}

fn captured_payment(
    amount: i64,
    currency: &str,
    order_id: Option<&str>,
    subscription_id: Option<&str>,
    invoice_id: Option<String>,
    notes: Notes,
) -> Payment {
    Payment {
        id: new_id("pay_"),
        entity: "payment".into(),
        amount,
        currency: currency.to_owned(),
        status: "captured".into(),
        order_id: order_id.map(str::to_owned),
        invoice_id,
        subscription_id: subscription_id.map(str::to_owned),
        method: Some("card".into()),
        amount_refunded: 0,
        captured: true,
        description: None,
        email: Some("customer@example.com".into()),
        notes,
        error_code: None,
        error_description: None,
        created_at: now(),
    }
}
