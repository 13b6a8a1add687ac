//! The sync engine's bookkeeping: backfill progress on `org_syncs` and an apply counter on the
//! mirror (`sf_records`).
//!
//! SQLite's `ALTER TABLE` adds or drops one column per statement, so every column is its own
//! statement here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Progress of a first backfill (records fetched of the total Salesforce reported); both
        // null when no backfill runs.
        for column in [OrgSyncs::BackfillTotal, OrgSyncs::BackfillRecords] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OrgSyncs::Table)
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // How many times a change was applied to the mirrored row (1 when first inserted).
        manager
            .alter_table(
                Table::alter()
                    .table(SfRecords::Table)
                    .add_column(big_integer(SfRecords::AppliedCount).default(1))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SfRecords::Table)
                    .drop_column(SfRecords::AppliedCount)
                    .to_owned(),
            )
            .await?;
        for column in [OrgSyncs::BackfillRecords, OrgSyncs::BackfillTotal] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OrgSyncs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OrgSyncs {
    Table,
    BackfillTotal,
    BackfillRecords,
}

#[derive(DeriveIden)]
enum SfRecords {
    Table,
    AppliedCount,
}
