//! Entity for the `salesforce_sign_ins` table.

use sea_orm::entity::prelude::*;

/// A Salesforce sign-in in progress (Set up or Reset Token), waiting for its callback.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "salesforce_sign_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Hex SHA-256 of the OAuth `state`; the state itself is never stored.
    #[sea_orm(unique)]
    pub state_hash: String,
    pub organization_id: i64,
    pub user_id: i64,
    /// The orgsync session that started the sign-in (`sessions.id`).
    pub session_id: i64,
    /// The PKCE verifier, encrypted by the application; never logged.
    #[sea_orm(column_type = "Text")]
    pub pkce_verifier_ciphertext: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

// Hand-written so that the verifier's ciphertext never reaches a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .field("pkce_verifier_ciphertext", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Foreign keys of this table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::sessions::Entity",
        from = "Column::SessionId",
        to = "super::sessions::Column::Id",
        on_delete = "Cascade"
    )]
    Session,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
