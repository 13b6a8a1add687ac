//! The Salesforce connection: stored OAuth tokens and the linked Salesforce account.

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
                    .table(OauthTokens::Table)
                    .col(big_pk_auto(OauthTokens::Id))
                    .col(big_integer(OauthTokens::OrganizationId))
                    // e.g. 'salesforce'.
                    .col(string(OauthTokens::Provider))
                    // Secrets are encrypted by the application before they reach the database.
                    .col(text(OauthTokens::AccessTokenCiphertext))
                    .col(text_null(OauthTokens::RefreshTokenCiphertext))
                    .col(string(OauthTokens::InstanceUrl))
                    .col(string(OauthTokens::IdentityUrl))
                    .col(string(OauthTokens::Username))
                    .col(timestamp_with_time_zone(OauthTokens::IssuedAt))
                    .col(timestamp_with_time_zone(OauthTokens::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_tokens_organization_id")
                            .from(OauthTokens::Table, OauthTokens::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_tokens_organization_id_provider")
                    .table(OauthTokens::Table)
                    .col(OauthTokens::OrganizationId)
                    .col(OauthTokens::Provider)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SalesforceAccounts::Table)
                    .col(big_pk_auto(SalesforceAccounts::Id))
                    // One linked Salesforce account per organization.
                    .col(big_integer_uniq(SalesforceAccounts::OrganizationId))
                    .col(big_integer(SalesforceAccounts::OauthTokenId))
                    .col(string(SalesforceAccounts::InstanceUrl))
                    .col(string(SalesforceAccounts::Username))
                    .col(string(SalesforceAccounts::SfUserId))
                    .col(string(SalesforceAccounts::SfOrgId))
                    .col(timestamp_with_time_zone(SalesforceAccounts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_salesforce_accounts_organization_id")
                            .from(
                                SalesforceAccounts::Table,
                                SalesforceAccounts::OrganizationId,
                            )
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // An account without its token is meaningless: removing the token (Disconnect,
                    // IN-07) removes the account. Reset Token updates the token row in place.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_salesforce_accounts_oauth_token_id")
                            .from(SalesforceAccounts::Table, SalesforceAccounts::OauthTokenId)
                            .to(OauthTokens::Table, OauthTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_salesforce_accounts_oauth_token_id")
                    .table(SalesforceAccounts::Table)
                    .col(SalesforceAccounts::OauthTokenId)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SalesforceAccounts::Table.into_iden(),
            OauthTokens::Table.into_iden(),
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
enum OauthTokens {
    Table,
    Id,
    OrganizationId,
    Provider,
    AccessTokenCiphertext,
    RefreshTokenCiphertext,
    InstanceUrl,
    IdentityUrl,
    Username,
    IssuedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SalesforceAccounts {
    Table,
    Id,
    OrganizationId,
    OauthTokenId,
    InstanceUrl,
    Username,
    SfUserId,
    SfOrgId,
    CreatedAt,
}
