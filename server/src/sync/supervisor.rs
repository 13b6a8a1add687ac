//! The supervisor: owns the workers. Starts one per enabled Org Sync at boot, and follows the
//! console's commands (the [`SyncCommands`] port). Stopping a worker cancels it and waits for
//! it to end before anything else starts for that sync, so two workers never write the same
//! mirror. Workers run on the application's task tracker and end on its shutdown.

use std::{collections::HashMap, sync::Arc};

use tokio::{sync::Mutex, task::JoinHandle};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{EngineDeps, SyncCommands, worker};

struct RunningWorker {
    organization_id: i64,
    cancel: CancellationToken,
    task: JoinHandle<()>,
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
}

impl Supervisor {
    /// A supervisor whose workers run on `tracker` and stop when `shutdown` fires.
    pub fn new(deps: EngineDeps, tracker: TaskTracker, shutdown: CancellationToken) -> Self {
        Supervisor {
            inner: Arc::new(Inner {
                deps,
                tracker,
                shutdown,
                workers: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn deps(&self) -> &EngineDeps {
        &self.inner.deps
    }

    /// Starts a worker for every enabled Org Sync (boot).
    pub async fn start_all(&self) -> Result<usize, store::StoreError> {
        let enabled = store::org_syncs::list_enabled(&self.inner.deps.db).await?;
        let mut workers = self.inner.workers.lock().await;
        for row in &enabled {
            self.start_locked(&mut workers, row.organization_id, row.id);
        }
        tracing::info!(workers = enabled.len(), "sync engine started");
        Ok(enabled.len())
    }

    /// The Org Syncs that have a running worker (tests, diagnostics).
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

    fn start_locked(
        &self,
        workers: &mut HashMap<i64, RunningWorker>,
        organization_id: i64,
        org_sync_id: i64,
    ) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let cancel = self.inner.shutdown.child_token();
        let task = self.inner.tracker.spawn(worker::run(
            self.inner.deps.clone(),
            org_sync_id,
            cancel.clone(),
        ));
        workers.insert(
            org_sync_id,
            RunningWorker {
                organization_id,
                cancel,
                task,
            },
        );
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
}

#[async_trait::async_trait]
impl SyncCommands for Supervisor {
    async fn sync_changed(&self, organization_id: i64, org_sync_id: i64) {
        self.reconcile(organization_id, org_sync_id).await;
    }

    async fn sync_removed(&self, organization_id: i64, org_sync_id: i64) {
        let mut workers = self.inner.workers.lock().await;
        Self::stop_locked(&mut workers, org_sync_id).await;
        self.inner
            .deps
            .bus
            .sync_removed(organization_id, org_sync_id);
    }

    async fn connection_changed(&self, organization_id: i64) {
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
