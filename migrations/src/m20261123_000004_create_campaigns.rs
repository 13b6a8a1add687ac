//! Campaign side: campaigns, Data Sources and their Links, imported campaign records, and call
//! activity waiting to be written back to Salesforce.

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
                    .table(Campaigns::Table)
                    .col(big_pk_auto(Campaigns::Id))
                    .col(big_integer(Campaigns::OrganizationId))
                    .col(string(Campaigns::Name))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaigns_organization_id")
                            .from(Campaigns::Table, Campaigns::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_campaigns_organization_id",
            Campaigns::Table,
            [Campaigns::OrganizationId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DataSources::Table)
                    .col(big_pk_auto(DataSources::Id))
                    .col(big_integer(DataSources::OrganizationId))
                    .col(big_integer(DataSources::OrgSyncId))
                    .col(string(DataSources::Name))
                    // JSON filter over the mirrored fields.
                    .col(text(DataSources::Filter))
                    // JSON array of the Salesforce field names this Data Source reads.
                    .col(text(DataSources::Fields))
                    .col(timestamp_with_time_zone(DataSources::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_data_sources_organization_id")
                            .from(DataSources::Table, DataSources::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Removing an Org Sync removes its Data Sources (OS-07, DS-04).
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_data_sources_org_sync_id")
                            .from(DataSources::Table, DataSources::OrgSyncId)
                            .to(OrgSyncs::Table, OrgSyncs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_data_sources_organization_id",
            DataSources::Table,
            [DataSources::OrganizationId],
        )
        .await?;
        index(
            manager,
            "idx_data_sources_org_sync_id",
            DataSources::Table,
            [DataSources::OrgSyncId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DataSourceLinks::Table)
                    .col(big_pk_auto(DataSourceLinks::Id))
                    .col(big_integer(DataSourceLinks::DataSourceId))
                    .col(big_integer(DataSourceLinks::CampaignId))
                    // JSON: Salesforce field -> campaign phone slot.
                    .col(text(DataSourceLinks::PhoneMappings))
                    // JSON: Salesforce field -> campaign custom field.
                    .col(text(DataSourceLinks::CustomFieldMappings))
                    .col(timestamp_with_time_zone(DataSourceLinks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_data_source_links_data_source_id")
                            .from(DataSourceLinks::Table, DataSourceLinks::DataSourceId)
                            .to(DataSources::Table, DataSources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_data_source_links_campaign_id")
                            .from(DataSourceLinks::Table, DataSourceLinks::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A Data Source is attached to a given campaign at most once (DS-02).
        unique(
            manager,
            "uq_data_source_links_data_source_id_campaign_id",
            DataSourceLinks::Table,
            [DataSourceLinks::DataSourceId, DataSourceLinks::CampaignId],
        )
        .await?;
        index(
            manager,
            "idx_data_source_links_campaign_id",
            DataSourceLinks::Table,
            [DataSourceLinks::CampaignId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignRecords::Table)
                    .col(big_pk_auto(CampaignRecords::Id))
                    .col(big_integer(CampaignRecords::CampaignId))
                    .col(string(CampaignRecords::SfId))
                    // JSON array of normalized phone numbers.
                    .col(text(CampaignRecords::Phones))
                    // JSON object of campaign custom field -> value.
                    .col(text(CampaignRecords::CustomFields))
                    .col(big_integer_null(CampaignRecords::SourceLinkId))
                    .col(timestamp_with_time_zone(CampaignRecords::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_records_campaign_id")
                            .from(CampaignRecords::Table, CampaignRecords::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Imported records stay when their Link goes (OS-07, DS-04).
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_records_source_link_id")
                            .from(CampaignRecords::Table, CampaignRecords::SourceLinkId)
                            .to(DataSourceLinks::Table, DataSourceLinks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        unique(
            manager,
            "uq_campaign_records_campaign_id_sf_id",
            CampaignRecords::Table,
            [CampaignRecords::CampaignId, CampaignRecords::SfId],
        )
        .await?;
        index(
            manager,
            "idx_campaign_records_source_link_id",
            CampaignRecords::Table,
            [CampaignRecords::SourceLinkId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CallActivities::Table)
                    .col(big_pk_auto(CallActivities::Id))
                    .col(big_integer(CallActivities::OrganizationId))
                    .col(big_integer(CallActivities::CampaignId))
                    .col(string(CallActivities::SfId))
                    .col(string(CallActivities::Subject))
                    .col(string(CallActivities::Outcome))
                    .col(timestamp_with_time_zone(CallActivities::OccurredAt))
                    // NULL until the Task exists in Salesforce: the write-back queue.
                    .col(timestamp_with_time_zone_null(CallActivities::WrittenBackAt))
                    .col(string_null(CallActivities::SfTaskId))
                    .col(text_null(CallActivities::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_call_activities_organization_id")
                            .from(CallActivities::Table, CallActivities::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_call_activities_campaign_id")
                            .from(CallActivities::Table, CallActivities::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_call_activities_organization_id_written_back_at",
            CallActivities::Table,
            [
                CallActivities::OrganizationId,
                CallActivities::WrittenBackAt,
            ],
        )
        .await?;
        index(
            manager,
            "idx_call_activities_campaign_id",
            CallActivities::Table,
            [CallActivities::CampaignId],
        )
        .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CallActivities::Table.into_iden(),
            CampaignRecords::Table.into_iden(),
            DataSourceLinks::Table.into_iden(),
            DataSources::Table.into_iden(),
            Campaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Creates a plain index named `name` on `cols` of `table`.
async fn index<T, C, const N: usize>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: [C; N],
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    manager.create_index(stmt).await
}

/// Creates a unique index named `name` on `cols` of `table`.
async fn unique<T, C, const N: usize>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: [C; N],
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table).unique();
    for col in cols {
        stmt.col(col);
    }
    manager.create_index(stmt).await
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
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrganizationId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DataSources {
    Table,
    Id,
    OrganizationId,
    OrgSyncId,
    Name,
    Filter,
    Fields,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DataSourceLinks {
    Table,
    Id,
    DataSourceId,
    CampaignId,
    PhoneMappings,
    CustomFieldMappings,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignRecords {
    Table,
    Id,
    CampaignId,
    SfId,
    Phones,
    CustomFields,
    SourceLinkId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CallActivities {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    SfId,
    Subject,
    Outcome,
    OccurredAt,
    WrittenBackAt,
    SfTaskId,
    LastError,
}
