//! The sandbox as a [`Gateway`]: Razorpay's API calls, answered from the book.

use super::*;

#[async_trait::async_trait]
impl Gateway for Sandbox {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Sandbox
    }

    fn key_id(&self) -> &str {
        &self.options.key_id
    }

    fn signer(&self) -> &Signer {
        &self.signer
    }

    async fn create_order(&self, new: &NewOrder) -> Result<Order, GatewayError> {
        if new.amount <= 0 {
            return Err(GatewayError::bad_request("The amount must be at least 1"));
        }
        if new.receipt.chars().count() > 40 {
            return Err(GatewayError::bad_request(
                "receipt: The receipt may not be greater than 40 characters.",
            ));
        }
        let order = Order {
            id: new_id("order_"),
            entity: "order".to_owned(),
            amount: new.amount,
            amount_paid: 0,
            amount_due: new.amount,
            currency: new.currency.to_string(),
            receipt: Some(new.receipt.clone()),
            status: "created".to_owned(),
            attempts: 0,
            notes: new.notes.clone(),
            created_at: Utc::now().timestamp(),
        };
        self.store(ORDER, &order.id, None, &order).await?;
        Ok(order)
    }

    async fn fetch_order(&self, id: &str) -> Result<Order, GatewayError> {
        self.load(ORDER, id).await
    }

    async fn fetch_payment(&self, id: &str) -> Result<Payment, GatewayError> {
        self.load(PAYMENT, id).await
    }

    async fn order_payments(&self, order_id: &str) -> Result<Vec<Payment>, GatewayError> {
        let _order: Order = self.load(ORDER, order_id).await?;
        self.children(PAYMENT, order_id).await
    }

    async fn refund(&self, payment_id: &str, new: &NewRefund) -> Result<Refund, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        // As Razorpay: the same key and request get the first refund back.
        let request = serde_json::json!({
            "payment_id": payment_id, "amount": new.amount, "notes": new.notes,
        });
        if let Some(key) = &new.idempotency_key {
            if let Some(seen) = self.book.get(REFUND_KEY, key).await? {
                if seen["request"] != request {
                    return Err(GatewayError::bad_request(
                        "Different request with the same idempotency key has already been processed.",
                    ));
                }
                let refund_id = seen["refund_id"].as_str().unwrap_or_default();
                return self.load(REFUND, refund_id).await;
            }
        }
        let mut pay: Payment = self.load(PAYMENT, payment_id).await?;
        if pay.status != "captured" {
            return Err(GatewayError::bad_request(format!(
                "The payment is in {} state and cannot be refunded",
                pay.status
            )));
        }
        let left = pay.amount - pay.amount_refunded;
        let amount = new.amount.unwrap_or(left);
        if amount <= 0 || amount > left {
            return Err(GatewayError::bad_request(
                "The refund amount provided is greater than amount captured",
            ));
        }
        let refund = Refund {
            id: new_id("rfnd_"),
            entity: "refund".to_owned(),
            amount,
            currency: pay.currency.clone(),
            payment_id: pay.id.clone(),
            notes: new.notes.clone(),
            status: "processed".to_owned(),
            created_at: Utc::now().timestamp(),
        };
        self.store(REFUND, &refund.id, Some(&pay.id), &refund)
            .await?;
        if let Some(key) = &new.idempotency_key {
            let seen = serde_json::json!({ "request": request, "refund_id": refund.id });
            self.store(REFUND_KEY, key, Some(&pay.id), &seen).await?;
        }
        pay.amount_refunded += amount;
        if pay.amount_refunded == pay.amount {
            pay.status = "refunded".to_owned();
        }
        let parent = pay.order_id.clone().or_else(|| pay.subscription_id.clone());
        self.store(PAYMENT, &pay.id, parent.as_deref(), &pay)
            .await?;
        self.emit(
            EventKind::RefundProcessed,
            EventPayload {
                refund: Some(Wrapped::new(refund.clone())),
                payment: Some(Wrapped::new(pay)),
                ..EventPayload::default()
            },
        )
        .await?;
        Ok(refund)
    }

    async fn create_plan(&self, new: &NewPlan) -> Result<Plan, GatewayError> {
        if new.amount <= 0 || new.interval <= 0 {
            return Err(GatewayError::bad_request(
                "The plan amount and interval must be at least 1",
            ));
        }
        let plan = Plan {
            id: new_id("plan_"),
            entity: "plan".to_owned(),
            period: new.period.as_str().to_owned(),
            interval: new.interval,
            item: PlanItem {
                name: new.name.clone(),
                amount: new.amount,
                currency: new.currency.to_string(),
                description: new.description.clone(),
            },
            notes: new.notes.clone(),
            created_at: Utc::now().timestamp(),
        };
        self.store(PLAN, &plan.id, None, &plan).await?;
        Ok(plan)
    }

    async fn create_subscription(
        &self,
        new: &NewSubscription,
    ) -> Result<Subscription, GatewayError> {
        let _plan: Plan = self.load(PLAN, &new.plan_id).await?;
        if new.total_count <= 0 {
            return Err(GatewayError::bad_request("total_count must be at least 1"));
        }
        let sub = Subscription {
            id: new_id("sub_"),
            entity: "subscription".to_owned(),
            plan_id: new.plan_id.clone(),
            status: "created".to_owned(),
            current_start: None,
            current_end: None,
            ended_at: None,
            charge_at: None,
            start_at: None,
            end_at: None,
            total_count: new.total_count,
            paid_count: 0,
            remaining_count: Some(new.total_count),
            quantity: 1,
            customer_notify: true,
            notes: new.notes.clone(),
            short_url: None,
            has_scheduled_changes: false,
            created_at: Utc::now().timestamp(),
        };
        self.store_subscription(&sub, false).await?;
        Ok(sub)
    }

    async fn fetch_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        Ok(self.load_subscription(id).await?.0)
    }

    /// An active subscription with `at_cycle_end` stays active with `has_scheduled_changes`
    /// set, and is cancelled by the next `renew_subscription`; otherwise it is cancelled now
    /// and subscription.cancelled queued.
    async fn cancel_subscription(
        &self,
        id: &str,
        at_cycle_end: bool,
    ) -> Result<Subscription, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, _) = self.load_subscription(id).await?;
        if matches!(sub.status.as_str(), "cancelled" | "completed" | "expired") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is not cancellable in {} status.",
                sub.status
            )));
        }
        if at_cycle_end && sub.status == "active" {
            sub.has_scheduled_changes = true;
            self.store_subscription(&sub, true).await?;
            return Ok(sub);
        }
        sub.status = "cancelled".to_owned();
        sub.ended_at = Some(Utc::now().timestamp());
        sub.charge_at = None;
        sub.has_scheduled_changes = false;
        self.store_subscription(&sub, false).await?;
        self.emit(
            EventKind::SubscriptionCancelled,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                ..EventPayload::default()
            },
        )
        .await?;
        Ok(sub)
    }

    async fn subscription_payments(&self, id: &str) -> Result<Vec<Payment>, GatewayError> {
        let _sub = self.load_subscription(id).await?;
        self.children(PAYMENT, id).await
    }
}
