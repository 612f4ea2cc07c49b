//! Billing: orders, payments received, refunds, credit debts, subscriptions, the gateway's
//! plan ids, received webhook events, and the sandbox gateway's objects and webhook outbox.
//!
//! Every gateway id is UNIQUE: a payment, refund, subscription or event is applied once, by
//! whichever of the browser's verify, a webhook or the reconcile job gets there first.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PaymentOrders {
    Table,
    Id,
    UserId,
    ItemId,
    CreditsMc,
    AmountMinor,
    Currency,
    Gateway,
    GatewayOrderId,
    Status,
    GatewayPaymentId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    UserId,
    Gateway,
    GatewayPaymentId,
    OrderId,
    SubscriptionId,
    ItemId,
    CreditsMc,
    AmountMinor,
    Currency,
    ExpectedAmountMinor,
    ExpectedCurrency,
    Status,
    RefundedMinor,
    CreditsTakenMc,
    ReceiptNumber,
    PeriodStart,
    PeriodEnd,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    PaymentId,
    GatewayRefundId,
    AmountMinor,
    TakenMc,
    DebtMc,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CreditDebts {
    Table,
    Id,
    UserId,
    AmountMc,
    RemainingMc,
    Reference,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    UserId,
    ItemId,
    Tier,
    Gateway,
    GatewaySubscriptionId,
    Status,
    CurrentStart,
    CurrentEnd,
    EntitledUntil,
    CancelAtPeriodEnd,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GatewayPlans {
    Table,
    Id,
    Gateway,
    ItemId,
    AmountMinor,
    Currency,
    GatewayPlanId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    EventId,
    Event,
    Body,
    ReceivedAt,
    ProcessedAt,
    Outcome,
    Attempts,
    NextAttemptAt,
    LastError,
}

#[derive(DeriveIden)]
enum SandboxObjects {
    Table,
    Id,
    Kind,
    Parent,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SandboxDeliveries {
    Table,
    Id,
    EventId,
    Event,
    Body,
    Signature,
    DeliverAfter,
    Attempts,
    DeliveredAt,
    LastError,
}

fn user_fk(
    from_table: impl IntoIden + 'static,
    from_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentOrders::Table)
                    .col(pk_uuid(PaymentOrders::Id))
                    .col(uuid(PaymentOrders::UserId))
                    .col(string(PaymentOrders::ItemId))
                    .col(big_integer(PaymentOrders::CreditsMc))
                    .col(
                        big_integer(PaymentOrders::AmountMinor)
                            .check(Expr::col(PaymentOrders::AmountMinor).gt(0)),
                    )
                    .col(string(PaymentOrders::Currency))
                    .col(string(PaymentOrders::Gateway))
                    .col(string(PaymentOrders::GatewayOrderId))
                    .col(string(PaymentOrders::Status))
                    .col(string_null(PaymentOrders::GatewayPaymentId))
                    .col(timestamp_with_time_zone(PaymentOrders::CreatedAt))
                    .col(timestamp_with_time_zone(PaymentOrders::UpdatedAt))
                    .foreign_key(&mut user_fk(PaymentOrders::Table, PaymentOrders::UserId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_payment_orders_gateway_order",
            PaymentOrders::Table,
            vec![
                PaymentOrders::Gateway.into_iden(),
                PaymentOrders::GatewayOrderId.into_iden(),
            ],
            true,
        )
        .await?;
        // The reconcile job's scan: open orders by age.
        index(
            manager,
            "idx_payment_orders_status_created",
            PaymentOrders::Table,
            vec![
                PaymentOrders::Status.into_iden(),
                PaymentOrders::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::UserId))
                    .col(string(Payments::Gateway))
                    .col(string(Payments::GatewayPaymentId))
                    .col(uuid_null(Payments::OrderId))
                    .col(uuid_null(Payments::SubscriptionId))
                    .col(string(Payments::ItemId))
                    .col(
                        big_integer(Payments::CreditsMc)
                            .check(Expr::col(Payments::CreditsMc).gte(0)),
                    )
                    .col(big_integer(Payments::AmountMinor))
                    .col(string(Payments::Currency))
                    .col(big_integer(Payments::ExpectedAmountMinor))
                    .col(string(Payments::ExpectedCurrency))
                    .col(string(Payments::Status))
                    .col(big_integer(Payments::RefundedMinor).default(0))
                    .col(big_integer(Payments::CreditsTakenMc).default(0))
                    .col(string(Payments::ReceiptNumber))
                    .col(timestamp_with_time_zone_null(Payments::PeriodStart))
                    .col(timestamp_with_time_zone_null(Payments::PeriodEnd))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .foreign_key(&mut user_fk(Payments::Table, Payments::UserId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_payments_gateway_payment",
            Payments::Table,
            vec![
                Payments::Gateway.into_iden(),
                Payments::GatewayPaymentId.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "idx_payments_receipt_number",
            Payments::Table,
            vec![Payments::ReceiptNumber.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_payments_user_id",
            Payments::Table,
            vec![Payments::UserId.into_iden(), Payments::Id.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(pk_uuid(Refunds::Id))
                    .col(uuid(Refunds::PaymentId))
                    .col(string(Refunds::GatewayRefundId))
                    .col(big_integer(Refunds::AmountMinor))
                    .col(big_integer(Refunds::TakenMc))
                    .col(big_integer(Refunds::DebtMc))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Refunds::Table, Refunds::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_refunds_gateway_refund",
            Refunds::Table,
            vec![Refunds::GatewayRefundId.into_iden()],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CreditDebts::Table)
                    .col(pk_uuid(CreditDebts::Id))
                    .col(uuid(CreditDebts::UserId))
                    .col(
                        big_integer(CreditDebts::AmountMc)
                            .check(Expr::col(CreditDebts::AmountMc).gt(0)),
                    )
                    .col(
                        big_integer(CreditDebts::RemainingMc)
                            .check(Expr::col(CreditDebts::RemainingMc).gte(0)),
                    )
                    .col(string(CreditDebts::Reference))
                    .col(timestamp_with_time_zone(CreditDebts::CreatedAt))
                    .col(timestamp_with_time_zone_null(CreditDebts::SettledAt))
                    .foreign_key(&mut user_fk(CreditDebts::Table, CreditDebts::UserId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_credit_debts_reference",
            CreditDebts::Table,
            vec![CreditDebts::Reference.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_credit_debts_user",
            CreditDebts::Table,
            vec![
                CreditDebts::UserId.into_iden(),
                CreditDebts::RemainingMc.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .col(pk_uuid(Subscriptions::Id))
                    .col(uuid(Subscriptions::UserId))
                    .col(string(Subscriptions::ItemId))
                    .col(string(Subscriptions::Tier))
                    .col(string(Subscriptions::Gateway))
                    .col(string(Subscriptions::GatewaySubscriptionId))
                    .col(string(Subscriptions::Status))
                    .col(timestamp_with_time_zone_null(Subscriptions::CurrentStart))
                    .col(timestamp_with_time_zone_null(Subscriptions::CurrentEnd))
                    .col(timestamp_with_time_zone_null(Subscriptions::EntitledUntil))
                    .col(boolean(Subscriptions::CancelAtPeriodEnd).default(false))
                    .col(timestamp_with_time_zone(Subscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(Subscriptions::UpdatedAt))
                    .foreign_key(&mut user_fk(Subscriptions::Table, Subscriptions::UserId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_subscriptions_gateway_subscription",
            Subscriptions::Table,
            vec![
                Subscriptions::Gateway.into_iden(),
                Subscriptions::GatewaySubscriptionId.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "idx_subscriptions_user",
            Subscriptions::Table,
            vec![
                Subscriptions::UserId.into_iden(),
                Subscriptions::EntitledUntil.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GatewayPlans::Table)
                    .col(pk_uuid(GatewayPlans::Id))
                    .col(string(GatewayPlans::Gateway))
                    .col(string(GatewayPlans::ItemId))
                    .col(big_integer(GatewayPlans::AmountMinor))
                    .col(string(GatewayPlans::Currency))
                    .col(string(GatewayPlans::GatewayPlanId))
                    .col(timestamp_with_time_zone(GatewayPlans::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_gateway_plans_item",
            GatewayPlans::Table,
            vec![
                GatewayPlans::Gateway.into_iden(),
                GatewayPlans::ItemId.into_iden(),
                GatewayPlans::AmountMinor.into_iden(),
                GatewayPlans::Currency.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(pk_uuid(WebhookEvents::Id))
                    .col(string(WebhookEvents::EventId))
                    .col(string(WebhookEvents::Event))
                    .col(text(WebhookEvents::Body))
                    .col(timestamp_with_time_zone(WebhookEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(WebhookEvents::ProcessedAt))
                    .col(string_null(WebhookEvents::Outcome))
                    .col(integer(WebhookEvents::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(WebhookEvents::NextAttemptAt))
                    .col(text_null(WebhookEvents::LastError))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_webhook_events_event_id",
            WebhookEvents::Table,
            vec![WebhookEvents::EventId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_webhook_events_pending",
            WebhookEvents::Table,
            vec![
                WebhookEvents::ProcessedAt.into_iden(),
                WebhookEvents::NextAttemptAt.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxObjects::Table)
                    .col(string(SandboxObjects::Id).primary_key())
                    .col(string(SandboxObjects::Kind))
                    .col(string_null(SandboxObjects::Parent))
                    .col(text(SandboxObjects::Body))
                    .col(timestamp_with_time_zone(SandboxObjects::CreatedAt))
                    .col(timestamp_with_time_zone(SandboxObjects::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_sandbox_objects_parent",
            SandboxObjects::Table,
            vec![
                SandboxObjects::Parent.into_iden(),
                SandboxObjects::Kind.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SandboxDeliveries::Table)
                    .col(pk_uuid(SandboxDeliveries::Id))
                    .col(string(SandboxDeliveries::EventId))
                    .col(string(SandboxDeliveries::Event))
                    .col(text(SandboxDeliveries::Body))
                    .col(string(SandboxDeliveries::Signature))
                    .col(timestamp_with_time_zone(SandboxDeliveries::DeliverAfter))
                    .col(integer(SandboxDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(
                        SandboxDeliveries::DeliveredAt,
                    ))
                    .col(text_null(SandboxDeliveries::LastError))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_sandbox_deliveries_due",
            SandboxDeliveries::Table,
            vec![
                SandboxDeliveries::DeliveredAt.into_iden(),
                SandboxDeliveries::DeliverAfter.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SandboxDeliveries::Table.into_iden(),
            SandboxObjects::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            GatewayPlans::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            CreditDebts::Table.into_iden(),
            Refunds::Table.into_iden(),
            Payments::Table.into_iden(),
            PaymentOrders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
