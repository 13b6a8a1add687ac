//! What the Sync Settings modal, the card's status summary and the live status stream show
//! (OS-01..OS-09, ST-01..ST-05, IN-08). Labels are the product docs' words.

use serde::{Deserialize, Serialize};

/// The Salesforce objects an Org Sync can follow (OS-02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncObject {
    Contact,
    Lead,
}

impl SyncObject {
    pub const ALL: [SyncObject; 2] = [SyncObject::Contact, SyncObject::Lead];

    /// The Salesforce API name, which is also the label.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncObject::Contact => "Contact",
            SyncObject::Lead => "Lead",
        }
    }

    pub fn parse(name: &str) -> Option<SyncObject> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }

    /// The Change Data Capture channel of the object (OS-03).
    pub fn cdc_channel(self) -> String {
        format!("/data/{}ChangeEvent", self.as_str())
    }

    /// The confirm text of the remove (x) icon (OS-07).
    pub fn remove_prompt(self) -> String {
        format!(
            "Remove {} sync? This will also remove any data sources linked to this object.",
            self.as_str()
        )
    }
}

/// How an Org Sync ingests changes (OS-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncMethod {
    Cdc,
    Rest,
}

impl SyncMethod {
    pub const ALL: [SyncMethod; 2] = [SyncMethod::Cdc, SyncMethod::Rest];

    /// The form value.
    pub fn code(self) -> &'static str {
        match self {
            SyncMethod::Cdc => "cdc",
            SyncMethod::Rest => "rest",
        }
    }

    pub fn from_code(code: &str) -> Option<SyncMethod> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The label in the Method control.
    pub fn label(self) -> &'static str {
        match self {
            SyncMethod::Cdc => "CDC (real-time)",
            SyncMethod::Rest => "REST Polling",
        }
    }

    /// The short name in the card's status summary (IN-08).
    pub fn short_label(self) -> &'static str {
        match self {
            SyncMethod::Cdc => "CDC",
            SyncMethod::Rest => "REST",
        }
    }
}

/// The polling intervals an administrator may pick, in minutes (OS-03).
pub const POLL_INTERVALS_MINUTES: [u32; 4] = [5, 10, 15, 30];

/// The interval a sync switched to REST Polling starts with.
pub const DEFAULT_POLL_INTERVAL_MINUTES: u32 = 5;

/// The reminder shown under a row whenever CDC is selected (OS-04).
pub const CDC_REMINDER: &str = "CDC (real-time) requires Salesforce Enterprise Edition or higher, with Change Data Capture enabled for the object in Salesforce Setup.";

/// What Test says when the organization has no stored token (OS-08, TS-01).
pub const NO_TOKEN_MESSAGE: &str = "No Salesforce OAuth token found";

/// What Test says when the query worked (OS-08).
pub const TEST_SUCCESS_MESSAGE: &str = "Connection successful";

/// A sync's state (ST-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    Active,
    Paused,
    Error,
    CircuitOpen,
}

impl SyncStatus {
    pub fn label(self) -> &'static str {
        match self {
            SyncStatus::Active => "Active",
            SyncStatus::Paused => "Paused",
            SyncStatus::Error => "Error",
            SyncStatus::CircuitOpen => "Circuit open",
        }
    }

    /// The CSS modifier of the status dot.
    pub fn css(self) -> &'static str {
        match self {
            SyncStatus::Active => "active",
            SyncStatus::Paused => "paused",
            SyncStatus::Error => "error",
            SyncStatus::CircuitOpen => "circuit-open",
        }
    }

    /// Error and Circuit open turn the row red and show the last error (ST-03).
    pub fn is_failing(self) -> bool {
        matches!(self, SyncStatus::Error | SyncStatus::CircuitOpen)
    }
}

/// One Org Sync as the modal and the summary show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSyncView {
    pub id: i64,
    pub object: SyncObject,
    pub method: SyncMethod,
    /// REST Polling only.
    pub interval_minutes: Option<u32>,
    /// CDC only, e.g. `/data/ContactChangeEvent`.
    pub channel: Option<String>,
    pub enabled: bool,
    pub status: SyncStatus,
    /// `YYYY-MM-DD HH:MM:SS UTC`, once a poll or event batch succeeded.
    pub last_sync_at: Option<String>,
    /// Running total of errors (ST-02).
    pub error_count: i64,
    /// The most recent error, shown in Error and Circuit open (ST-03).
    pub last_error: Option<String>,
    /// A first backfill in progress: records so far of the query's `totalSize`.
    pub backfill: Option<BackfillProgress>,
    /// When the Org Sync was last written, in microseconds since the epoch. Views of one sync
    /// reach a page by several ways (its own read, an action's answer, the live stream) and
    /// not always in order: the page keeps the later one.
    pub revision: i64,
}

/// Progress of a first backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillProgress {
    pub records: i64,
    pub total: i64,
}

impl BackfillProgress {
    /// Whole percent, 0..=100.
    pub fn percent(self) -> i64 {
        if self.total <= 0 {
            return 0;
        }
        (self.records.saturating_mul(100) / self.total).clamp(0, 100)
    }
}

/// The Sync Settings modal's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettingsView {
    pub syncs: Vec<OrgSyncView>,
    /// Objects that have no Org Sync yet (Add object, OS-02).
    pub addable: Vec<SyncObject>,
    /// Salesforce's last reported API usage of the day for the organization: (used, max).
    pub api_usage: Option<(u64, u64)>,
}

/// What Test answered (OS-08): shown in a browser alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub success: bool,
    pub message: String,
}

/// One message of the live status stream (`/api/events`, ST-05).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusEvent {
    /// Every Org Sync of the organization as it is now: the first message of every stream
    /// (also after a reconnect), and whenever a slow reader fell behind. Replaces what the
    /// page shows.
    Snapshot { syncs: Vec<OrgSyncView> },
    /// An Org Sync's state changed (or it was created or re-configured).
    SyncChanged { sync: OrgSyncView },
    /// An Org Sync was removed.
    SyncRemoved { id: i64 },
    /// Records of these campaigns were imported or changed (their pages re-read them).
    CampaignsChanged { campaign_ids: Vec<i64> },
}

impl StatusEvent {
    /// Whether a page showing the campaign `campaign_id` (or every campaign: `None`) must
    /// read it again. A snapshot opens every stream, also after a reconnect, and campaign
    /// changes from before it (while the page loaded, or while the stream was down) are not
    /// replayed: re-reading then is how the page catches up.
    pub fn concerns_campaign(&self, campaign_id: Option<i64>) -> bool {
        match self {
            StatusEvent::Snapshot { .. } => true,
            StatusEvent::CampaignsChanged { campaign_ids } => {
                campaign_id.is_none_or(|id| campaign_ids.contains(&id))
            }
            StatusEvent::SyncChanged { .. } | StatusEvent::SyncRemoved { .. } => false,
        }
    }
}

/// The SSE event name every [`StatusEvent`] is sent under.
pub const STATUS_EVENT_NAME: &str = "status";

#[cfg(test)]
mod tests {
    use super::StatusEvent;

    #[test]
    fn a_campaign_page_re_reads_on_its_own_changes_and_on_every_snapshot() {
        let changed = StatusEvent::CampaignsChanged {
            campaign_ids: vec![3, 5],
        };
        assert!(changed.concerns_campaign(Some(5)));
        assert!(!changed.concerns_campaign(Some(4)));
        assert!(changed.concerns_campaign(None));
        let snapshot = StatusEvent::Snapshot { syncs: Vec::new() };
        assert!(snapshot.concerns_campaign(Some(4)));
        assert!(snapshot.concerns_campaign(None));
        assert!(!StatusEvent::SyncRemoved { id: 5 }.concerns_campaign(Some(5)));
    }
}
