//! The sync engine's state: Org Syncs, the mirror of Salesforce records, and run history.

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
                    .table(OrgSyncs::Table)
                    .col(big_pk_auto(OrgSyncs::Id))
                    .col(big_integer(OrgSyncs::OrganizationId))
                    // 'Contact' or 'Lead'; never changes once created (OS-06).
                    .col(string(OrgSyncs::Object))
                    // 'cdc' or 'rest'.
                    .col(string(OrgSyncs::Method))
                    // REST polling only.
                    .col(integer_null(OrgSyncs::IntervalMinutes))
                    // CDC only, e.g. '/data/ContactChangeEvent'.
                    .col(string_null(OrgSyncs::Channel))
                    .col(boolean(OrgSyncs::Enabled).default(false))
                    // 'active', 'paused', 'error' or 'circuit_open'.
                    .col(string(OrgSyncs::Status).default("paused"))
                    .col(timestamp_with_time_zone_null(OrgSyncs::LastSyncAt))
                    .col(big_integer(OrgSyncs::ErrorCount).default(0))
                    .col(integer(OrgSyncs::ConsecutiveFailures).default(0))
                    .col(text_null(OrgSyncs::LastError))
                    .col(timestamp_with_time_zone_null(OrgSyncs::CircuitOpenedAt))
                    // Where ingestion resumes: the CDC replay id and the REST SystemModstamp.
                    .col(string_null(OrgSyncs::ReplayId))
                    .col(string_null(OrgSyncs::Watermark))
                    .col(timestamp_with_time_zone(OrgSyncs::CreatedAt))
                    .col(timestamp_with_time_zone(OrgSyncs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_syncs_organization_id")
                            .from(OrgSyncs::Table, OrgSyncs::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_org_syncs_organization_id_object")
                    .table(OrgSyncs::Table)
                    .col(OrgSyncs::OrganizationId)
                    .col(OrgSyncs::Object)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SfRecords::Table)
                    .col(big_pk_auto(SfRecords::Id))
                    .col(big_integer(SfRecords::OrgSyncId))
                    .col(string(SfRecords::SfId))
                    // JSON object of the fetched Salesforce fields.
                    .col(text(SfRecords::Fields))
                    .col(string(SfRecords::SystemModstamp))
                    .col(boolean(SfRecords::Deleted).default(false))
                    .col(timestamp_with_time_zone(SfRecords::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sf_records_org_sync_id")
                            .from(SfRecords::Table, SfRecords::OrgSyncId)
                            .to(OrgSyncs::Table, OrgSyncs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_sf_records_org_sync_id_sf_id")
                    .table(SfRecords::Table)
                    .col(SfRecords::OrgSyncId)
                    .col(SfRecords::SfId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .col(big_pk_auto(SyncRuns::Id))
                    .col(big_integer(SyncRuns::OrgSyncId))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    .col(string(SyncRuns::Outcome))
                    .col(big_integer(SyncRuns::Records).default(0))
                    .col(text_null(SyncRuns::Message))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_runs_org_sync_id")
                            .from(SyncRuns::Table, SyncRuns::OrgSyncId)
                            .to(OrgSyncs::Table, OrgSyncs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_runs_org_sync_id_started_at")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::OrgSyncId)
                    .col(SyncRuns::StartedAt)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SyncRuns::Table.into_iden(),
            SfRecords::Table.into_iden(),
            OrgSyncs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrgSyncs {
    Table,
    Id,
    OrganizationId,
    Object,
    Method,
    IntervalMinutes,
    Channel,
    Enabled,
    Status,
    LastSyncAt,
    ErrorCount,
    ConsecutiveFailures,
    LastError,
    CircuitOpenedAt,
    ReplayId,
    Watermark,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SfRecords {
    Table,
    Id,
    OrgSyncId,
    SfId,
    Fields,
    SystemModstamp,
    Deleted,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    OrgSyncId,
    StartedAt,
    FinishedAt,
    Outcome,
    Records,
    Message,
}
