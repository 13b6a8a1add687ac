//! Salesforce sign-ins in progress (Set up / Reset Token → Salesforce → callback) live in the
//! store, so that the callback can land on any instance sharing the database and a restart in
//! the middle of a sign-in does not make it stale.
//!
//! Neither secret is stored as it travels: the OAuth `state` only as its hex SHA-256 (like
//! session tokens), the PKCE verifier only encrypted by the application.

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
                    .table(SalesforceSignIns::Table)
                    .col(big_pk_auto(SalesforceSignIns::Id))
                    // Hex SHA-256 of the OAuth `state`: a database copy cannot complete a sign-in.
                    .col(string_uniq(SalesforceSignIns::StateHash))
                    .col(big_integer(SalesforceSignIns::OrganizationId))
                    .col(big_integer(SalesforceSignIns::UserId))
                    // The orgsync session that started it: only that session may complete it.
                    .col(big_integer(SalesforceSignIns::SessionId))
                    // Encrypted by the application before it reaches the database.
                    .col(text(SalesforceSignIns::PkceVerifierCiphertext))
                    .col(timestamp_with_time_zone(SalesforceSignIns::CreatedAt))
                    .col(timestamp_with_time_zone(SalesforceSignIns::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_salesforce_sign_ins_organization_id")
                            .from(SalesforceSignIns::Table, SalesforceSignIns::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_salesforce_sign_ins_user_id")
                            .from(SalesforceSignIns::Table, SalesforceSignIns::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_salesforce_sign_ins_session_id")
                            .from(SalesforceSignIns::Table, SalesforceSignIns::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The per-organization bound drops an organization's oldest sign-in first.
        manager
            .create_index(
                Index::create()
                    .name("idx_salesforce_sign_ins_organization_id_created_at")
                    .table(SalesforceSignIns::Table)
                    .col(SalesforceSignIns::OrganizationId)
                    .col(SalesforceSignIns::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // Cascades from users and sessions (sessions end often) find their rows by index.
        for (name, column) in [
            ("idx_salesforce_sign_ins_user_id", SalesforceSignIns::UserId),
            (
                "idx_salesforce_sign_ins_session_id",
                SalesforceSignIns::SessionId,
            ),
            (
                "idx_salesforce_sign_ins_expires_at",
                SalesforceSignIns::ExpiresAt,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SalesforceSignIns::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SalesforceSignIns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SalesforceSignIns {
    Table,
    Id,
    StateHash,
    OrganizationId,
    UserId,
    SessionId,
    PkceVerifierCiphertext,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
}
