//! Orders for one-off items (top-ups and packs): created with the gateway at the catalog's
//! price, and verified when the browser's checkout hands back a signed payment.

use penora_domain::{ItemKind, UserId};
use penora_payments::{NewOrder, Notes};
use penora_store::billing::orders::{self, OrderRow};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::payments::{apply_to_order, Applied};
use super::BillingError;
use crate::audit::{self, Origin};
use crate::idempotency::{self, Idem, Outcome};
use crate::AppState;

/// What the browser's checkout needs to take the payment, stored as the idempotent response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    pub order_id: Uuid,
    pub item_id: String,
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub gateway: String,
    pub gateway_order_id: String,
    /// Razorpay Checkout's `key`.
    pub key_id: String,
    /// The sandbox's test-mode checkout page (sandbox only).
    pub checkout_url: Option<String>,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Creates an order for `item_id` at the catalog's price. With a key, a retry answers what
/// the first request did without creating another gateway order.
#[tracing::instrument(name = "services::billing::orders::create", skip_all, fields(user_id = %user))]
pub async fn create(
    state: &AppState,
    user: UserId,
    item_id: &str,
    idem: Option<&Idem>,
    origin: &Origin,
) -> Result<Outcome<Checkout>, BillingError> {
    let item = state
        .billing
        .item(item_id)
        .ok_or_else(|| BillingError::UnknownItem(item_id.to_owned()))?;
    if item.kind == ItemKind::Plan {
        return Err(BillingError::WrongKind {
            item: item.id.clone(),
            wanted: "a one-off item (plans are bought with POST /billing/subscription)",
        });
    }
    if let Some(idem) = idem {
        if let Some(replay) = idempotency::replay::<_, BillingError>(&state.db, idem).await? {
            return Ok(replay);
        }
    }
    super::count_checkout(state, user).await?;
    let id = Uuid::now_v7();
    let price = state.billing.price(item);
    let mut notes = Notes::new();
    notes.insert("penora_order_id".to_owned(), id.to_string());
    notes.insert("penora_user_id".to_owned(), user.to_string());
    notes.insert("item_id".to_owned(), item.id.clone());
    let gateway_order = state
        .gateway
        .create_order(&NewOrder {
            amount: price.minor,
            currency: price.currency,
            receipt: id.simple().to_string(),
            notes,
        })
        .await?;
    let gateway = state.gateway.kind().as_str();
    let new = orders::NewOrder {
        id,
        user,
        item_id: &item.id,
        credits_mc: item.grant().get(),
        amount_minor: price.minor,
        currency: price.currency,
        gateway,
        gateway_order_id: &gateway_order.id,
    };
    let respond = |row: &OrderRow| checkout_of(state, row);
    let outcome = match idem {
        Some(idem) => {
            let ttl = state.config.settings.idempotency_ttl_hours;
            idempotency::once(&state.db, idem, 201, ttl, |txn| async move {
                let row = orders::insert(&txn, &new).await?;
                Ok::<_, BillingError>((respond(&row), txn))
            })
            .await?
        }
        None => Outcome {
            status: 201,
            body: respond(&orders::insert(&state.db, &new).await?),
            replayed: false,
        },
    };
    let meta = serde_json::json!({
        "order_id": id, "item_id": item.id, "amount_minor": price.minor,
        "currency": price.currency.as_str(), "gateway_order_id": gateway_order.id,
    });
    audit::record(
        &state.db,
        Some(user),
        "billing.order_created",
        None,
        origin,
        meta,
    )
    .await;
    Ok(outcome)
}

/// The checkout fields of an order.
pub fn checkout_of(state: &AppState, row: &OrderRow) -> Checkout {
    Checkout {
        order_id: row.id,
        item_id: row.item_id.clone(),
        credits_mc: row.credits_mc,
        amount_minor: row.amount_minor,
        currency: row.currency.as_str().to_owned(),
        gateway: row.gateway.clone(),
        gateway_order_id: row.gateway_order_id.clone(),
        key_id: state.gateway.key_id().to_owned(),
        checkout_url: state
            .sandbox
            .as_ref()
            .map(|_| super::checkout::order_page(state, &row.gateway_order_id)),
        status: row.status.as_str().to_owned(),
        created_at: row.created_at,
    }
}

/// The caller's order.
pub async fn find(state: &AppState, user: UserId, id: Uuid) -> Result<OrderRow, BillingError> {
    orders::find(&state.db, id)
        .await?
        .filter(|o| o.user_id == user.as_uuid())
        .ok_or(BillingError::OrderNotFound)
}

/// What Razorpay Checkout hands the browser after a payment.
#[derive(Debug, Clone)]
pub struct Signed {
    pub payment_id: String,
    pub signature: String,
}

/// Verifies a payment of the caller's order: the signature over the order and payment ids,
/// then the payment itself as the gateway reports it (captured, the order's amount and
/// currency), then credits once. A verify repeated, or after the webhook, answers the
/// payment as applied.
#[tracing::instrument(name = "services::billing::orders::verify", skip_all,
    fields(user_id = %user, order_id = %id))]
pub async fn verify(
    state: &AppState,
    user: UserId,
    id: Uuid,
    signed: &Signed,
    origin: &Origin,
) -> Result<(OrderRow, Applied), BillingError> {
    let order = find(state, user, id).await?;
    let signer = state.gateway.signer();
    if !signer.verify_payment(
        &order.gateway_order_id,
        &signed.payment_id,
        &signed.signature,
    ) {
        let meta = serde_json::json!({ "order_id": order.id, "payment_id": signed.payment_id });
        audit::record(
            &state.db,
            Some(user),
            "billing.verify_refused",
            None,
            origin,
            meta,
        )
        .await;
        return Err(BillingError::InvalidSignature);
    }
    let payment = state.gateway.fetch_payment(&signed.payment_id).await?;
    let applied = apply_to_order(state, &order, &payment, origin).await?;
    if applied.payment.status == penora_domain::PaymentStatus::Mismatch {
        return Err(BillingError::Mismatch);
    }
    let order = find(state, user, id).await?;
    Ok((order, applied))
}
