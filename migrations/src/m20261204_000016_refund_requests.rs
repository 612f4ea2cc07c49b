//! An admin's refund request, recorded before the gateway is asked: its `Idempotency-Key`,
//! the request's fingerprint and the amount it resolved to. A retry finds it and asks the
//! gateway again with the same gateway idempotency key and amount, so one request refunds
//! once however often it is sent, and whatever the gateway's webhook applied meanwhile.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RefundRequests {
    Table,
    Id,
    Scope,
    IdemKey,
    Fingerprint,
    PaymentId,
    AmountMinor,
    GatewayRefundId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefundRequests::Table)
                    .col(pk_uuid(RefundRequests::Id))
                    .col(string(RefundRequests::Scope))
                    .col(string(RefundRequests::IdemKey))
                    .col(string(RefundRequests::Fingerprint))
                    .col(uuid(RefundRequests::PaymentId))
                    .col(
                        big_integer(RefundRequests::AmountMinor)
                            .check(Expr::col(RefundRequests::AmountMinor).gt(0)),
                    )
                    .col(string_null(RefundRequests::GatewayRefundId))
                    .col(timestamp_with_time_zone(RefundRequests::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefundRequests::Table, RefundRequests::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refund_requests_key")
                    .table(RefundRequests::Table)
                    .col(RefundRequests::Scope)
                    .col(RefundRequests::IdemKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefundRequests::Table).to_owned())
            .await
    }
}
