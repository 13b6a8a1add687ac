//! `leases`: named, expiring ownership of shared work, so that several instances on one
//! PostgreSQL never run the same thing twice (an Org Sync's worker: `org_sync:<id>`; an
//! organization's token refresh: `token_refresh:<organization id>`).
//!
//! `holder` names one acquisition (instance and a random part), so a holder that lost its lease
//! and comes back can never mistake a later lease for its own. `expires_at` is written by the
//! holder's clock when it takes or renews the lease.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(string(Leases::Name).primary_key())
                    .col(string(Leases::Holder))
                    .col(timestamp_with_time_zone(Leases::AcquiredAt))
                    .col(timestamp_with_time_zone(Leases::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Leases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Leases {
    Table,
    Name,
    Holder,
    AcquiredAt,
    ExpiresAt,
}
