//! Call activity (DS-05): calls recorded on campaign records, from the campaign page or the
//! dialer's API, and the organization's API keys for that API. A call is stored first, then
//! the engine is told (the command port): the writer of the Org Sync of the record's object
//! writes it back to Salesforce as a Task.

use app::{
    error::AppError,
    ssr::SignedInUser,
    types::{ApiKeyView, CallForm, CallView, CallsView, NewApiKeyView, WriteBackView},
};
use chrono::{DateTime, Utc};
use store::{
    StoreError, api_keys,
    call_activities::{self, CallState, NewCall, Recorded},
    entities::{api_keys::Model as StoredKey, call_activities::Model as StoredCall},
};

use super::{Console, internal};

/// Calls the Calls tab shows.
pub const CALLS_SHOWN: u64 = 50;
/// Salesforce's limits on the Task fields a call fills.
const MAX_TEXT: usize = 255;
const MAX_NOTES: usize = 32_000;
/// A call longer than a day is a typo.
const MAX_DURATION_SECONDS: i64 = 24 * 60 * 60;
/// What every API key starts with, so a leaked one is recognisable (secret scanners).
pub const KEY_PREFIX: &str = "osk_";
const MAX_KEY_NAME: usize = 60;
/// How the API Keys page shows a time (as the OAuth Tokens page does).
const SHOWN_TIME: &str = "%Y-%m-%d %H:%M UTC";

/// Who records a call: a signed-in user or an API key, in one organization.
pub struct Recorder<'a> {
    pub organization_id: i64,
    pub name: &'a str,
}

impl Console {
    /// Records a call (refused with a reason when the form is wrong or the person is not a
    /// record of the campaign) and tells the engine. Recording the same call id again for the
    /// same person answers the call as it stands: a dialer may repeat a report safely. The
    /// flag says whether the call is new.
    pub async fn record_call_for(
        &self,
        recorder: Recorder<'_>,
        form: CallForm,
        now: DateTime<Utc>,
    ) -> Result<(CallView, bool), AppError> {
        let call = validated_call(&recorder, form, now)?;
        // Calls go to Salesforce: the organization's `integrations` flag must be on (the
        // dialer's API is refused too while it is off).
        self.require_integrations_flag_of(recorder.organization_id)
            .await?;
        self.find_campaign(recorder.organization_id, call.campaign_id)
            .await?;
        let recorded = call_activities::record(&self.db, call, now)
            .await
            .map_err(|error| match error {
                StoreError::NotFound(_) => invalid(
                    "sf_id",
                    "That person is not a record of this campaign.".into(),
                ),
                StoreError::Conflict(message) => invalid("call_id", message),
                other => internal(other),
            })?;
        let new = matches!(recorded, Recorded::New(_));
        if new {
            self.tell_writer(recorded.call()).await?;
        }
        Ok((call_view(recorded.call()), new))
    }

    /// Wakes the writer of the Org Sync of the call's object, if there is one (without it
    /// the call waits, pending, until the object is synced again).
    async fn tell_writer(&self, call: &StoredCall) -> Result<(), AppError> {
        let syncs = store::org_syncs::list(&self.db, call.organization_id)
            .await
            .map_err(internal)?;
        if let Some(sync) = syncs.iter().find(|s| s.object.as_str() == call.sf_object) {
            self.commands
                .calls_recorded(call.organization_id, sync.id)
                .await;
        }
        Ok(())
    }

    /// The organization's call with the dialer's id `call_id`.
    pub async fn call_by_call_id(
        &self,
        organization_id: i64,
        call_id: &str,
    ) -> Result<CallView, AppError> {
        call_activities::find_by_call_id(&self.db, organization_id, call_id)
            .await
            .map_err(internal)?
            .map(|call| call_view(&call))
            .ok_or_else(|| AppError::NotFound("That call".into()))
    }

    /// The campaign's recent calls and how many are in each state.
    pub(super) async fn calls_view(&self, campaign_id: i64) -> Result<CallsView, AppError> {
        let calls = call_activities::list_for_campaign(&self.db, campaign_id, CALLS_SHOWN)
            .await
            .map_err(internal)?;
        let count = |state| async move {
            call_activities::count_in_state(&self.db, campaign_id, state)
                .await
                .map_err(internal)
        };
        Ok(CallsView {
            calls: calls.iter().map(call_view).collect(),
            pending: count(CallState::Pending).await?,
            written: count(CallState::Written).await?,
            failed: count(CallState::Failed).await?,
        })
    }

    /// Puts a call Salesforce refused back in the queue (after the admin fixed the cause).
    pub(super) async fn retry_call_for(
        &self,
        admin: &SignedInUser,
        campaign_id: i64,
        id: i64,
    ) -> Result<(), AppError> {
        let org = admin.organization_id;
        let call = call_activities::find(&self.db, org, id)
            .await
            .map_err(internal)?
            .filter(|call| call.campaign_id == campaign_id)
            .ok_or_else(|| AppError::NotFound("That call".into()))?;
        if !call_activities::retry_failed(&self.db, org, id, Utc::now())
            .await
            .map_err(internal)?
        {
            return Err(invalid(
                "id",
                "Only a call Salesforce refused can be tried again.".into(),
            ));
        }
        self.tell_writer(&call).await
    }

    /// The organization's API keys.
    pub(super) async fn api_keys_for(
        &self,
        admin: &SignedInUser,
    ) -> Result<Vec<ApiKeyView>, AppError> {
        let keys = api_keys::list(&self.db, admin.organization_id)
            .await
            .map_err(internal)?;
        Ok(keys.iter().map(key_view).collect())
    }

    /// A new API key named `name`: the key is in the answer, and never again.
    pub(super) async fn create_api_key_for(
        &self,
        admin: &SignedInUser,
        name: &str,
    ) -> Result<NewApiKeyView, AppError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(invalid("name", "Enter a name for the key.".into()));
        }
        if name.chars().count() > MAX_KEY_NAME {
            return Err(invalid(
                "name",
                format!("Keep the name to {MAX_KEY_NAME} characters."),
            ));
        }
        let secret = format!("{KEY_PREFIX}{}", crate::credentials::random_string(40));
        let prefix: String = secret.chars().take(KEY_PREFIX.len() + 6).collect();
        let hash = crate::credentials::hash_token(&secret);
        let key = api_keys::create(&self.db, admin.organization_id, name, &prefix, &hash)
            .await
            .map_err(|error| match error {
                StoreError::Conflict(message) => invalid("name", message),
                other => internal(other),
            })?;
        tracing::info!(
            organization_id = admin.organization_id,
            key = %key.prefix,
            by = %admin.username,
            "API key created"
        );
        Ok(NewApiKeyView {
            key: key_view(&key),
            secret,
        })
    }

    /// Revokes an API key: the dialer's next call with it is refused.
    pub(super) async fn revoke_api_key_for(
        &self,
        admin: &SignedInUser,
        id: i64,
    ) -> Result<(), AppError> {
        if api_keys::revoke(&self.db, admin.organization_id, id)
            .await
            .map_err(internal)?
        {
            tracing::info!(organization_id = admin.organization_id, id, by = %admin.username, "API key revoked");
            Ok(())
        } else {
            Err(AppError::NotFound("That API key".into()))
        }
    }

    /// The API key a dialer presented, if it is one (its last use noted).
    pub async fn api_key(&self, presented: &str) -> Result<Option<StoredKey>, AppError> {
        if !presented.starts_with(KEY_PREFIX) {
            return Ok(None);
        }
        api_keys::authenticate(
            &self.db,
            &crate::credentials::hash_token(presented),
            Utc::now(),
        )
        .await
        .map_err(internal)
    }
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::Validation {
        field: field.into(),
        message,
    }
}

/// The form checked and read into a call to store.
fn validated_call(
    recorder: &Recorder<'_>,
    form: CallForm,
    now: DateTime<Utc>,
) -> Result<NewCall, AppError> {
    let sf_id = form.sf_id.trim().to_owned();
    if !salesforce::is_record_id(&sf_id) {
        return Err(invalid(
            "sf_id",
            "Give the Salesforce Id of the person called.".into(),
        ));
    }
    let disposition = form.disposition.trim().to_owned();
    if disposition.is_empty() {
        return Err(invalid("disposition", "Choose how the call went.".into()));
    }
    if disposition.chars().count() > MAX_TEXT {
        return Err(invalid(
            "disposition",
            format!("Keep the disposition to {MAX_TEXT} characters."),
        ));
    }
    if !(0..=MAX_DURATION_SECONDS).contains(&form.duration_seconds) {
        return Err(invalid(
            "duration_seconds",
            "The duration is a number of seconds, from 0 to 86400.".into(),
        ));
    }
    let notes = form.notes.trim().to_owned();
    if notes.chars().count() > MAX_NOTES {
        return Err(invalid(
            "notes",
            format!("Keep the notes to {MAX_NOTES} characters."),
        ));
    }
    let subject = form
        .subject
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Call".to_owned());
    if subject.chars().count() > MAX_TEXT {
        return Err(invalid(
            "subject",
            format!("Keep the subject to {MAX_TEXT} characters."),
        ));
    }
    let call_id = match form.call_id.map(|id| id.trim().to_owned()) {
        Some(id) if !id.is_empty() => {
            if id.chars().count() > MAX_TEXT || id.chars().any(char::is_control) {
                return Err(invalid(
                    "call_id",
                    format!("The call id is up to {MAX_TEXT} printable characters."),
                ));
            }
            id
        }
        _ => format!("orgsync-{}", crate::credentials::random_string(20)),
    };
    let occurred_at = match form.occurred_at.as_deref().map(str::trim) {
        None | Some("") => now,
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                invalid(
                    "occurred_at",
                    "Give the call's time as RFC 3339, e.g. 2026-12-06T14:30:00Z.".into(),
                )
            })?,
    };
    Ok(NewCall {
        organization_id: recorder.organization_id,
        campaign_id: form.campaign_id,
        sf_id,
        call_id,
        subject,
        disposition,
        duration_seconds: form.duration_seconds,
        notes,
        occurred_at,
        recorded_by: recorder.name.to_owned(),
    })
}

pub(super) fn call_view(call: &StoredCall) -> CallView {
    let write_back = match CallState::parse(&call.state) {
        Some(CallState::Written) => WriteBackView::Written {
            task_id: call.sf_task_id.clone().unwrap_or_default(),
        },
        Some(CallState::Failed) => WriteBackView::Failed {
            message: call.last_error.clone().unwrap_or_default(),
        },
        Some(CallState::Pending) | None => WriteBackView::Pending {
            last_error: call.last_error.clone(),
        },
    };
    CallView {
        id: call.id,
        campaign_id: call.campaign_id,
        call_id: call.call_id.clone(),
        sf_object: call.sf_object.clone(),
        sf_id: call.sf_id.clone(),
        subject: call.subject.clone(),
        disposition: call.disposition.clone(),
        duration_seconds: call.duration_seconds,
        notes: call.notes.clone(),
        occurred_at: call.occurred_at.to_rfc3339(),
        recorded_by: call.recorded_by.clone(),
        attempts: call.attempts,
        write_back,
    }
}

fn key_view(key: &StoredKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        created_at: key.created_at.format(SHOWN_TIME).to_string(),
        last_used_at: key.last_used_at.map(|t| t.format(SHOWN_TIME).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CallForm {
        CallForm {
            campaign_id: 1,
            sf_id: "003000000000001AAA".into(),
            call_id: Some("dialer-1".into()),
            disposition: "Connected".into(),
            duration_seconds: 42,
            notes: String::new(),
            occurred_at: Some("2026-12-06T14:30:00Z".into()),
            subject: None,
        }
    }

    fn check(form: CallForm) -> Result<NewCall, String> {
        let recorder = Recorder {
            organization_id: 7,
            name: "admin",
        };
        validated_call(&recorder, form, Utc::now()).map_err(|e| e.to_string())
    }

    #[test]
    fn ds_05_a_call_form_is_read_with_defaults() {
        let call = check(form()).expect("valid");
        assert_eq!(call.organization_id, 7);
        assert_eq!(call.subject, "Call");
        assert_eq!(call.call_id, "dialer-1");
        assert_eq!(call.occurred_at.to_rfc3339(), "2026-12-06T14:30:00+00:00");
        let generated = check(CallForm {
            call_id: None,
            ..form()
        })
        .expect("valid");
        assert!(
            generated.call_id.starts_with("orgsync-"),
            "{}",
            generated.call_id
        );
    }

    #[test]
    fn ds_05_a_call_form_is_refused_with_a_reason() {
        assert_eq!(
            check(CallForm {
                sf_id: "x' OR 1=1".into(),
                ..form()
            }),
            Err("Give the Salesforce Id of the person called.".into())
        );
        assert_eq!(
            check(CallForm {
                disposition: " ".into(),
                ..form()
            }),
            Err("Choose how the call went.".into())
        );
        assert_eq!(
            check(CallForm {
                duration_seconds: -1,
                ..form()
            }),
            Err("The duration is a number of seconds, from 0 to 86400.".into())
        );
        assert_eq!(
            check(CallForm {
                occurred_at: Some("yesterday".into()),
                ..form()
            }),
            Err("Give the call's time as RFC 3339, e.g. 2026-12-06T14:30:00Z.".into())
        );
        assert_eq!(
            check(CallForm {
                call_id: Some("a\nb".into()),
                ..form()
            }),
            Err("The call id is up to 255 printable characters.".into())
        );
    }
}
