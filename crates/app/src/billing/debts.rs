//! Debts: credits a refund could not take back at once (they were held by running
//! generations, or spent). Each is paid off by ledger entries taken from the next purchase
//! or plan grant, in the transaction that credits it.

use penora_domain::{EntryKind, Millicredits, UserId};
use penora_store::billing::debts;
use penora_store::ledger::{self, Movement};
use penora_store::DatabaseTransaction;

use super::BillingError;

/// Pays the user's open debts, oldest first, from what is available after `credited` (the
/// reference of the entry that just credited them), as far as it goes.
pub async fn settle(
    txn: &DatabaseTransaction,
    user: UserId,
    credited: &str,
) -> Result<Millicredits, BillingError> {
    let mut settled = 0;
    for debt in debts::open(txn, user).await? {
        let Some(row) = penora_store::users::find_by_id(txn, user).await? else {
            break;
        };
        let available = (row.balance_mc - row.reserved_mc).max(0);
        let pay = debt.remaining_mc.min(available);
        if pay <= 0 {
            break;
        }
        let reference = format!("{}:settled-by:{credited}", debt.reference);
        let mut movement =
            Movement::new(user, EntryKind::Refund, Millicredits::new(-pay), &reference);
        movement.description = Some("Refund owed from an earlier payment");
        movement.meta = serde_json::json!({ "debt_id": debt.id, "settled_by": credited });
        ledger::apply(txn, movement).await?;
        if !debts::pay_off(txn, debt.id, pay).await? {
            return Err(BillingError::Db(penora_store::DbErr::Custom(
                "a debt changed while it was being settled".to_owned(),
            )));
        }
        settled += pay;
    }
    Ok(Millicredits::new(settled))
}
