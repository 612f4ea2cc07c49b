//! The fake's HTTP side: one handler per Razorpay endpoint, behind Basic auth and the fault
//! switches.

use super::*;

/// A JSON body, or the 400 answer for an unreadable one.
pub(super) fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Box<HttpResponse>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(bad_request(&format!("The request body is invalid: {e}"))))
}

/// Counts the call, waits out the delay, then answers 503 when down and 401 on bad
/// credentials.
pub(super) async fn gate(
    state: &Shared,
    req: &HttpRequest,
    route: &str,
) -> Result<(), HttpResponse> {
    let (delay, down, authorized) = {
        let mut s = lock(state);
        *s.counts.entry(route.to_owned()).or_default() += 1;
        let expected = format!("{}:{}", s.key_id, s.key_secret);
        let authorized = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b64| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
            })
            .is_some_and(|raw| raw == expected.as_bytes());
        (s.delay, s.down, authorized)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if down {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_ERROR",
            "The server is temporarily unavailable",
        ));
    }
    if !authorized {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "BAD_REQUEST_ERROR",
            "Authentication failed",
        ));
    }
    Ok(())
}

macro_rules! gate {
    ($state:expr, $req:expr, $route:literal) => {
        if let Err(answer) = gate(&$state, &$req, $route).await {
            return answer;
        }
    };
}

#[derive(Deserialize)]
pub(super) struct OrderBody {
    amount: i64,
    currency: String,
    #[serde(default)]
    receipt: Option<String>,
    #[serde(default, deserialize_with = "deserialize_notes")]
    notes: Notes,
}

pub(super) async fn create_order(
    state: web::Data<Shared>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    gate!(state, req, "POST /orders");
    let body: OrderBody = match parse(&body) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    if body.amount < 100 {
        return bad_request("The amount must be atleast INR 1.00");
    }
    if body.currency.len() != 3 || !body.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return bad_request("The currency is invalid");
    }
    let order = Order {
        id: new_id("order_"),
        entity: "order".into(),
        amount: body.amount,
        amount_paid: 0,
        amount_due: body.amount,
        currency: body.currency,
        receipt: body.receipt,
        status: "created".into(),
        attempts: 0,
        notes: body.notes,
        created_at: now(),
    };
    lock(&state).orders.insert(order.id.clone(), order.clone());
    HttpResponse::Ok().json(order)
}

pub(super) async fn fetch_order(
    state: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    gate!(state, req, "GET /orders/{id}");
    match lock(&state).orders.get(id.as_str()) {
        Some(order) => HttpResponse::Ok().json(order),
        None => does_not_exist(),
    }
}

pub(super) async fn order_payments(
    state: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    gate!(state, req, "GET /orders/{id}/payments");
    let s = lock(&state);
    if !s.orders.contains_key(id.as_str()) {
        return does_not_exist();
    }
    let items: Vec<Payment> = s
        .payments
        .iter()
        .filter(|p| p.order_id.as_deref() == Some(id.as_str()))
        .cloned()
        .collect();
    HttpResponse::Ok().json(Collection::of(items))
}

pub(super) async fn fetch_payment(
    state: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    gate!(state, req, "GET /payments/{id}");
    match lock(&state).payments.iter().find(|p| p.id == id.as_str()) {
        Some(payment) => HttpResponse::Ok().json(payment),
        None => does_not_exist(),
    }
}

#[derive(Deserialize)]
pub(super) struct RefundBody {
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default, deserialize_with = "deserialize_notes")]
    notes: Notes,
}

pub(super) async fn refund_payment(
    state: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> HttpResponse {
    gate!(state, req, "POST /payments/{id}/refund");
    let body: RefundBody = if raw.is_empty() {
        RefundBody {
            amount: None,
            notes: Notes::new(),
        }
    } else {
        match parse(&raw) {
            Ok(b) => b,
            Err(answer) => return *answer,
        }
    };
    let key = req
        .headers()
        .get("x-refund-idempotency")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let request = format!("{id}\n{}", String::from_utf8_lossy(&raw));
    let mut s = lock(&state);
    if let Some(key) = &key {
        let valid = key.len() >= 10
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return bad_request("The idempotency key is invalid");
        }
        if let Some((first, refund)) = s.refund_keys.get(key) {
            return if *first == request {
                HttpResponse::Ok().json(refund)
            } else {
                bad_request(
                    "Different request with the same idempotency key has already been processed.",
                )
            };
        }
    }
    let Some(payment) = s.payment_mut(id.as_str()) else {
        return does_not_exist();
    };
    if payment.status != "captured" {
        return bad_request("The payment has been fully refunded already");
    }
    let left = payment.amount - payment.amount_refunded;
    let amount = body.amount.unwrap_or(left);
    if amount <= 0 || amount > left {
        return bad_request("The refund amount provided is greater than amount captured");
    }
    let refund = apply_refund(payment, amount, body.notes);
    s.refunds.push(refund.clone());
    if let Some(key) = key {
        s.refund_keys.insert(key, (request, refund.clone()));
    }
    if s.lost_refund_answers > 0 {
        s.lost_refund_answers -= 1;
        return error(
            StatusCode::GATEWAY_TIMEOUT,
            "SERVER_ERROR",
            "The answer was lost on its way back",
        );
    }
    HttpResponse::Ok().json(refund)
}

/// A processed refund of `amount` from `payment`, which is updated.
pub(super) fn apply_refund(payment: &mut Payment, amount: i64, notes: Notes) -> Refund {
    payment.amount_refunded += amount;
    if payment.amount_refunded >= payment.amount {
        payment.status = "refunded".into();
    }
    Refund {
        id: new_id("rfnd_"),
        entity: "refund".into(),
        amount,
        currency: payment.currency.clone(),
        payment_id: payment.id.clone(),
        notes,
        status: "processed".into(),
        created_at: now(),
    }
}

#[derive(Deserialize)]
pub(super) struct PlanBody {
    period: String,
    interval: i64,
    item: PlanItem,
    #[serde(default, deserialize_with = "deserialize_notes")]
    notes: Notes,
}

pub(super) async fn create_plan(
    state: web::Data<Shared>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    gate!(state, req, "POST /plans");
    let body: PlanBody = match parse(&body) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    if !matches!(
        body.period.as_str(),
        "daily" | "weekly" | "monthly" | "yearly"
    ) {
        return bad_request("The period is invalid");
    }
    if body.interval < 1 || body.item.amount < 100 {
        return bad_request("The interval or amount is invalid");
    }
    let plan = Plan {
        id: new_id("plan_"),
        entity: "plan".into(),
        period: body.period,
        interval: body.interval,
        item: body.item,
        notes: body.notes,
        created_at: now(),
    };
    lock(&state).plans.insert(plan.id.clone(), plan.clone());
    HttpResponse::Ok().json(plan)
}

#[derive(Deserialize)]
pub(super) struct SubscriptionBody {
    plan_id: String,
    total_count: i64,
    #[serde(default, deserialize_with = "deserialize_notes")]
    notes: Notes,
}

pub(super) async fn create_subscription(
    state: web::Data<Shared>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    gate!(state, req, "POST /subscriptions");
    let body: SubscriptionBody = match parse(&body) {
        Ok(b) => b,
        Err(answer) => return *answer,
    };
    let mut s = lock(&state);
    if !s.plans.contains_key(&body.plan_id) {
        return does_not_exist();
    }
    if body.total_count < 1 {
        return bad_request("The total count must be at least 1");
    }
    let id = new_id("sub_");
    let sub = Subscription {
        short_url: Some(format!("https://rzp.io/i/{}", &id[4..])),
        id,
        entity: "subscription".into(),
        plan_id: body.plan_id,
        status: "created".into(),
        current_start: None,
        current_end: None,
        ended_at: None,
        charge_at: None,
        start_at: None,
        end_at: None,
        total_count: body.total_count,
        paid_count: 0,
        remaining_count: Some(body.total_count),
        quantity: 1,
        customer_notify: true,
        notes: body.notes,
        has_scheduled_changes: false,
        created_at: now(),
    };
    s.subscriptions.insert(sub.id.clone(), sub.clone());
    HttpResponse::Ok().json(sub)
}

pub(super) async fn fetch_subscription(
    state: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    gate!(state, req, "GET /subscriptions/{id}");
    match lock(&state).subscriptions.get(id.as_str()) {
        Some(sub) => HttpResponse::Ok().json(sub),
        None => does_not_exist(),
    }
}

pub(super) async fn cancel_subscription(
    state: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    gate!(state, req, "POST /subscriptions/{id}/cancel");
    let at_cycle_end = if body.is_empty() {
        false
    } else {
        match parse::<serde_json::Value>(&body) {
            Ok(v) => {
                matches!(
                    v.get("cancel_at_cycle_end"),
                    Some(serde_json::Value::Bool(true))
                ) || v
                    .get("cancel_at_cycle_end")
                    .and_then(serde_json::Value::as_i64)
                    == Some(1)
            }
            Err(answer) => return *answer,
        }
    };
    let mut s = lock(&state);
    let Some(sub) = s.subscriptions.get_mut(id.as_str()) else {
        return does_not_exist();
    };
    if matches!(sub.status.as_str(), "cancelled" | "completed" | "expired") {
        return bad_request(&format!(
            "Subscription is not cancellable in {} status.",
            sub.status
        ));
    }
    if at_cycle_end && sub.status == "active" {
        sub.has_scheduled_changes = true;
    } else {
        sub.status = "cancelled".into();
        sub.ended_at = Some(now());
        sub.charge_at = None;
    }
    HttpResponse::Ok().json(sub.clone())
}

#[derive(Deserialize)]
pub(super) struct InvoiceQuery {
    #[serde(default)]
    subscription_id: Option<String>,
}

/// Invoices newest first, as Razorpay lists them.
pub(super) async fn list_invoices(
    state: web::Data<Shared>,
    req: HttpRequest,
    query: web::Query<InvoiceQuery>,
) -> HttpResponse {
    gate!(state, req, "GET /invoices");
    let s = lock(&state);
    let items: Vec<Invoice> = s
        .invoices
        .iter()
        .rev()
        .filter(|i| query.subscription_id.is_none() || i.subscription_id == query.subscription_id)
        .cloned()
        .collect();
    HttpResponse::Ok().json(Collection::of(items))
}

pub(super) async fn not_found() -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "BAD_REQUEST_ERROR",
        "The requested URL was not found on the server.",
    )
}
