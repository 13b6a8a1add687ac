//! Notifications between instances sharing one PostgreSQL database (`LISTEN`/`NOTIFY` on one
//! channel). SQLite has no such thing: it serves one instance, and [`supported`] says so.
//!
//! A notification carries a short text (PostgreSQL allows under 8000 bytes); callers send
//! references (ids), never records. Delivery is best effort: a listener that loses its
//! connection reconnects on its next [`Listener::next`] and misses what was sent meanwhile, so
//! whatever depends on notifications must also catch up on its own.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement, sqlx::postgres::PgListener,
};

use crate::StoreError;

/// The one channel orgsync instances talk on.
const CHANNEL: &str = "orgsync";

/// Whether this database can carry notifications between instances (PostgreSQL).
pub fn supported(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Sends `payload` to every listening instance (this one included) once the current
/// transaction commits (at once outside a transaction).
///
/// Returns [`StoreError::Invalid`] on SQLite, [`StoreError::Db`] when the database fails.
pub async fn notify(db: &impl ConnectionTrait, payload: &str) -> Result<(), StoreError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(StoreError::Invalid(
            "notifications need PostgreSQL".to_owned(),
        ));
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// A connection listening on the channel.
pub struct Listener {
    inner: PgListener,
}

impl Listener {
    /// Listens on a connection of `db`'s pool (so with the pool's TLS and options).
    ///
    /// Returns [`StoreError::Invalid`] on SQLite.
    pub async fn connect(db: &DatabaseConnection) -> Result<Self, StoreError> {
        if !supported(db) {
            return Err(StoreError::Invalid(
                "notifications need PostgreSQL".to_owned(),
            ));
        }
        let pool = db.get_postgres_connection_pool();
        let mut inner = PgListener::connect_with(pool).await.map_err(sqlx_error)?;
        inner.listen(CHANNEL).await.map_err(sqlx_error)?;
        Ok(Listener { inner })
    }

    /// The next notification's payload. After a lost connection it reconnects and listens
    /// again; notifications sent in between are lost.
    pub async fn next(&mut self) -> Result<String, StoreError> {
        let notification = self.inner.recv().await.map_err(sqlx_error)?;
        Ok(notification.payload().to_owned())
    }
}

pub(crate) fn sqlx_error(error: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
        std::sync::Arc::new(error),
    )))
}
