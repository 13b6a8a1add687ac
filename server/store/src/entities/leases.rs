//! Entity for the `leases` table.

use sea_orm::entity::prelude::*;

/// Who owns a piece of shared work, until when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leases")]
pub struct Model {
    /// What is leased, e.g. `org_sync:12`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// One acquisition: the instance and a random part.
    pub holder: String,
    pub acquired_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
