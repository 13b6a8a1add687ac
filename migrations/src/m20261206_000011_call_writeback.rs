//! Call activity written back to Salesforce (DS-05): `call_activities` in its working shape
//! (the dialer's call id, unique per organization, so a repeated report is one call; the
//! write-back state with its attempts and next try), and `api_keys`, the per-organization
//! keys the dialer's JSON API authenticates with (only their SHA-256 is stored).
//!
//! Nothing wrote `call_activities` before this migration, so the table is recreated rather
//! than altered column by column.

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
            .drop_table(Table::drop().table(CallActivities::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CallActivities::Table)
                    .col(big_pk_auto(CallActivities::Id))
                    .col(big_integer(CallActivities::OrganizationId))
                    .col(big_integer(CallActivities::CampaignId))
                    // The dialer's id for the call; the Task's CallObject.
                    .col(string(CallActivities::CallId))
                    // "Contact" or "Lead" and its Salesforce Id: the Task's WhoId.
                    .col(string(CallActivities::SfObject))
                    .col(string(CallActivities::SfId))
                    .col(string(CallActivities::Subject))
                    .col(string(CallActivities::Disposition))
                    .col(big_integer(CallActivities::DurationSeconds))
                    .col(text(CallActivities::Notes))
                    .col(timestamp_with_time_zone(CallActivities::OccurredAt))
                    // Who recorded it: a user's name or an API key's name.
                    .col(string(CallActivities::RecordedBy))
                    // pending, written or failed.
                    .col(string(CallActivities::State))
                    .col(integer(CallActivities::Attempts))
                    .col(timestamp_with_time_zone(CallActivities::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(CallActivities::WrittenAt))
                    .col(string_null(CallActivities::SfTaskId))
                    .col(text_null(CallActivities::LastError))
                    .col(timestamp_with_time_zone(CallActivities::CreatedAt))
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
        manager
            .create_index(
                Index::create()
                    .name("idx_call_activities_organization_id_call_id")
                    .table(CallActivities::Table)
                    .col(CallActivities::OrganizationId)
                    .col(CallActivities::CallId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_call_activities_due")
                    .table(CallActivities::Table)
                    .col(CallActivities::OrganizationId)
                    .col(CallActivities::SfObject)
                    .col(CallActivities::State)
                    .col(CallActivities::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_call_activities_campaign_id_sf_id")
                    .table(CallActivities::Table)
                    .col(CallActivities::CampaignId)
                    .col(CallActivities::SfId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::OrganizationId))
                    .col(string(ApiKeys::Name))
                    // The first characters of the key, to tell keys apart in the list.
                    .col(string(ApiKeys::Prefix))
                    // Hex SHA-256 of the key: a database copy does not give the key away.
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_organization_id")
                            .from(ApiKeys::Table, ApiKeys::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_organization_id_name")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::OrganizationId)
                    .col(ApiKeys::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CallActivities::Table).to_owned())
            .await?;
        // The table as the campaigns migration made it.
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
                    .col(timestamp_with_time_zone_null(CallActivities::WrittenBackAt))
                    .col(string_null(CallActivities::SfTaskId))
                    .col(text_null(CallActivities::LastError))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CallActivities {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    CallId,
    SfObject,
    SfId,
    Subject,
    Disposition,
    DurationSeconds,
    Notes,
    OccurredAt,
    RecordedBy,
    State,
    Attempts,
    NextAttemptAt,
    WrittenAt,
    SfTaskId,
    LastError,
    CreatedAt,
    Outcome,
    WrittenBackAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    Name,
    Prefix,
    KeyHash,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}
