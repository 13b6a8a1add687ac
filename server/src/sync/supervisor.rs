//! The supervisor: owns this instance's workers. A worker runs an Org Sync only while this
//! instance holds the sync's lease (`store::leases`): at boot and on the console's commands
//! (the [`SyncCommands`] port) the supervisor starts a worker, which first takes the lease; a
//! sync whose lease another live instance holds is left to it. Every third of the lease time
//! the supervisor claims again: it takes over enabled syncs whose owner stopped renewing, and
//! stops workers of syncs that were disabled or removed on another instance.
//!
//! Stopping a worker cancels it and waits for it to end (its lease released) before anything
//! else starts for that sync, so two workers of one instance never write the same mirror; the
//! lease fences writes against workers of other instances. Workers run on the application's
//! task tracker and end on its shutdown. Commands are also told to the other instances
//! ([`crate::cluster`]), which apply them to the workers they run.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use store::{
    leases::{self, Lease},
    org_syncs::SyncStatus,
};
use tokio::{
    sync::{Mutex, Notify},
    task::JoinHandle,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    EngineDeps, SyncCommands,
    worker::{self, Stopped},
    writeback,
};
use crate::cluster::{ClusterLink, InstanceId, Note, NoteHandler};

struct RunningWorker {
    organization_id: i64,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    /// Wakes the worker's call writer (`writeback`).
    writer: Arc<Notify>,
}

/// The engine's supervisor. Cheap to clone.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

struct Inner {
    deps: EngineDeps,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    workers: Mutex<HashMap<i64, RunningWorker>>,
    instance: InstanceId,
    /// Numbers this instance's lease acquisitions, so each has its own holder string.
    acquisitions: AtomicU64,
    cluster: ClusterLink,
}

impl Supervisor {
    /// A supervisor of a single instance (SQLite, tests) whose workers run on `tracker` and
    /// stop when `shutdown` fires.
    pub fn new(deps: EngineDeps, tracker: TaskTracker, shutdown: CancellationToken) -> Self {
        Self::in_cluster(
            deps,
            tracker,
            shutdown,
            InstanceId::new(),
            ClusterLink::single(),
        )
    }

    /// A supervisor that tells its commands to the other instances through `cluster`.
    pub fn in_cluster(
        deps: EngineDeps,
        tracker: TaskTracker,
        shutdown: CancellationToken,
        instance: InstanceId,
        cluster: ClusterLink,
    ) -> Self {
        Supervisor {
            inner: Arc::new(Inner {
                deps,
                tracker,
                shutdown,
                workers: Mutex::new(HashMap::new()),
                instance,
                acquisitions: AtomicU64::new(0),
                cluster,
            }),
        }
    }

    pub fn deps(&self) -> &EngineDeps {
        &self.inner.deps
    }

    /// This instance.
    pub fn instance(&self) -> &InstanceId {
        &self.inner.instance
    }

    /// Starts a worker for every enabled Org Sync whose lease is free (boot), then keeps
    /// claiming every third of the lease time until shutdown.
    pub async fn start_all(&self) -> Result<usize, store::StoreError> {
        let enabled = store::org_syncs::list_enabled(&self.inner.deps.db).await?;
        {
            let mut workers = self.inner.workers.lock().await;
            for row in &enabled {
                self.start_locked(&mut workers, row.organization_id, row.id);
            }
        }
        tracing::info!(
            syncs = enabled.len(),
            instance = self.inner.instance.as_str(),
            "sync engine started"
        );
        let supervisor = self.clone();
        self.inner
            .tracker
            .spawn(async move { supervisor.keep_claiming().await });
        Ok(enabled.len())
    }

    /// The Org Syncs whose worker runs on this instance (tests, diagnostics).
    pub async fn running(&self) -> Vec<i64> {
        let workers = self.inner.workers.lock().await;
        let mut ids: Vec<i64> = workers
            .iter()
            .filter(|(_, w)| !w.task.is_finished())
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    async fn keep_claiming(&self) {
        let clock = self.inner.deps.clock.clone();
        let every = self.inner.deps.lease_time() / 3;
        loop {
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return,
                () = clock.sleep_until(clock.now() + every) => {}
            }
            if let Err(error) = self.claim().await {
                tracing::warn!(%error, "cannot look for Org Syncs to take over");
            }
        }
    }

    /// One claim: stops workers whose sync is no longer enabled, and starts one for every
    /// enabled sync not running here, unless it stopped in Error (it waits for the admin).
    /// A started worker ends at once when another instance holds the lease.
    async fn claim(&self) -> Result<(), store::StoreError> {
        let enabled = store::org_syncs::list_enabled(&self.inner.deps.db).await?;
        let mut workers = self.inner.workers.lock().await;
        let gone: Vec<i64> = workers
            .keys()
            .filter(|id| !enabled.iter().any(|row| row.id == **id))
            .copied()
            .collect();
        for id in gone {
            Self::stop_locked(&mut workers, id).await;
        }
        for row in enabled.iter().filter(|row| row.status != SyncStatus::Error) {
            let running = workers.get(&row.id).is_some_and(|w| !w.task.is_finished());
            if !running {
                self.start_locked(&mut workers, row.organization_id, row.id);
            }
        }
        Ok(())
    }

    fn start_locked(
        &self,
        workers: &mut HashMap<i64, RunningWorker>,
        organization_id: i64,
        org_sync_id: i64,
    ) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let number = self.inner.acquisitions.fetch_add(1, Ordering::Relaxed);
        let lease = Lease {
            name: leases::org_sync(org_sync_id),
            holder: format!("{}/{number}", self.inner.instance.as_str()),
        };
        let cancel = self.inner.shutdown.child_token();
        let writer = Arc::new(Notify::new());
        let task = self.inner.tracker.spawn(run_leased(
            self.inner.deps.clone(),
            org_sync_id,
            lease,
            cancel.clone(),
            writer.clone(),
        ));
        workers.insert(
            org_sync_id,
            RunningWorker {
                organization_id,
                cancel,
                task,
                writer,
            },
        );
    }

    /// Wakes the call writer of the sync's worker, if it runs here.
    /// Brings every campaign linked to the Org Sync in line with its whole mirror, and tells
    /// open pages.
    async fn refresh_campaigns(
        &self,
        organization_id: i64,
        org_sync_id: i64,
    ) -> Result<(), store::StoreError> {
        let deps = &self.inner.deps;
        let done = deps
            .materialize(org_sync_id, crate::campaigns::Scope::All)
            .await?;
        if !done.campaign_ids.is_empty() {
            deps.bus
                .campaigns_changed(organization_id, &done.campaign_ids);
        }
        Ok(())
    }

    async fn wake_writer(&self, org_sync_id: i64) {
        if let Some(worker) = self.inner.workers.lock().await.get(&org_sync_id) {
            worker.writer.notify_one();
        }
    }

    /// Stops a worker and waits until it has ended.
    async fn stop_locked(workers: &mut HashMap<i64, RunningWorker>, org_sync_id: i64) {
        if let Some(worker) = workers.remove(&org_sync_id) {
            worker.cancel.cancel();
            if let Err(error) = worker.task.await
                && error.is_panic()
            {
                tracing::error!(org_sync_id, "a sync worker panicked");
            }
        }
    }

    /// Brings one sync's worker in line with the store, and publishes its state.
    async fn reconcile(&self, organization_id: i64, org_sync_id: i64) {
        let mut workers = self.inner.workers.lock().await;
        Self::stop_locked(&mut workers, org_sync_id).await;
        match store::org_syncs::find_by_id(&self.inner.deps.db, org_sync_id).await {
            Ok(Some(row)) => {
                if row.enabled {
                    self.start_locked(&mut workers, organization_id, org_sync_id);
                }
                self.inner.deps.bus.sync_changed(&row);
            }
            Ok(None) => self
                .inner
                .deps
                .bus
                .sync_removed(organization_id, org_sync_id),
            Err(error) => {
                tracing::error!(%error, org_sync_id, "cannot read the Org Sync to (re)start it")
            }
        }
    }

    async fn remove(&self, organization_id: i64, org_sync_id: i64) {
        let mut workers = self.inner.workers.lock().await;
        Self::stop_locked(&mut workers, org_sync_id).await;
        self.inner
            .deps
            .bus
            .sync_removed(organization_id, org_sync_id);
    }

    async fn restart_organization(&self, organization_id: i64) {
        let syncs = match store::org_syncs::list(&self.inner.deps.db, organization_id).await {
            Ok(syncs) => syncs,
            Err(error) => {
                tracing::error!(%error, organization_id, "cannot list the organization's syncs to restart them");
                return;
            }
        };
        {
            // Workers of the organization that are no longer in the store end too.
            let mut workers = self.inner.workers.lock().await;
            let stale: Vec<i64> = workers
                .iter()
                .filter(|(id, w)| {
                    w.organization_id == organization_id && !syncs.iter().any(|s| s.id == **id)
                })
                .map(|(id, _)| *id)
                .collect();
            for id in stale {
                Self::stop_locked(&mut workers, id).await;
            }
        }
        for row in syncs {
            self.reconcile(organization_id, row.id).await;
        }
    }
}

/// A worker under its lease: takes the lease (or ends at once when another instance holds
/// it), renews it every third of the lease time while the rounds run, and gives it up when
/// it stops, unless it was lost.
async fn run_leased(
    mut deps: EngineDeps,
    org_sync_id: i64,
    lease: Lease,
    cancel: CancellationToken,
    writer: Arc<Notify>,
) {
    let ttl = deps.lease_time();
    match leases::try_acquire(&deps.db, &lease.name, &lease.holder, deps.clock.now(), ttl).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(org_sync_id, "another instance runs this sync");
            return;
        }
        Err(error) => {
            tracing::warn!(%error, org_sync_id, "cannot take the sync's lease");
            return;
        }
    }
    let lease = Arc::new(lease);
    deps.lease = Some(lease.clone());
    let stopped = tokio::select! {
        () = cancel.cancelled() => None,
        () = keep_renewed(&deps, &lease, ttl) => Some(Stopped::LeaseLost),
        stopped = worker::run_rounds(&deps, org_sync_id, &writer) => Some(stopped),
        stopped = writeback::run(&deps, org_sync_id, writer.clone()) => Some(stopped),
    };
    if stopped == Some(Stopped::LeaseLost) {
        tracing::warn!(
            org_sync_id,
            "another instance took this sync over; its worker here stopped"
        );
        return;
    }
    if let Err(error) = leases::release(&deps.db, &lease).await {
        tracing::warn!(%error, org_sync_id, "cannot release the sync's lease; it will lapse");
    }
}

/// Renews `lease` every third of `ttl`; returns once it is no longer held. A failed renewal
/// (database unreachable) is retried at the next beat: meanwhile the fence stops any write
/// should another instance take the lease over.
async fn keep_renewed(deps: &EngineDeps, lease: &Lease, ttl: chrono::TimeDelta) {
    loop {
        deps.clock.sleep_until(deps.clock.now() + ttl / 3).await;
        match leases::renew(&deps.db, lease, deps.clock.now(), ttl).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => tracing::warn!(%error, lease = %lease.name, "cannot renew a lease"),
        }
    }
}

#[async_trait::async_trait]
impl SyncCommands for Supervisor {
    async fn sync_changed(&self, organization_id: i64, org_sync_id: i64) {
        self.reconcile(organization_id, org_sync_id).await;
        self.inner.cluster.send(Note::SyncChanged {
            organization_id,
            org_sync_id,
        });
    }

    async fn sync_removed(&self, organization_id: i64, org_sync_id: i64) {
        self.remove(organization_id, org_sync_id).await;
        self.inner.cluster.send(Note::SyncRemoved {
            organization_id,
            org_sync_id,
        });
    }

    async fn connection_changed(&self, organization_id: i64) {
        self.restart_organization(organization_id).await;
        self.inner
            .cluster
            .send(Note::ConnectionChanged { organization_id });
    }

    async fn data_sources_changed(
        &self,
        organization_id: i64,
        org_sync_id: i64,
        fields_changed: bool,
    ) -> Result<(), store::StoreError> {
        self.refresh_campaigns(organization_id, org_sync_id).await?;
        // The instance that runs the sync's worker runs again after this one: a run here
        // does not take turns with that worker's runs (see `EngineDeps::materialize`).
        self.inner.cluster.send(Note::DataSourcesChanged {
            organization_id,
            org_sync_id,
        });
        if fields_changed {
            // A new worker fetches the new fields before its first round.
            self.sync_changed(organization_id, org_sync_id).await;
        }
        Ok(())
    }

    async fn calls_recorded(&self, organization_id: i64, org_sync_id: i64) {
        self.wake_writer(org_sync_id).await;
        self.inner.cluster.send(Note::CallsRecorded {
            organization_id,
            org_sync_id,
        });
    }
}

/// Notes from other instances: commands are applied to this instance's workers as if given
/// here (a worker another instance runs stays there: its lease refuses this one), without
/// telling the others again; status changes are re-read from the store and shown on this
/// instance's bus.
#[async_trait::async_trait]
impl NoteHandler for Supervisor {
    async fn handle(&self, note: Note) {
        let deps = &self.inner.deps;
        match note {
            Note::SyncChanged {
                organization_id,
                org_sync_id,
            } => self.reconcile(organization_id, org_sync_id).await,
            Note::SyncRemoved {
                organization_id,
                org_sync_id,
            } => self.remove(organization_id, org_sync_id).await,
            Note::ConnectionChanged { organization_id } => {
                // The session cached here was built from the old token.
                if let Some(sessions) = &deps.sessions {
                    sessions.forget(organization_id).await;
                }
                self.restart_organization(organization_id).await;
            }
            Note::Status { org_sync_id, .. } => {
                match store::org_syncs::find_by_id(&deps.db, org_sync_id).await {
                    Ok(Some(row)) => deps.bus.show_sync(&row),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%error, org_sync_id, "cannot read a sync another instance changed")
                    }
                }
            }
            Note::Removed {
                organization_id,
                org_sync_id,
            } => deps.bus.show_removed(organization_id, org_sync_id),
            Note::CallsRecorded { org_sync_id, .. } => self.wake_writer(org_sync_id).await,
            Note::DataSourcesChanged {
                organization_id,
                org_sync_id,
            } => {
                // Only where the worker really runs: a worker that found the lease taken
                // ended at once but keeps its entry.
                let runs_here = self
                    .inner
                    .workers
                    .lock()
                    .await
                    .get(&org_sync_id)
                    .is_some_and(|worker| !worker.task.is_finished());
                if !runs_here {
                    return;
                }
                // In the background: a full run takes seconds, and other notes should not wait.
                let supervisor = self.clone();
                self.inner.tracker.spawn(async move {
                    if let Err(error) = supervisor
                        .refresh_campaigns(organization_id, org_sync_id)
                        .await
                    {
                        tracing::warn!(%error, org_sync_id, "cannot bring campaigns in line after a Data Source change on another instance");
                    }
                });
            }
            Note::CampaignsChanged {
                organization_id,
                campaign_ids,
            } => deps
                .bus
                .show_campaigns_changed(organization_id, campaign_ids),
        }
    }
}
