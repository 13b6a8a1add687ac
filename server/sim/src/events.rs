//! The change-event log behind Change Data Capture: every create, update, delete and undelete
//! appends one event with an increasing replay id; CometD subscribers read from it.
//!
//! Retention is a number of events (the oldest are dropped first); asking to replay from an
//! id that is no longer retained fails like Salesforce does.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::Mutex,
};

use serde_json::{Map, Value, json};
use tokio::sync::watch;

/// What happened to the records of an event (`ChangeEventHeader.changeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Create,
    Update,
    Delete,
    Undelete,
    GapCreate,
    GapUpdate,
    GapDelete,
    GapUndelete,
    GapOverflow,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Create => "CREATE",
            ChangeType::Update => "UPDATE",
            ChangeType::Delete => "DELETE",
            ChangeType::Undelete => "UNDELETE",
            ChangeType::GapCreate => "GAP_CREATE",
            ChangeType::GapUpdate => "GAP_UPDATE",
            ChangeType::GapDelete => "GAP_DELETE",
            ChangeType::GapUndelete => "GAP_UNDELETE",
            ChangeType::GapOverflow => "GAP_OVERFLOW",
        }
    }
}

/// The record id Salesforce puts in overflow events.
pub const OVERFLOW_RECORD_ID: &str = "000000000000000AAA";

/// One retained change event.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEvent {
    pub replay_id: i64,
    /// `Contact` or `Lead`.
    pub entity: String,
    /// `data.payload`: the `ChangeEventHeader` and the body fields.
    pub payload: Value,
}

impl ChangeEvent {
    /// The channel of the entity, e.g. `/data/ContactChangeEvent`.
    pub fn channel(&self) -> String {
        format!("/data/{}ChangeEvent", self.entity)
    }

    /// The CometD message delivered on `channel` (the entity's channel or `/data/ChangeEvents`).
    pub fn to_message(&self, channel: &str) -> Value {
        json!({
            "channel": channel,
            "data": {
                "schema": schema_id(&self.entity),
                "payload": self.payload,
                "event": { "replayId": self.replay_id }
            }
        })
    }
}

/// A stable, opaque schema id per entity.
fn schema_id(entity: &str) -> String {
    match entity {
        "Contact" => "xLqlH3SqgyWv7kvH4n5cJw".to_string(),
        "Lead" => "p2wF3Tj4d7gQaZt1S9mE0Q".to_string(),
        other => format!("{other}Schema0000000"),
    }
}

/// What the writer knows about a change; [`EventLog::publish`] turns it into an event.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub entity: String,
    pub change_type: ChangeType,
    pub record_ids: Vec<String>,
    /// UPDATE: the changed field names (compound parts as `Name.LastName`); empty otherwise.
    pub changed_fields: Vec<String>,
    /// Body fields (already shaped: compound fields nested, datetimes as ISO strings).
    pub body: Map<String, Value>,
    /// `005...` id of the user who made the change.
    pub commit_user: String,
    /// `com/salesforce/api/rest/62.0;client=...` or empty.
    pub change_origin: String,
    pub transaction_key: String,
    pub sequence_number: i64,
    pub commit_timestamp_ms: i64,
}

/// Why a replay request cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The replay id is older than the retention window (or was never issued).
    #[error(
        "The replayId {0} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."
    )]
    Invalid(i64),
}

struct Inner {
    events: VecDeque<ChangeEvent>,
    /// The replay id of the newest event ever published (0 before the first).
    last_replay_id: i64,
    commit_number: i64,
}

/// The append-only, size-bounded event log.
pub struct EventLog {
    inner: Mutex<Inner>,
    retention: usize,
    /// Publishes the newest replay id, so long-polls wake up at once.
    latest: watch::Sender<i64>,
}

impl EventLog {
    /// A log that keeps the `retention` most recent events.
    pub fn new(retention: usize) -> Self {
        let (latest, _) = watch::channel(0);
        EventLog {
            inner: Mutex::new(Inner {
                events: VecDeque::new(),
                last_replay_id: 0,
                commit_number: 74_487_681_000,
            }),
            retention: retention.max(1),
            latest,
        }
    }

    /// Appends an event and returns its replay id.
    pub fn publish(&self, change: NewChange) -> i64 {
        let replay_id = {
            let mut inner = self.lock();
            inner.last_replay_id += 1;
            inner.commit_number += 1;
            let replay_id = inner.last_replay_id;
            let mut payload = Map::new();
            payload.insert(
                "ChangeEventHeader".into(),
                json!({
                    "entityName": change.entity,
                    "recordIds": change.record_ids,
                    "changeType": change.change_type.as_str(),
                    "changeOrigin": change.change_origin,
                    "transactionKey": change.transaction_key,
                    "sequenceNumber": change.sequence_number,
                    "commitTimestamp": change.commit_timestamp_ms,
                    "commitNumber": inner.commit_number,
                    "commitUser": change.commit_user,
                    "changedFields": change.changed_fields,
                }),
            );
            payload.extend(change.body);
            inner.events.push_back(ChangeEvent {
                replay_id,
                entity: change.entity,
                payload: Value::Object(payload),
            });
            while inner.events.len() > self.retention {
                inner.events.pop_front();
            }
            replay_id
        };
        self.latest.send_replace(replay_id);
        replay_id
    }

    /// The newest replay id (0 when nothing was published yet): where `-1` subscribers start.
    pub fn tip(&self) -> i64 {
        self.lock().last_replay_id
    }

    /// The replay id just before the oldest retained event: where `-2` subscribers start.
    pub fn earliest_cursor(&self) -> i64 {
        let inner = self.lock();
        inner
            .events
            .front()
            .map_or(inner.last_replay_id, |e| e.replay_id - 1)
    }

    /// Checks a stored replay id: valid when it is retained (or is the cursor just before
    /// the oldest retained event, or the tip).
    pub fn validate_replay_id(&self, replay_id: i64) -> Result<(), ReplayError> {
        let inner = self.lock();
        let oldest_cursor = inner
            .events
            .front()
            .map_or(inner.last_replay_id, |e| e.replay_id - 1);
        if replay_id < oldest_cursor || replay_id > inner.last_replay_id {
            return Err(ReplayError::Invalid(replay_id));
        }
        Ok(())
    }

    /// Up to `max` events with a replay id greater than `after`, for `entities` (all when
    /// `None`), oldest first.
    pub fn events_after(
        &self,
        after: i64,
        entities: Option<&[String]>,
        max: usize,
    ) -> Vec<ChangeEvent> {
        let inner = self.lock();
        // Replay ids are strictly increasing, so the first newer event is found by bisection.
        let start = inner.events.partition_point(|e| e.replay_id <= after);
        inner
            .events
            .range(start..)
            .filter(|e| entities.is_none_or(|list| list.contains(&e.entity)))
            .take(max)
            .cloned()
            .collect()
    }

    /// How many retained events of `entity` name each record id (gap events included, the
    /// overflow placeholder id left out), and whether the log still holds every event ever
    /// published (nothing dropped by retention or cleared). A test bounds how often a mirror
    /// may have applied a record with it: once per version at most.
    pub fn changes_per_record(&self, entity: &str) -> (BTreeMap<String, u64>, bool) {
        let inner = self.lock();
        let mut counts = BTreeMap::new();
        for event in inner.events.iter().filter(|e| e.entity == entity) {
            let ids = event.payload["ChangeEventHeader"]["recordIds"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for id in ids.iter().filter_map(Value::as_str) {
                if id != OVERFLOW_RECORD_ID {
                    *counts.entry(id.to_string()).or_insert(0) += 1;
                }
            }
        }
        // Replay ids run 1, 2, 3… without holes, so the log is whole when it holds them all.
        let complete = i64::try_from(inner.events.len()).is_ok_and(|n| n == inner.last_replay_id);
        (counts, complete)
    }

    /// A receiver that changes whenever an event is published.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.latest.subscribe()
    }

    /// Empties the log (control API reset); replay ids keep increasing.
    pub fn clear(&self) {
        self.lock().events.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the log half-written (each critical
        // section is a few pushes), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(entity: &str, change_type: ChangeType) -> NewChange {
        NewChange {
            entity: entity.into(),
            change_type,
            record_ids: vec!["003000000000001AAA".into()],
            changed_fields: vec![],
            body: Map::new(),
            commit_user: "005000000000001AAA".into(),
            change_origin: String::new(),
            transaction_key: "tx".into(),
            sequence_number: 1,
            commit_timestamp_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn replay_ids_increase_and_retention_drops_the_oldest() {
        let log = EventLog::new(2);
        let a = log.publish(change("Contact", ChangeType::Create));
        let b = log.publish(change("Lead", ChangeType::Create));
        let c = log.publish(change("Contact", ChangeType::Update));
        assert!(a < b && b < c);
        assert_eq!(log.tip(), c);
        assert_eq!(log.earliest_cursor(), b - 1);
        assert_eq!(
            log.validate_replay_id(a - 1),
            Err(ReplayError::Invalid(a - 1))
        );
        assert_eq!(log.validate_replay_id(b - 1), Ok(()));
        let contacts = log.events_after(0, Some(&["Contact".to_string()]), 10);
        assert_eq!(
            contacts.iter().map(|e| e.replay_id).collect::<Vec<_>>(),
            vec![c]
        );
    }

    #[test]
    fn changes_are_counted_per_record_and_the_log_says_when_it_is_whole() {
        let log = EventLog::new(3);
        let mut two = change("Contact", ChangeType::Update);
        two.record_ids = vec!["003000000000001AAA".into(), "003000000000002AAA".into()];
        log.publish(change("Contact", ChangeType::Create));
        log.publish(two);
        log.publish(change("Lead", ChangeType::Create));
        let (counts, complete) = log.changes_per_record("Contact");
        assert!(complete);
        assert_eq!(counts.get("003000000000001AAA"), Some(&2));
        assert_eq!(counts.get("003000000000002AAA"), Some(&1));
        assert_eq!(counts.len(), 2);
        let mut overflow = change("Contact", ChangeType::GapOverflow);
        overflow.record_ids = vec![OVERFLOW_RECORD_ID.into()];
        log.publish(overflow);
        let (counts, complete) = log.changes_per_record("Contact");
        assert!(!complete, "retention dropped the first event");
        assert_eq!(counts.get("003000000000001AAA"), Some(&1));
        assert!(!counts.contains_key(OVERFLOW_RECORD_ID));
    }

    #[test]
    fn messages_carry_the_header_and_replay_id() {
        let log = EventLog::new(10);
        log.publish(change("Contact", ChangeType::Delete));
        let event = &log.events_after(0, None, 1)[0];
        let message = event.to_message(&event.channel());
        assert_eq!(message["channel"], "/data/ContactChangeEvent");
        assert_eq!(message["data"]["event"]["replayId"], 1);
        assert_eq!(
            message["data"]["payload"]["ChangeEventHeader"]["changeType"],
            "DELETE"
        );
    }
}
