//! Several instances on one PostgreSQL: what they tell each other, and the relay that carries
//! it (`LISTEN`/`NOTIFY` through [`store::notify`]).
//!
//! An instance tells the others two kinds of things ([`Note`]): an administrator's command
//! (an Org Sync saved or removed, a connection set up, reset or disconnected), so the
//! instance running the sync restarts or stops it within a moment; and a status change, so
//! every instance's live pages show it. Notes carry ids only: the receiver reads the current
//! row from the store. Delivery is best effort; the supervisor's periodic claim also stops
//! workers of syncs disabled or removed elsewhere, and takes over syncs whose owner died.
//!
//! SQLite serves one instance ([`ClusterLink::single`]): nothing is sent, nothing listened to.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// This process among the instances: host, process id and a random part, so two processes
/// never share one even on one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceId(Arc<str>);

impl InstanceId {
    pub fn new() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "orgsync".to_owned());
        let random: u32 = rand::random();
        InstanceId(format!("{host}:{}:{random:08x}", std::process::id()).into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for InstanceId {
    fn default() -> Self {
        Self::new()
    }
}

/// What one instance tells the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// An Org Sync was added or saved: its worker restarts wherever it runs.
    SyncChanged {
        organization_id: i64,
        org_sync_id: i64,
    },
    /// An Org Sync was removed: its worker stops wherever it runs.
    SyncRemoved {
        organization_id: i64,
        org_sync_id: i64,
    },
    /// The organization's Salesforce connection changed: every instance drops its session and
    /// restarts the organization's workers.
    ConnectionChanged { organization_id: i64 },
    /// A sync's status changed (the row is in the store).
    Status {
        organization_id: i64,
        org_sync_id: i64,
    },
    /// A sync is gone (live pages drop its row).
    Removed {
        organization_id: i64,
        org_sync_id: i64,
    },
    /// Calls were recorded on records of the sync's object: its call writer writes them back
    /// wherever the sync runs.
    CallsRecorded {
        organization_id: i64,
        org_sync_id: i64,
    },
    /// A Data Source or Link of the sync changed, and the sending instance brought the
    /// campaigns in line: the instance that runs the sync's worker does it again, taking
    /// turns with that worker's own runs, so no run from an older read of the mirror lands
    /// last.
    DataSourcesChanged {
        organization_id: i64,
        org_sync_id: i64,
    },
    /// These campaigns' records changed (live pages re-read their counts).
    CampaignsChanged {
        organization_id: i64,
        campaign_ids: Vec<i64>,
    },
}

/// A note as sent: who sent it, so an instance ignores its own.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: String,
    note: Note,
}

/// Notes waiting for the relay at most; a burst beyond is dropped (with a warning) rather than
/// slowing the engine down.
const OUTBOX: usize = 4096;

/// The sending side, held by the status bus and the supervisor. Cheap to clone.
#[derive(Clone, Default)]
pub struct ClusterLink {
    outbox: Option<mpsc::Sender<Note>>,
}

/// Notes sent through a [`ClusterLink`], for the relay.
pub struct Outbox(mpsc::Receiver<Note>);

impl ClusterLink {
    /// One instance alone (SQLite, tests): notes go nowhere.
    pub fn single() -> Self {
        ClusterLink::default()
    }

    /// A link whose notes the relay sends ([`relay`]).
    pub fn shared() -> (Self, Outbox) {
        let (sender, receiver) = mpsc::channel(OUTBOX);
        (
            ClusterLink {
                outbox: Some(sender),
            },
            Outbox(receiver),
        )
    }

    pub fn send(&self, note: Note) {
        if let Some(outbox) = &self.outbox
            && let Err(error) = outbox.try_send(note)
        {
            tracing::warn!(%error, "a note for the other instances was dropped");
        }
    }
}

/// What the relay does with a note from another instance.
#[async_trait::async_trait]
pub trait NoteHandler: Send + Sync {
    async fn handle(&self, note: Note);
}

/// Sends this instance's notes and hands the others' to `handler`, until `stop`. Each received
/// note is handled on its own task of `tracker`, so a slow restart never holds up the relay.
pub async fn relay(
    db: sea_orm::DatabaseConnection,
    instance: InstanceId,
    Outbox(mut outbox): Outbox,
    handler: Arc<dyn NoteHandler>,
    tracker: tokio_util::task::TaskTracker,
    stop: CancellationToken,
) {
    let mut listener = loop {
        match store::notify::Listener::connect(&db).await {
            Ok(listener) => break listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other instances' notes; retrying");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                }
            }
        }
    };
    tracing::info!(
        instance = instance.as_str(),
        "listening for other instances' notes"
    );
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            note = outbox.recv() => {
                let Some(note) = note else { return };
                send(&db, &instance, note).await;
            }
            received = listener.next() => match received {
                Ok(payload) => {
                    if let Some(note) = from_others(&instance, &payload) {
                        let handler = handler.clone();
                        tracker.spawn(async move { handler.handle(note).await });
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "lost the connection that listens for other instances");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    }
                }
            },
        }
    }
}

async fn send(db: &sea_orm::DatabaseConnection, instance: &InstanceId, note: Note) {
    let envelope = Envelope {
        from: instance.as_str().to_owned(),
        note,
    };
    match serde_json::to_string(&envelope) {
        Ok(payload) => {
            if let Err(error) = store::notify::notify(db, &payload).await {
                tracing::warn!(%error, "cannot tell the other instances");
            }
        }
        Err(error) => tracing::error!(%error, "cannot encode a note"),
    }
}

/// The note in `payload` unless this instance sent it (or it is unreadable).
fn from_others(instance: &InstanceId, payload: &str) -> Option<Note> {
    match serde_json::from_str::<Envelope>(payload) {
        Ok(envelope) if envelope.from != instance.as_str() => Some(envelope.note),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "ignored an unreadable note on the orgsync channel");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_ignores_its_own_notes_and_reads_the_others() {
        let me = InstanceId::new();
        let other = InstanceId::new();
        assert_ne!(me, other);
        let note = Note::SyncChanged {
            organization_id: 1,
            org_sync_id: 2,
        };
        let payload = |from: &InstanceId| {
            serde_json::to_string(&Envelope {
                from: from.as_str().to_owned(),
                note: note.clone(),
            })
            .expect("encode")
        };
        assert_eq!(from_others(&me, &payload(&me)), None);
        assert_eq!(from_others(&me, &payload(&other)), Some(note));
        assert_eq!(from_others(&me, "not json"), None);
    }

    #[tokio::test]
    async fn a_single_instance_link_sends_nowhere_and_a_shared_one_queues() {
        ClusterLink::single().send(Note::ConnectionChanged { organization_id: 1 });
        let (link, Outbox(mut outbox)) = ClusterLink::shared();
        link.send(Note::ConnectionChanged { organization_id: 7 });
        assert_eq!(
            outbox.recv().await,
            Some(Note::ConnectionChanged { organization_id: 7 })
        );
    }
}
