//! The Org Syncs the Integrations page shows, kept live (ST-05).
//!
//! One store per page feeds both the card's status summary and the Sync Settings modal. It is
//! filled from the server functions' answers and then updated in place, by id, from the
//! server-sent status events (`crate::browser::follow_status_events`) and from what the
//! modal's actions return, so statuses, Last sync, error totals, the last error and backfill
//! progress change without a reload.

use leptos::prelude::*;

use crate::types::{OrgSyncView, StatusEvent, SyncObject};

/// The page's Org Syncs, in object order (Contact, then Lead). Provided as context by the page.
#[derive(Debug, Clone, Copy)]
pub struct LiveSyncs(RwSignal<Vec<OrgSyncView>>);

impl LiveSyncs {
    pub fn new() -> Self {
        LiveSyncs(RwSignal::new(Vec::new()))
    }

    /// Every sync (tracked).
    pub fn all(self) -> Vec<OrgSyncView> {
        self.0.get()
    }

    /// Reads the list without cloning it (tracked).
    pub fn with<T>(self, f: impl FnOnce(&[OrgSyncView]) -> T) -> T {
        self.0.with(|syncs| f(syncs))
    }

    /// One sync by id (tracked).
    pub fn find(self, id: i64) -> Option<OrgSyncView> {
        self.0
            .with(|syncs| syncs.iter().find(|sync| sync.id == id).cloned())
    }

    /// Whether an Org Sync exists for `object` (tracked).
    pub fn has_object(self, object: SyncObject) -> bool {
        self.0
            .with(|syncs| syncs.iter().any(|sync| sync.object == object))
    }

    /// Sets the list the page renders from its own read, as it is: while the page hydrates,
    /// its rows must be the ones the server rendered.
    pub fn fill(self, mut syncs: Vec<OrgSyncView>) {
        sort(&mut syncs);
        self.0.set(syncs);
    }

    /// Takes a later read of the whole list (after an action), keeping any sync the page
    /// already knows in a later revision.
    pub fn merge(self, syncs: Vec<OrgSyncView>) {
        self.0.update(|known| merge(known, syncs));
    }

    /// Puts one sync in, replacing the one with its id.
    pub fn upsert(self, sync: OrgSyncView) {
        self.0.update(|syncs| upsert(syncs, sync));
    }

    /// Applies a status event.
    pub fn apply(self, event: StatusEvent) {
        self.0.update(|syncs| apply(syncs, event));
    }
}

impl Default for LiveSyncs {
    fn default() -> Self {
        Self::new()
    }
}

/// Applies one status event to a list: a snapshot replaces it; a changed sync replaces the
/// one with its id (or joins the list, in object order); a removed one leaves it.
pub fn apply(syncs: &mut Vec<OrgSyncView>, event: StatusEvent) {
    match event {
        StatusEvent::Snapshot { syncs: now } => merge(syncs, now),
        StatusEvent::SyncChanged { sync } => upsert(syncs, sync),
        StatusEvent::SyncRemoved { id } => syncs.retain(|sync| sync.id != id),
        StatusEvent::CampaignsChanged { .. } => {}
    }
}

/// The list as `now` says, except that a sync the page knows in a later revision stays as
/// the page knows it: an answer read before a live event may arrive after it.
fn merge(syncs: &mut Vec<OrgSyncView>, mut now: Vec<OrgSyncView>) {
    for sync in &mut now {
        if let Some(known) = syncs.iter().find(|known| known.id == sync.id)
            && known.revision > sync.revision
        {
            *sync = known.clone();
        }
    }
    sort(&mut now);
    *syncs = now;
}

/// Puts `sync` in, unless the page already knows it in a later revision.
fn upsert(syncs: &mut Vec<OrgSyncView>, sync: OrgSyncView) {
    match syncs.iter_mut().find(|known| known.id == sync.id) {
        Some(known) => {
            if sync.revision >= known.revision {
                *known = sync;
            }
        }
        None => {
            syncs.push(sync);
            sort(syncs);
        }
    }
}

fn sort(syncs: &mut [OrgSyncView]) {
    syncs.sort_by_key(|sync| {
        let rank = SyncObject::ALL
            .iter()
            .position(|object| *object == sync.object);
        (rank, sync.id)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SyncMethod, SyncStatus};

    fn sync(id: i64, object: SyncObject, status: SyncStatus) -> OrgSyncView {
        OrgSyncView {
            id,
            object,
            method: SyncMethod::Cdc,
            interval_minutes: None,
            channel: Some(object.cdc_channel()),
            enabled: true,
            status,
            last_sync_at: None,
            error_count: 0,
            last_error: None,
            backfill: None,
            revision: 1,
        }
    }

    #[test]
    fn a_change_replaces_the_sync_with_its_id_in_place() {
        let mut syncs = vec![
            sync(1, SyncObject::Contact, SyncStatus::Active),
            sync(2, SyncObject::Lead, SyncStatus::Active),
        ];
        let mut failed = sync(1, SyncObject::Contact, SyncStatus::Error);
        failed.error_count = 3;
        apply(
            &mut syncs,
            StatusEvent::SyncChanged {
                sync: failed.clone(),
            },
        );
        assert_eq!(
            syncs,
            vec![failed, sync(2, SyncObject::Lead, SyncStatus::Active)]
        );
    }

    #[test]
    fn a_new_sync_joins_in_object_order() {
        let mut syncs = vec![sync(7, SyncObject::Lead, SyncStatus::Paused)];
        apply(
            &mut syncs,
            StatusEvent::SyncChanged {
                sync: sync(9, SyncObject::Contact, SyncStatus::Paused),
            },
        );
        let ids: Vec<i64> = syncs.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![9, 7]);
    }

    #[test]
    fn a_snapshot_replaces_everything() {
        let mut syncs = vec![sync(1, SyncObject::Contact, SyncStatus::Active)];
        apply(
            &mut syncs,
            StatusEvent::Snapshot {
                syncs: vec![
                    sync(5, SyncObject::Lead, SyncStatus::Paused),
                    sync(4, SyncObject::Contact, SyncStatus::CircuitOpen),
                ],
            },
        );
        let ids: Vec<i64> = syncs.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![4, 5]);
    }

    #[test]
    fn a_removal_drops_only_that_sync() {
        let mut syncs = vec![
            sync(1, SyncObject::Contact, SyncStatus::Active),
            sync(2, SyncObject::Lead, SyncStatus::Active),
        ];
        apply(&mut syncs, StatusEvent::SyncRemoved { id: 1 });
        apply(&mut syncs, StatusEvent::SyncRemoved { id: 42 });
        let ids: Vec<i64> = syncs.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![2]);
    }

    /// The Sync Settings row stuck at "Last sync: Never": Save's answer, read before the
    /// worker's first round, arrived after that round's live event.
    #[test]
    fn an_answer_older_than_a_live_event_does_not_undo_it() {
        let saved = sync(1, SyncObject::Contact, SyncStatus::Active);
        let mut synced = saved.clone();
        synced.last_sync_at = Some("2026-12-07 05:00:00 UTC".into());
        synced.revision = 2;
        let mut syncs = vec![saved.clone()];
        apply(
            &mut syncs,
            StatusEvent::SyncChanged {
                sync: synced.clone(),
            },
        );
        upsert(&mut syncs, saved.clone());
        assert_eq!(syncs, vec![synced.clone()], "an action's older answer");
        merge(
            &mut syncs,
            vec![saved, sync(2, SyncObject::Lead, SyncStatus::Paused)],
        );
        assert_eq!(
            syncs,
            vec![synced, sync(2, SyncObject::Lead, SyncStatus::Paused)],
            "a page's older read"
        );
        // A later revision, by any way, is taken.
        let mut failed = sync(1, SyncObject::Contact, SyncStatus::Error);
        failed.revision = 3;
        upsert(&mut syncs, failed.clone());
        assert_eq!(syncs[0], failed);
        // A sync the newer list no longer has is gone.
        merge(&mut syncs, vec![failed.clone()]);
        assert_eq!(syncs, vec![failed]);
    }
}
