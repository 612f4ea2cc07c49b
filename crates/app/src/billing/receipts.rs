//! A payment's receipt as a PDF, rendered by `penora-export` with the seller's details from
//! the billing catalog.

use penora_domain::{Money, UserId};
use penora_export::{receipt_pdf, Receipt, Seller};
use penora_store::billing::payments::PaymentRow;

use super::history;
use super::BillingError;
use crate::AppState;

/// The receipt of the user's payment `id`: its file name and the PDF.
#[tracing::instrument(name = "services::billing::receipts::render", skip_all,
    fields(user_id = %user, payment_id = %id))]
pub async fn render(
    state: &AppState,
    user: UserId,
    id: uuid::Uuid,
) -> Result<(String, Vec<u8>), BillingError> {
    let payment = history::find(state, user, id).await?;
    let buyer = penora_store::users::find_by_id(&state.db, user)
        .await?
        .ok_or(BillingError::PaymentNotFound)?;
    let receipt = receipt_of(state, &payment, &buyer.display_name, &buyer.email);
    let name = format!("penora-receipt-{}.pdf", payment.receipt_number);
    let pdf = tokio::task::spawn_blocking(move || receipt_pdf(&receipt))
        .await
        .map_err(|e| BillingError::Db(penora_store::DbErr::Custom(e.to_string())))?
        .map_err(|e| BillingError::Db(penora_store::DbErr::Custom(e.to_string())))?;
    Ok((name, pdf))
}

fn receipt_of(state: &AppState, payment: &PaymentRow, name: &str, email: &str) -> Receipt {
    let seller = state.billing.seller();
    let item = state.billing.item(&payment.item_id).map_or_else(
        || payment.item_id.clone(),
        |i| format!("{} ({})", i.name, i.id),
    );
    let credits = penora_domain::Millicredits::new(payment.credits_mc);
    let refunded =
        (payment.refunded_minor > 0).then(|| Money::new(payment.refunded_minor, *payment.currency));
    let sandbox = payment.gateway == penora_payments::GatewayKind::Sandbox.as_str();
    Receipt {
        number: payment.receipt_number.clone(),
        paid_at: payment.created_at,
        seller: Seller {
            name: seller.name.clone(),
            address: seller.address.clone(),
            email: seller.email.clone(),
            tax_id: seller.tax_id.clone(),
        },
        buyer_name: name.to_owned(),
        buyer_email: email.to_owned(),
        item,
        credits: format!("{credits} credits"),
        amount: Money::new(payment.amount_minor, *payment.currency),
        refunded,
        payment_id: payment.gateway_payment_id.clone(),
        gateway: if sandbox {
            "Sandbox (test mode)".to_owned()
        } else {
            "Razorpay".to_owned()
        },
        test_mode: sandbox,
    }
}
