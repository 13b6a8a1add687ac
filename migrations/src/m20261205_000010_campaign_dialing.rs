//! What a campaign needs to dial: its phone slots, custom fields and default region, and on
//! each imported record where it came from and whether it can be dialed (DS-02..DS-04); on
//! each Org Sync the fields its mirror holds (IG-03).
//!
//! SQLite's `ALTER TABLE` adds one column per statement, so every column is its own
//! statement; each has a default so existing rows stay valid.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let campaign_columns = [
            // JSON array of phone slot names, e.g. ["Primary", "Mobile"].
            text(Campaigns::PhoneSlots)
                .default("[\"Primary\"]")
                .to_owned(),
            // JSON array of custom field names.
            text(Campaigns::CustomFields).default("[]").to_owned(),
            // ISO 3166 region used to read phone numbers without a country code.
            string(Campaigns::Region).default("US").to_owned(),
        ];
        for column in campaign_columns {
            add(manager, Campaigns::Table, column).await?;
        }
        let record_columns = [
            // "Contact" or "Lead".
            string(CampaignRecords::SfObject).default("").to_owned(),
            // The person's name as Salesforce had it, for the records list.
            string(CampaignRecords::DisplayName).default("").to_owned(),
            // The Data Source the record was imported through (kept when it is removed).
            string(CampaignRecords::SourceName).default("").to_owned(),
            // `ready` or why not: no_valid_phone, do_not_call, converted, deleted, not_matching.
            string(CampaignRecords::State).default("ready").to_owned(),
            timestamp_with_time_zone(CampaignRecords::CreatedAt)
                .default("1970-01-01T00:00:00+00:00")
                .to_owned(),
        ];
        for column in record_columns {
            add(manager, CampaignRecords::Table, column).await?;
        }
        // JSON array of the describe entries (name, label, kind) of the fields a Data Source
        // reads, kept so its filter is evaluated with the types it was built with.
        add(
            manager,
            DataSources::Table,
            text(DataSources::FieldInfo).default("[]").to_owned(),
        )
        .await?;
        // JSON array of the fields every mirrored record of the sync holds (IG-03); NULL
        // means the engine's default field list, all that was fetched before Data Sources.
        add(
            manager,
            OrgSyncs::Table,
            text_null(OrgSyncs::FetchedFields).to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_records_campaign_id_state")
                    .table(CampaignRecords::Table)
                    .col(CampaignRecords::CampaignId)
                    .col(CampaignRecords::State)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, OrgSyncs::Table, OrgSyncs::FetchedFields).await?;
        drop(manager, DataSources::Table, DataSources::FieldInfo).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_campaign_records_campaign_id_state")
                    .table(CampaignRecords::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            CampaignRecords::CreatedAt,
            CampaignRecords::State,
            CampaignRecords::SourceName,
            CampaignRecords::DisplayName,
            CampaignRecords::SfObject,
        ] {
            drop(manager, CampaignRecords::Table, column).await?;
        }
        for column in [
            Campaigns::Region,
            Campaigns::CustomFields,
            Campaigns::PhoneSlots,
        ] {
            drop(manager, Campaigns::Table, column).await?;
        }
        Ok(())
    }
}

async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

async fn drop(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    PhoneSlots,
    CustomFields,
    Region,
}

#[derive(DeriveIden)]
enum DataSources {
    Table,
    FieldInfo,
}

#[derive(DeriveIden)]
enum OrgSyncs {
    Table,
    FetchedFields,
}

#[derive(DeriveIden)]
enum CampaignRecords {
    Table,
    CampaignId,
    SfObject,
    DisplayName,
    SourceName,
    State,
    CreatedAt,
}
