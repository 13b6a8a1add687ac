//! Call activity back to Salesforce (DS-05). Each Org Sync's worker has a writer next to its
//! rounds: it writes the organization's pending calls on records of the sync's object as
//! completed Tasks, so write-back runs only where and while the sync runs (its lease, never
//! while paused), only while the sync is Active (not while its circuit is open or it is in
//! Error), and with the organization's Salesforce session (none once disconnected).
//!
//! Never a duplicate Task: a call tried before may exist in Salesforce although its answer
//! was lost (a timeout, a dropped connection), so before creating it again the writer looks
//! for a Task whose `CallObject` is the call's id. Calls go out up to 200 at a time through
//! sObject Collections, each with its own result: written with the Task's Id, failed with
//! Salesforce's message (kept, not retried), or due again after a back-off.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use salesforce::{CollectionResult, MAX_COLLECTION_RECORDS, SalesforceError, Session};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{
    call_activities::{self, WriteOutcome},
    entities::{call_activities::Model as Call, org_syncs},
    org_syncs::SyncStatus,
};
use tokio::sync::Notify;

use super::{EngineDeps, errors::SyncError, worker::Stopped};

/// The first retry's delay; each further attempt doubles it, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(30);
/// The longest wait between two attempts of one call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// Per-record error codes that are worth another try (the record was busy, not wrong).
const TRANSIENT_CODES: &[&str] = &["UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG"];

/// The delay before the next attempt of a call that has had `attempts` attempts (this one
/// included): 30 s, 1 min, 2 min... never more than an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// The Task that records `call`: completed, a call, on the person it was made to, with our
/// call id in `CallObject` (how a retry finds it). A Task has no writable time of day
/// (`ActivityDate` is a date, `CompletedDateTime` is Salesforce's own), so the call's time
/// ends the description.
pub fn task_body(call: &Call) -> Value {
    let mut task = json!({
        "attributes": {"type": "Task"},
        "Subject": call.subject,
        "Status": "Completed",
        "TaskSubtype": "Call",
        "CallType": "Outbound",
        "CallDisposition": call.disposition,
        "CallDurationInSeconds": call.duration_seconds,
        "CallObject": call.call_id,
        "WhoId": call.sf_id,
        "ActivityDate": call.occurred_at.format("%Y-%m-%d").to_string(),
    });
    let called_at = format!(
        "Called at {}.",
        call.occurred_at.format("%Y-%m-%d %H:%M UTC")
    );
    task["Description"] = if call.notes.is_empty() {
        json!(called_at)
    } else {
        json!(format!("{}\n\n{called_at}", call.notes))
    };
    task
}

/// The SOQL that finds the Tasks of these call ids (each escaped as a string literal).
pub fn tasks_by_call_id_soql(call_ids: &[&str]) -> String {
    let quoted: Vec<String> = call_ids.iter().map(|id| filters::quote_text(id)).collect();
    format!(
        "SELECT Id, CallObject, WhoId FROM Task WHERE CallObject IN ({})",
        quoted.join(", ")
    )
}

/// What one collection result means for its call.
pub fn outcome_of(result: &CollectionResult, attempts: i32, now: DateTime<Utc>) -> WriteOutcome {
    if result.success
        && let Some(id) = &result.id
    {
        return WriteOutcome::Written {
            task_id: id.clone(),
        };
    }
    let message = if result.errors.is_empty() {
        "Salesforce did not save the Task and gave no reason".to_owned()
    } else {
        result
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.status_code, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let message = crate::untrusted::excerpt(&message, 500);
    if result
        .errors
        .iter()
        .all(|e| TRANSIENT_CODES.contains(&e.status_code.as_str()))
        && !result.errors.is_empty()
    {
        retry(message, attempts, now)
    } else {
        WriteOutcome::Failed { message }
    }
}

/// Due again after the back-off of a call that has had `attempts` attempts (this one
/// included: [`call_activities::claim`] counted it).
fn retry(message: String, attempts: i32, now: DateTime<Utc>) -> WriteOutcome {
    WriteOutcome::Retry {
        message,
        next_attempt_at: now + delay(backoff(attempts)),
    }
}

fn delay(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::hours(1))
}

/// The longest a writer waits without looking at its queue, whatever it was told: a nudge
/// from another instance can be lost, and a failed pass must be tried again.
pub const SAFETY_POLL: Duration = Duration::from_secs(5 * 60);

/// The writer of one Org Sync's worker: writes what is due, then waits for a nudge (a call
/// recorded, a round that brought the sync back to Active), the next retry, or at most
/// [`SAFETY_POLL`]. Returns only when its lease is lost; otherwise it ends with the worker.
pub async fn run(deps: &EngineDeps, org_sync_id: i64, nudge: Arc<Notify>) -> Stopped {
    loop {
        let now = deps.clock.now();
        let latest = now + delay(SAFETY_POLL);
        let at = match pass(deps, org_sync_id).await {
            Ok(Some(at)) => at.min(latest),
            Ok(None) => latest,
            Err(error) if error.is_lease_lost() => return Stopped::LeaseLost,
            Err(error) => {
                tracing::warn!(org_sync_id, error = %error.message(), "call write-back failed");
                now + delay(FIRST_BACKOFF)
            }
        };
        tokio::select! {
            () = nudge.notified() => {}
            () = deps.clock.sleep_until(at) => {}
        }
    }
}

/// One pass: while the sync is Active, writes the due calls of its object, a batch at a
/// time. Answers when to look again (`None`: nothing pending, or the sync is not Active).
async fn pass(deps: &EngineDeps, org_sync_id: i64) -> Result<Option<DateTime<Utc>>, SyncError> {
    let sessions = deps.sessions.as_ref().ok_or(SyncError::NotConfigured)?;
    loop {
        // Read before every batch: a round may have opened the circuit meanwhile.
        let Some(row) = store::org_syncs::find_by_id(&deps.db, org_sync_id).await? else {
            return Ok(None);
        };
        if !row.enabled || row.status != SyncStatus::Active {
            return Ok(None);
        }
        let object = row.object.as_str();
        let now = deps.clock.now();
        let due = call_activities::due(
            &deps.db,
            row.organization_id,
            object,
            now,
            MAX_COLLECTION_RECORDS as u64,
        )
        .await?;
        if due.is_empty() {
            return Ok(call_activities::next_due_at(&deps.db, row.organization_id, object).await?);
        }
        let session = sessions.session(row.organization_id).await?;
        let ids: Vec<i64> = due.iter().map(|c| c.id).collect();
        // Counted (and due again later) before anything is sent, under the sync's lease.
        let claimed =
            call_activities::claim(&deps.db, deps.fence(), &ids, now + delay(FIRST_BACKOFF))
                .await?;
        let through = write_batch(deps, &row, &session, &claimed).await;
        publish(deps, &claimed);
        if !through? {
            // Salesforce is not taking calls now: the rest of the queue waits too.
            return Ok(Some(deps.clock.now() + delay(FIRST_BACKOFF)));
        }
    }
}

/// Writes one claimed batch (≤ 200 calls). Answers whether the batch got through to
/// Salesforce (`false`: every call is due again later). The outcomes are stored in one
/// transaction.
async fn write_batch(
    deps: &EngineDeps,
    row: &org_syncs::Model,
    session: &Arc<Session>,
    calls: &[Call],
) -> Result<bool, SyncError> {
    let (outcomes, through) = attempt(deps, session, calls).await;
    call_activities::finish_attempts(&deps.db, deps.fence(), &outcomes, deps.clock.now()).await?;
    if through {
        tracing::info!(
            org_sync_id = row.id,
            calls = outcomes.len(),
            "call activity written back"
        );
    }
    Ok(through)
}

/// Sends one batch: what became of each call, and whether the batch got through. Every call
/// is first looked for in Salesforce by its `CallObject` (on the same person): one tried
/// before may be there although its answer was lost, or its writer stopped before noting it.
async fn attempt(
    deps: &EngineDeps,
    session: &Session,
    calls: &[Call],
) -> (Vec<(i64, WriteOutcome)>, bool) {
    let mut outcomes = Vec::with_capacity(calls.len());
    let found = match existing_tasks(session, calls).await {
        Ok(found) => found,
        Err(error) => return (retry_all(deps, calls, &error), false),
    };
    let mut to_create: Vec<&Call> = Vec::with_capacity(calls.len());
    for call in calls {
        match found.get(&call.id) {
            Some(task_id) => outcomes.push((
                call.id,
                WriteOutcome::Written {
                    task_id: task_id.clone(),
                },
            )),
            None => to_create.push(call),
        }
    }
    if to_create.is_empty() {
        return (outcomes, true);
    }
    let bodies: Vec<Value> = to_create.iter().map(|c| task_body(c)).collect();
    match session.create_collection(&bodies, false).await {
        Ok(results) => {
            let now = deps.clock.now();
            for (call, result) in to_create.iter().zip(&results) {
                outcomes.push((call.id, outcome_of(result, call.attempts, now)));
            }
            (outcomes, true)
        }
        Err(error) => {
            let failed: Vec<Call> = to_create.into_iter().cloned().collect();
            outcomes.extend(retry_all(deps, &failed, &error));
            (outcomes, false)
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaskRow {
    id: String,
    #[serde(default)]
    call_object: Option<String>,
    #[serde(default)]
    who_id: Option<String>,
}

/// How long the quoted call ids of one lookup may be: the query goes in a URL, and a
/// non-ASCII id grows threefold when percent-encoded.
const LOOKUP_CHARS: usize = 4_000;

/// The Tasks that already record `calls`: call (row id) → Task Id. A Task counts only when
/// its `CallObject` is the call's id and its `WhoId` the person called (another system may
/// use the same `CallObject`).
async fn existing_tasks(
    session: &Session,
    calls: &[Call],
) -> Result<HashMap<i64, String>, SalesforceError> {
    let mut tasks: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for chunk in lookup_chunks(calls) {
        let mut page = session
            .query::<TaskRow>(&tasks_by_call_id_soql(&chunk), false)
            .await?;
        loop {
            for task in page.records {
                if let (Some(call_id), Some(who)) = (task.call_object, task.who_id) {
                    tasks.entry(call_id).or_default().push((task.id, who));
                }
            }
            match page.next_records_url {
                Some(next) if !page.done => page = session.query_more(&next).await?,
                _ => break,
            }
        }
    }
    let mut found = HashMap::new();
    for call in calls {
        let same_person = tasks.get(&call.call_id).and_then(|candidates| {
            candidates
                .iter()
                .find(|(_, who)| same_record(who, &call.sf_id))
        });
        if let Some((task_id, _)) = same_person {
            found.insert(call.id, task_id.clone());
        }
    }
    Ok(found)
}

/// The call ids of `calls` in lookups of at most [`LOOKUP_CHARS`] quoted characters.
fn lookup_chunks(calls: &[Call]) -> Vec<Vec<&str>> {
    let mut chunks: Vec<Vec<&str>> = Vec::new();
    let mut length = 0;
    for call in calls {
        let quoted = filters::quote_text(&call.call_id).len() + 2;
        match chunks.last_mut() {
            Some(chunk) if length + quoted <= LOOKUP_CHARS => {
                chunk.push(call.call_id.as_str());
                length += quoted;
            }
            _ => {
                chunks.push(vec![call.call_id.as_str()]);
                length = quoted;
            }
        }
    }
    chunks
}

/// Whether two Salesforce Ids name one record (15- and 18-character forms alike).
fn same_record(a: &str, b: &str) -> bool {
    a.get(..15).is_some_and(|a| b.get(..15) == Some(a))
}

/// Every call of a batch that did not get through is due again after its back-off.
fn retry_all(
    deps: &EngineDeps,
    calls: &[Call],
    error: &SalesforceError,
) -> Vec<(i64, WriteOutcome)> {
    let message = crate::untrusted::excerpt(&error.to_string(), 500);
    tracing::warn!(calls = calls.len(), error = %message, "call write-back will be retried");
    let now = deps.clock.now();
    calls
        .iter()
        .map(|call| (call.id, retry(message.clone(), call.attempts, now)))
        .collect()
}

/// Open campaign pages re-read their calls: one message per batch, not per call.
fn publish(deps: &EngineDeps, calls: &[Call]) {
    let Some(first) = calls.first() else {
        return;
    };
    let mut campaigns: Vec<i64> = calls.iter().map(|c| c.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    deps.bus
        .campaigns_changed(first.organization_id, &campaigns);
}

#[cfg(test)]
mod tests {
    use super::*;
    use salesforce::ApiErrorDetail;

    fn call() -> Call {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        Call {
            id: 1,
            organization_id: 1,
            campaign_id: 2,
            call_id: "dialer-8f2c".into(),
            sf_object: "Contact".into(),
            sf_id: "003000000000001AAA".into(),
            subject: "Call".into(),
            disposition: "Connected".into(),
            duration_seconds: 59,
            notes: String::new(),
            occurred_at: at,
            recorded_by: "admin".into(),
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: at,
            written_at: None,
            sf_task_id: None,
            last_error: None,
            created_at: at,
        }
    }

    #[test]
    fn ds_05_the_task_is_a_completed_call_on_the_person_carrying_our_call_id() {
        let task = task_body(&call());
        assert_eq!(task["attributes"]["type"], json!("Task"));
        assert_eq!(task["Status"], json!("Completed"));
        assert_eq!(task["TaskSubtype"], json!("Call"));
        assert_eq!(task["CallObject"], json!("dialer-8f2c"));
        assert_eq!(task["WhoId"], json!("003000000000001AAA"));
        assert_eq!(task["CallDisposition"], json!("Connected"));
        assert_eq!(task["CallDurationInSeconds"], json!(59));
        assert_eq!(task["ActivityDate"], json!("2026-12-06"));
        assert_eq!(
            task["Description"],
            json!("Called at 2026-12-06 10:30 UTC.")
        );
        let mut with_notes = call();
        with_notes.notes = "Call back Tuesday".into();
        assert_eq!(
            task_body(&with_notes)["Description"],
            json!("Call back Tuesday\n\nCalled at 2026-12-06 10:30 UTC.")
        );
    }

    #[test]
    fn ds_05_the_lookup_query_escapes_call_ids() {
        assert_eq!(
            tasks_by_call_id_soql(&["a", "x' OR Id != '"]),
            "SELECT Id, CallObject, WhoId FROM Task WHERE CallObject IN ('a', 'x\\' OR Id != \\'')"
        );
    }

    #[test]
    fn ds_05_a_task_counts_only_on_the_same_person_and_lookups_stay_short() {
        assert!(same_record("003000000000001AAA", "003000000000001"));
        assert!(same_record("003000000000001", "003000000000001AAA"));
        assert!(!same_record("003000000000002AAA", "003000000000001AAA"));
        assert!(!same_record("", "003000000000001AAA"));
        let mut long = call();
        long.call_id = "é".repeat(255);
        let calls = vec![long; 40];
        let chunks = lookup_chunks(&calls);
        assert!(chunks.len() > 1, "split by length, not by count");
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 40);
        for chunk in &chunks {
            let quoted: usize = chunk
                .iter()
                .map(|id| filters::quote_text(id).len() + 2)
                .sum();
            assert!(quoted <= LOOKUP_CHARS, "{quoted}");
        }
    }

    #[test]
    fn ds_05_backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(120));
        assert_eq!(backoff(8), Duration::from_secs(3600));
        assert_eq!(backoff(1000), MAX_BACKOFF);
        assert_eq!(backoff(0), FIRST_BACKOFF);
    }

    #[test]
    fn ds_05_each_result_decides_its_call() {
        let now = call().occurred_at;
        let saved = CollectionResult {
            id: Some("00T000000000001AAA".into()),
            success: true,
            errors: vec![],
        };
        assert_eq!(
            outcome_of(&saved, 0, now),
            WriteOutcome::Written {
                task_id: "00T000000000001AAA".into()
            }
        );
        let refused = CollectionResult {
            id: None,
            success: false,
            errors: vec![ApiErrorDetail {
                status_code: "INVALID_CROSS_REFERENCE_KEY".into(),
                message: "invalid cross reference id".into(),
                fields: vec!["WhoId".into()],
            }],
        };
        assert_eq!(
            outcome_of(&refused, 0, now),
            WriteOutcome::Failed {
                message: "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id".into()
            }
        );
        let locked = CollectionResult {
            id: None,
            success: false,
            errors: vec![ApiErrorDetail {
                status_code: "UNABLE_TO_LOCK_ROW".into(),
                message: "unable to obtain exclusive access to this record".into(),
                fields: vec![],
            }],
        };
        assert!(matches!(
            outcome_of(&locked, 3, now),
            WriteOutcome::Retry { next_attempt_at, .. } if next_attempt_at == now + TimeDelta::seconds(120)
        ));
    }
}
