//! One index for a campaign's readiness counts instead of two.
//!
//! The counts (`campaign_records::state_counts`) group a campaign's records by Link and
//! state. `(campaign_id, source_link_id, state)` answers them from the index alone, in the
//! order they are grouped, and it replaces both `(campaign_id, state)`, which answered them
//! only in part, and `(source_link_id)`, which served nothing but the `SET NULL` that removing
//! a Link applies to its records. That removal is rare and now scans a campaign's records;
//! every write of a campaign record, thousands a second when a Link brings a mirror in,
//! updates one b-tree fewer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTS: &str = "idx_campaign_records_campaign_id_source_link_id_state";
const BY_STATE: &str = "idx_campaign_records_campaign_id_state";
const BY_LINK: &str = "idx_campaign_records_source_link_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(COUNTS)
                    .table(CampaignRecords::Table)
                    .col(CampaignRecords::CampaignId)
                    .col(CampaignRecords::SourceLinkId)
                    .col(CampaignRecords::State)
                    .to_owned(),
            )
            .await?;
        for name in [BY_STATE, BY_LINK] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(CampaignRecords::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_LINK)
                    .table(CampaignRecords::Table)
                    .col(CampaignRecords::SourceLinkId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_STATE)
                    .table(CampaignRecords::Table)
                    .col(CampaignRecords::CampaignId)
                    .col(CampaignRecords::State)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(COUNTS)
                    .table(CampaignRecords::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CampaignRecords {
    Table,
    CampaignId,
    SourceLinkId,
    State,
}
