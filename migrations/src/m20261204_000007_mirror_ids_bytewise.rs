//! PostgreSQL compares the mirror's Salesforce ids byte by byte (`COLLATE "C"`).
//!
//! Salesforce ids are ASCII and matched exactly, so a linguistic collation buys nothing, while
//! every lookup and unique-index check of a page of records pays for it: 1,000 ids looked up
//! in 100,000 took 5.2 ms under `C.UTF-8` and 1.6 ms under `C`. SQLite already compares bytes.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    r#"ALTER TABLE "sf_records" ALTER COLUMN "sf_id" TYPE varchar COLLATE "C""#,
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    r#"ALTER TABLE "sf_records" ALTER COLUMN "sf_id" TYPE varchar COLLATE "default""#,
                )
                .await?;
        }
        Ok(())
    }
}
