//! The command port from the console to the engine. The console changes the store, then
//! tells the engine what changed; the engine re-reads the store (never stale configuration)
//! and starts, stops or restarts workers. Tests fake this trait to see what the console asked.

/// What the console tells the engine.
#[async_trait::async_trait]
pub trait SyncCommands: Send + Sync {
    /// An Org Sync was added or saved (method, interval, enable state): start, stop or
    /// restart its worker to match the stored configuration, and publish its state.
    async fn sync_changed(&self, organization_id: i64, org_sync_id: i64);
    /// An Org Sync was removed: its worker stops at once.
    async fn sync_removed(&self, organization_id: i64, org_sync_id: i64);
    /// The organization's Salesforce connection changed (Set up, Reset Token, Disconnect):
    /// every worker of the organization restarts with the stored token, or, without one,
    /// stops calling Salesforce.
    async fn connection_changed(&self, organization_id: i64);
    /// Data Sources or Links over the Org Sync changed: its campaigns are brought in line
    /// with the mirror before this returns (DS-03), and with `fields_changed` the worker
    /// restarts to fetch fields the mirror does not hold yet (IG-03).
    async fn data_sources_changed(
        &self,
        organization_id: i64,
        org_sync_id: i64,
        fields_changed: bool,
    ) -> Result<(), store::StoreError>;
    /// Calls were recorded on records of the Org Sync's object: its worker's writer writes
    /// them back to Salesforce (DS-05).
    async fn calls_recorded(&self, organization_id: i64, org_sync_id: i64);
}
