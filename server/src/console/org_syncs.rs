//! The Sync Settings modal's use cases (OS-01..OS-09): the store is changed first, then the
//! engine is told through the command port, which re-reads the store and publishes the new
//! state on the status bus.

use app::{
    error::AppError,
    ssr::{Caller, OrgSyncConsole, SignedInUser, SyncSettingsForm},
    types::{
        NO_TOKEN_MESSAGE, OrgSyncView, POLL_INTERVALS_MINUTES, SyncMethod, SyncObject,
        SyncSettingsView, TEST_SUCCESS_MESSAGE, TestOutcome,
    },
};
use store::{
    StoreError,
    org_syncs::{self as stored, SfObject, SyncSettings},
};

use super::{Console, internal};
use crate::{salesforce_sessions::SessionError, status::org_sync_view};

#[async_trait::async_trait]
impl OrgSyncConsole for Console {
    async fn sync_settings(&self, caller: &Caller) -> Result<SyncSettingsView, AppError> {
        let admin = self.org_sync_admin(caller).await?;
        let org = admin.organization_id;
        let rows = stored::list(&self.db, org).await.map_err(internal)?;
        let addable = SyncObject::ALL
            .into_iter()
            .filter(|object| !rows.iter().any(|r| r.object.as_str() == object.as_str()))
            .collect();
        let api_usage = match &self.salesforce {
            Some(integration) => integration.sessions.api_usage(org).await,
            None => None,
        };
        Ok(SyncSettingsView {
            syncs: rows.iter().map(org_sync_view).collect(),
            addable,
            api_usage,
        })
    }

    async fn add_org_sync(
        &self,
        caller: &Caller,
        object: SyncObject,
    ) -> Result<OrgSyncView, AppError> {
        let admin = self.org_sync_admin(caller).await?;
        let org = admin.organization_id;
        let row = match stored::create(&self.db, org, stored_object(object)).await {
            Ok(row) => row,
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::Validation {
                    field: "object".into(),
                    message: format!("{} is already configured.", object.as_str()),
                });
            }
            Err(error) => return Err(internal(error)),
        };
        tracing::info!(
            organization = org,
            org_sync = row.id,
            object = object.as_str(),
            "Org Sync added"
        );
        self.commands.sync_changed(org, row.id).await;
        Ok(org_sync_view(&row))
    }

    async fn save_org_sync(
        &self,
        caller: &Caller,
        id: i64,
        form: SyncSettingsForm,
    ) -> Result<OrgSyncView, AppError> {
        let admin = self.org_sync_admin(caller).await?;
        let org = admin.organization_id;
        let settings = validated_settings(&form)?;
        let row = stored::save_settings(&self.db, org, id, settings)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That Org Sync".into()))?;
        tracing::info!(organization = org, org_sync = id, method = ?form.method, enabled = form.enabled, "Org Sync saved");
        self.commands.sync_changed(org, id).await;
        // The engine may have changed the row's status while starting or stopping.
        let row = stored::find(&self.db, org, id)
            .await
            .map_err(internal)?
            .unwrap_or(row);
        Ok(org_sync_view(&row))
    }

    async fn remove_org_sync(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        let admin = self.org_sync_admin(caller).await?;
        let org = admin.organization_id;
        let removed = stored::remove(&self.db, org, id).await.map_err(internal)?;
        if !removed {
            return Err(AppError::NotFound("That Org Sync".into()));
        }
        tracing::info!(
            organization = org,
            org_sync = id,
            "Org Sync removed with its data sources and links"
        );
        self.commands.sync_removed(org, id).await;
        Ok(())
    }

    async fn test_org_sync(&self, caller: &Caller, id: i64) -> Result<TestOutcome, AppError> {
        let admin = self.org_sync_admin(caller).await?;
        let org = admin.organization_id;
        let row = stored::find(&self.db, org, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That Org Sync".into()))?;
        let failure = |message: String| TestOutcome {
            success: false,
            message,
        };
        let Some(integration) = &self.salesforce else {
            return Ok(failure(NO_TOKEN_MESSAGE.to_string()));
        };
        let session = match integration.sessions.session(org).await {
            Ok(session) => session,
            Err(SessionError::NotConnected) => return Ok(failure(NO_TOKEN_MESSAGE.to_string())),
            Err(error) => return Ok(failure(error.to_string())),
        };
        // Read-only, and never fed to the circuit breaker (OS-09, TS-03).
        let soql = format!("SELECT Id FROM {} LIMIT 1", row.object.as_str());
        let outcome = session
            .query::<serde_json::Value>(&soql, false)
            .await
            .map(|_| ());
        Ok(match outcome {
            Ok(()) => TestOutcome {
                success: true,
                message: TEST_SUCCESS_MESSAGE.to_string(),
            },
            Err(error) => failure(test_failure_message(&error)),
        })
    }
}

impl Console {
    async fn org_sync_admin<'c>(&self, caller: &'c Caller) -> Result<&'c SignedInUser, AppError> {
        let admin = caller.admin()?;
        self.require_integrations_flag(admin).await?;
        Ok(admin)
    }
}

/// The form as the store takes it; the interval is one of the four the docs name (OS-03).
fn validated_settings(form: &SyncSettingsForm) -> Result<SyncSettings, AppError> {
    let (method, interval_minutes) = match form.method {
        SyncMethod::Cdc => (stored::SyncMethod::Cdc, None),
        SyncMethod::Rest => {
            let minutes = form.interval_minutes.ok_or_else(|| interval_error(None))?;
            if !POLL_INTERVALS_MINUTES.contains(&minutes) {
                return Err(interval_error(Some(minutes)));
            }
            (stored::SyncMethod::Rest, Some(minutes as i32))
        }
    };
    Ok(SyncSettings {
        method,
        interval_minutes,
        enabled: form.enabled,
    })
}

fn interval_error(given: Option<u32>) -> AppError {
    let given = given
        .map(|m| format!(" ({m} min is not one)"))
        .unwrap_or_default();
    AppError::Validation {
        field: "interval_minutes".into(),
        message: format!("Choose an interval of 5, 10, 15 or 30 minutes for REST Polling{given}."),
    }
}

fn stored_object(object: SyncObject) -> SfObject {
    match object {
        SyncObject::Contact => SfObject::Contact,
        SyncObject::Lead => SfObject::Lead,
    }
}

/// Salesforce's own message (OS-08), without our wrapping.
fn test_failure_message(error: &salesforce::SalesforceError) -> String {
    match error {
        salesforce::SalesforceError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(method: SyncMethod, interval_minutes: Option<u32>) -> SyncSettingsForm {
        SyncSettingsForm {
            method,
            interval_minutes,
            enabled: true,
        }
    }

    #[test]
    fn os_03_rest_polling_takes_only_the_four_intervals() {
        for minutes in POLL_INTERVALS_MINUTES {
            let settings = validated_settings(&form(SyncMethod::Rest, Some(minutes)))
                .expect("a listed interval");
            assert_eq!(settings.interval_minutes, Some(minutes as i32));
        }
        for refused in [None, Some(0), Some(1), Some(7), Some(60)] {
            let error = validated_settings(&form(SyncMethod::Rest, refused))
                .expect_err("not a listed interval");
            assert!(error.to_string().contains("5, 10, 15 or 30 minutes"));
        }
    }

    #[test]
    fn os_03_cdc_drops_any_interval() {
        let settings = validated_settings(&form(SyncMethod::Cdc, Some(7))).expect("CDC");
        assert_eq!(settings.method, stored::SyncMethod::Cdc);
        assert_eq!(settings.interval_minutes, None);
    }
}
