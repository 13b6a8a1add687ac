//! The status bus: one broadcast channel of status changes per process (ST-05). The engine
//! and the console publish after each store write; the SSE endpoint reads it. Every message
//! carries the organization it belongs to, so a stream only ever shows its own
//! organization's syncs. With several instances, sync changes also go to the others
//! ([`crate::cluster`]), which publish them on their own bus.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use app::types::{BackfillProgress, OrgSyncView, StatusEvent, SyncMethod, SyncObject, SyncStatus};
use store::{entities::org_syncs, org_syncs as stored};
use tokio::sync::broadcast;

use crate::cluster::{ClusterLink, Note};

/// Messages a slow subscriber may fall behind by before it must resynchronize.
const CAPACITY: usize = 1024;

/// One published change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// Increasing per process: the SSE event id.
    pub sequence: u64,
    pub organization_id: i64,
    pub event: StatusEvent,
}

/// The process's status bus. Cheap to clone.
#[derive(Clone)]
pub struct StatusBus {
    sender: broadcast::Sender<StatusMessage>,
    sequence: Arc<AtomicU64>,
    /// Where sync changes also go, so other instances' pages show them.
    cluster: ClusterLink,
}

impl Default for StatusBus {
    fn default() -> Self {
        StatusBus::with_cluster(ClusterLink::single())
    }
}

impl StatusBus {
    /// A bus whose sync changes are also told to the other instances through `cluster`.
    pub fn with_cluster(cluster: ClusterLink) -> Self {
        StatusBus {
            sender: broadcast::Sender::new(CAPACITY),
            sequence: Arc::new(AtomicU64::new(0)),
            cluster,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StatusMessage> {
        self.sender.subscribe()
    }

    /// The sequence of the last message published (0 before the first).
    pub fn last_sequence(&self) -> u64 {
        self.sequence.load(Ordering::SeqCst)
    }

    pub fn publish(&self, organization_id: i64, event: StatusEvent) {
        let sequence = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        // No subscriber is not an error: nobody has the page open.
        let _ = self.sender.send(StatusMessage {
            sequence,
            organization_id,
            event,
        });
    }

    /// Publishes a sync's current row, here and to the other instances.
    pub fn sync_changed(&self, row: &org_syncs::Model) {
        self.show_sync(row);
        self.cluster.send(Note::Status {
            organization_id: row.organization_id,
            org_sync_id: row.id,
        });
    }

    /// Publishes that a sync is gone, here and to the other instances.
    pub fn sync_removed(&self, organization_id: i64, id: i64) {
        self.show_removed(organization_id, id);
        self.cluster.send(Note::Removed {
            organization_id,
            org_sync_id: id,
        });
    }

    /// Publishes a sync's row on this instance only (another instance reported the change).
    pub fn show_sync(&self, row: &org_syncs::Model) {
        self.publish(
            row.organization_id,
            StatusEvent::SyncChanged {
                sync: org_sync_view(row),
            },
        );
    }

    /// Publishes that these campaigns' records changed, here and to the other instances.
    pub fn campaigns_changed(&self, organization_id: i64, campaign_ids: &[i64]) {
        self.show_campaigns_changed(organization_id, campaign_ids.to_vec());
        self.cluster.send(Note::CampaignsChanged {
            organization_id,
            campaign_ids: campaign_ids.to_vec(),
        });
    }

    /// Publishes on this instance only that these campaigns' records changed.
    pub fn show_campaigns_changed(&self, organization_id: i64, campaign_ids: Vec<i64>) {
        self.publish(
            organization_id,
            StatusEvent::CampaignsChanged { campaign_ids },
        );
    }

    /// Publishes on this instance only that a sync is gone.
    pub fn show_removed(&self, organization_id: i64, id: i64) {
        self.publish(organization_id, StatusEvent::SyncRemoved { id });
    }
}

/// A stored Org Sync as the UI shows it.
pub fn org_sync_view(row: &org_syncs::Model) -> OrgSyncView {
    let backfill = match (row.backfill_records, row.backfill_total) {
        (Some(records), Some(total)) => Some(BackfillProgress { records, total }),
        _ => None,
    };
    OrgSyncView {
        id: row.id,
        object: match row.object {
            stored::SfObject::Contact => SyncObject::Contact,
            stored::SfObject::Lead => SyncObject::Lead,
        },
        method: method_view(row.method),
        interval_minutes: row
            .interval_minutes
            .and_then(|minutes| u32::try_from(minutes).ok()),
        channel: row.channel.clone(),
        enabled: row.enabled,
        status: status_view(row.status),
        last_sync_at: row
            .last_sync_at
            .map(|at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        error_count: row.error_count,
        last_error: row.last_error.clone(),
        backfill,
        revision: row.updated_at.timestamp_micros(),
    }
}

pub fn method_view(method: stored::SyncMethod) -> SyncMethod {
    match method {
        stored::SyncMethod::Cdc => SyncMethod::Cdc,
        stored::SyncMethod::Rest => SyncMethod::Rest,
    }
}

pub fn status_view(status: stored::SyncStatus) -> SyncStatus {
    match status {
        stored::SyncStatus::Active => SyncStatus::Active,
        stored::SyncStatus::Paused => SyncStatus::Paused,
        stored::SyncStatus::Error => SyncStatus::Error,
        stored::SyncStatus::CircuitOpen => SyncStatus::CircuitOpen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_gets_each_message_with_a_rising_sequence() {
        let bus = StatusBus::default();
        let mut first = bus.subscribe();
        let mut second = bus.subscribe();
        bus.sync_removed(1, 10);
        bus.sync_removed(2, 20);
        for receiver in [&mut first, &mut second] {
            let a = receiver.recv().await.expect("first message");
            let b = receiver.recv().await.expect("second message");
            assert_eq!((a.sequence, a.organization_id), (1, 1));
            assert_eq!((b.sequence, b.organization_id), (2, 2));
        }
        assert_eq!(bus.last_sequence(), 2);
    }
}
