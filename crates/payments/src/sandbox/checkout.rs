//! The TEST MODE actions a tester takes on the checkout page, and the renewals and failed
//! renewals triggered by hand.

use super::*;

impl Sandbox {
    /// Pays, fails or abandons order `order_id`. Pay: a captured payment of the order's amount
    /// (or the tampered one), order status "paid", and webhooks payment.captured then order.paid
    /// queued; Fail: a failed payment and payment.failed queued; Cancel: nothing changes.
    /// The signature is `payment_signature(order_id, payment_id)`. Paying an already paid order:
    /// GatewayError::Rejected (code "BAD_REQUEST_ERROR").
    pub async fn checkout_order(
        &self,
        order_id: &str,
        action: CheckoutAction,
        tamper: Tamper,
    ) -> Result<CheckoutResult, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let mut order: Order = self.load(ORDER, order_id).await?;
        let mut result = CheckoutResult {
            status: "cancelled".to_owned(),
            razorpay_order_id: Some(order.id.clone()),
            razorpay_subscription_id: None,
            razorpay_payment_id: None,
            razorpay_signature: None,
            error_description: None,
        };
        if action == CheckoutAction::Cancel {
            return Ok(result);
        }
        if order.status == "paid" {
            return Err(GatewayError::bad_request(
                "This order has already been paid",
            ));
        }
        let now = Utc::now().timestamp();
        let captured = action == CheckoutAction::Pay;
        let pay = payment(
            NewPayment {
                amount: tamper.amount.unwrap_or(order.amount),
                currency: tamper.currency.as_deref().unwrap_or(&order.currency),
                order_id: Some(&order.id),
                subscription_id: None,
                invoice_id: None,
                captured,
                notes: order.notes.clone(),
            },
            now,
        );
        self.store(PAYMENT, &pay.id, Some(&order.id), &pay).await?;
        order.attempts += 1;
        result.razorpay_payment_id = Some(pay.id.clone());
        if captured {
            order.status = "paid".to_owned();
            order.amount_paid = pay.amount;
            order.amount_due = (order.amount - pay.amount).max(0);
            self.store(ORDER, &order.id, None, &order).await?;
            let wrapped = Some(Wrapped::new(pay.clone()));
            self.emit(
                EventKind::PaymentCaptured,
                EventPayload {
                    payment: wrapped.clone(),
                    ..EventPayload::default()
                },
            )
            .await?;
            self.emit(
                EventKind::OrderPaid,
                EventPayload {
                    payment: wrapped,
                    order: Some(Wrapped::new(order.clone())),
                    ..EventPayload::default()
                },
            )
            .await?;
            result.status = "paid".to_owned();
            result.razorpay_signature = Some(self.signer.payment_signature(&order.id, &pay.id));
        } else {
            order.status = "attempted".to_owned();
            self.store(ORDER, &order.id, None, &order).await?;
            result.status = "failed".to_owned();
            result.error_description = pay.error_description.clone();
            self.emit(
                EventKind::PaymentFailed,
                EventPayload {
                    payment: Some(Wrapped::new(pay)),
                    ..EventPayload::default()
                },
            )
            .await?;
        }
        Ok(result)
    }

    /// The first payment of subscription `id`: status "active", current_start = now,
    /// current_end = now + the plan's period (monthly: +1 calendar month, yearly: +1 year),
    /// paid_count 1, a captured payment (amount of the plan item) with subscription_id and
    /// invoice_id set, webhooks subscription.activated then subscription.charged (payload with
    /// subscription and payment). Signature: subscription_signature(payment_id, sub_id).
    /// Fail: a failed payment (subscription unchanged) and payment.failed queued.
    pub async fn checkout_subscription(
        &self,
        id: &str,
        action: CheckoutAction,
    ) -> Result<CheckoutResult, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, cancel_at_end) = self.load_subscription(id).await?;
        let plan: Plan = self.load(PLAN, &sub.plan_id).await?;
        let mut result = CheckoutResult {
            status: "cancelled".to_owned(),
            razorpay_order_id: None,
            razorpay_subscription_id: Some(sub.id.clone()),
            razorpay_payment_id: None,
            razorpay_signature: None,
            error_description: None,
        };
        if action == CheckoutAction::Cancel {
            return Ok(result);
        }
        if !matches!(sub.status.as_str(), "created" | "authenticated") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is in {} state and cannot be paid for at checkout",
                sub.status
            )));
        }
        let now = Utc::now().timestamp();
        let captured = action == CheckoutAction::Pay;
        let pay = payment(
            NewPayment {
                amount: plan.item.amount.saturating_mul(sub.quantity),
                currency: &plan.item.currency,
                order_id: None,
                subscription_id: Some(&sub.id),
                invoice_id: Some(new_id("inv_")),
                captured,
                notes: sub.notes.clone(),
            },
            now,
        );
        self.store(PAYMENT, &pay.id, Some(&sub.id), &pay).await?;
        result.razorpay_payment_id = Some(pay.id.clone());
        if !captured {
            result.status = "failed".to_owned();
            result.error_description = pay.error_description.clone();
            self.emit(
                EventKind::PaymentFailed,
                EventPayload {
                    payment: Some(Wrapped::new(pay)),
                    ..EventPayload::default()
                },
            )
            .await?;
            return Ok(result);
        }
        let end = advance(now, &plan.period, plan.interval)?;
        sub.status = "active".to_owned();
        sub.start_at = Some(now);
        sub.current_start = Some(now);
        sub.current_end = Some(end);
        sub.charge_at = Some(end);
        sub.paid_count = 1;
        sub.remaining_count = Some((sub.total_count - sub.paid_count).max(0));
        self.store_subscription(&sub, cancel_at_end).await?;
        self.emit(
            EventKind::SubscriptionActivated,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                ..EventPayload::default()
            },
        )
        .await?;
        self.emit(
            EventKind::SubscriptionCharged,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                payment: Some(Wrapped::new(pay.clone())),
                ..EventPayload::default()
            },
        )
        .await?;
        result.status = "paid".to_owned();
        result.razorpay_signature = Some(self.signer.subscription_signature(&pay.id, &sub.id));
        Ok(result)
    }

    /// TEST MODE: the next period is charged now: current_start = old current_end,
    /// current_end advances one period, paid_count + 1, a new captured payment,
    /// subscription.charged queued. If the subscription was cancelled at cycle end, instead:
    /// status "cancelled", ended_at = now, subscription.cancelled queued. If it has reached
    /// total_count: status "completed", subscription.completed queued. A pending or halted
    /// subscription becomes active again. Other statuses: Rejected.
    pub async fn renew_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, cancel_at_end) = self.load_subscription(id).await?;
        if !matches!(sub.status.as_str(), "active" | "pending" | "halted") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is in {} state and cannot be charged",
                sub.status
            )));
        }
        let now = Utc::now().timestamp();
        if cancel_at_end || sub.paid_count >= sub.total_count {
            let kind = if cancel_at_end {
                sub.status = "cancelled".to_owned();
                EventKind::SubscriptionCancelled
            } else {
                sub.status = "completed".to_owned();
                EventKind::SubscriptionCompleted
            };
            sub.ended_at = Some(now);
            sub.charge_at = None;
            sub.has_scheduled_changes = false;
            self.store_subscription(&sub, false).await?;
            self.emit(
                kind,
                EventPayload {
                    subscription: Some(Wrapped::new(sub.clone())),
                    ..EventPayload::default()
                },
            )
            .await?;
            return Ok(sub);
        }
        let plan: Plan = self.load(PLAN, &sub.plan_id).await?;
        let start = sub.current_end.unwrap_or(now);
        let end = advance(start, &plan.period, plan.interval)?;
        let pay = payment(
            NewPayment {
                amount: plan.item.amount.saturating_mul(sub.quantity),
                currency: &plan.item.currency,
                order_id: None,
                subscription_id: Some(&sub.id),
                invoice_id: Some(new_id("inv_")),
                captured: true,
                notes: sub.notes.clone(),
            },
            now,
        );
        self.store(PAYMENT, &pay.id, Some(&sub.id), &pay).await?;
        sub.status = "active".to_owned();
        sub.current_start = Some(start);
        sub.current_end = Some(end);
        sub.charge_at = Some(end);
        sub.paid_count += 1;
        sub.remaining_count = Some((sub.total_count - sub.paid_count).max(0));
        self.store_subscription(&sub, false).await?;
        self.emit(
            EventKind::SubscriptionCharged,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                payment: Some(Wrapped::new(pay)),
                ..EventPayload::default()
            },
        )
        .await?;
        Ok(sub)
    }

    /// TEST MODE: the renewal charge failed: status "pending" then "halted";
    /// subscription.pending then subscription.halted queued. Only an active or pending
    /// subscription can be halted (others: Rejected).
    pub async fn halt_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, cancel_at_end) = self.load_subscription(id).await?;
        if !matches!(sub.status.as_str(), "active" | "pending") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is in {} state and cannot be halted",
                sub.status
            )));
        }
        for (status, kind) in [
            ("pending", EventKind::SubscriptionPending),
            ("halted", EventKind::SubscriptionHalted),
        ] {
            sub.status = status.to_owned();
            self.store_subscription(&sub, cancel_at_end).await?;
            self.emit(
                kind,
                EventPayload {
                    subscription: Some(Wrapped::new(sub.clone())),
                    ..EventPayload::default()
                },
            )
            .await?;
        }
        Ok(sub)
    }
}
