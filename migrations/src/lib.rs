//! Schema migrations for orgsync, written in the SeaORM schema DSL so that the same files run on
//! SQLite (the default) and PostgreSQL.
//!
//! The server applies pending migrations at start-up through [`Migrator`]. Rules of the house:
//! never edit a migration once it has been applied anywhere; add a new file instead, named
//! `mYYYYMMDD_NNNNNN_<verb>_<object>.rs`, and give it a working `down()`.
//!
//! Conventions shared by every table:
//! - `id` is a BIGINT auto-increment primary key (`INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite).
//! - Timestamps are `timestamp with time zone` (text on SQLite) and are always written by the
//!   application in UTC, never by a database default, so both backends store one format.
//! - JSON documents are stored as `text` and parsed by the `store` crate, which reports bad JSON
//!   instead of failing inside the driver.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_core;
mod m20261123_000002_create_salesforce;
mod m20261123_000003_create_sync;
mod m20261123_000004_create_campaigns;
mod m20261203_000005_sync_engine;
mod m20261204_000006_session_lifecycle;
mod m20261204_000007_mirror_ids_bytewise;
mod m20261205_000008_salesforce_sign_ins;
mod m20261205_000009_create_leases;
mod m20261205_000010_campaign_dialing;
mod m20261206_000011_call_writeback;
mod m20261207_000012_campaign_record_counts_index;

/// Every orgsync migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_core::Migration),
            Box::new(m20261123_000002_create_salesforce::Migration),
            Box::new(m20261123_000003_create_sync::Migration),
            Box::new(m20261123_000004_create_campaigns::Migration),
            Box::new(m20261203_000005_sync_engine::Migration),
            Box::new(m20261204_000006_session_lifecycle::Migration),
            Box::new(m20261204_000007_mirror_ids_bytewise::Migration),
            Box::new(m20261205_000008_salesforce_sign_ins::Migration),
            Box::new(m20261205_000009_create_leases::Migration),
            Box::new(m20261205_000010_campaign_dialing::Migration),
            Box::new(m20261206_000011_call_writeback::Migration),
            Box::new(m20261207_000012_campaign_record_counts_index::Migration),
        ]
    }
}
