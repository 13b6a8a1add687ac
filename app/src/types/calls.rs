//! Call activity written back to Salesforce, and the dialer's API keys (DS-05).

use serde::{Deserialize, Serialize};

/// The dispositions the Record call form offers (the dialer's API takes any text).
pub const DISPOSITIONS: &[&str] = &[
    "Connected",
    "No answer",
    "Busy",
    "Left voicemail",
    "Wrong number",
    "Do not call",
];

/// A call to record on a campaign record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallForm {
    pub campaign_id: i64,
    /// The person's Salesforce Id.
    pub sf_id: String,
    /// The dialer's id for the call (the Task's `CallObject`); a new one when absent.
    pub call_id: Option<String>,
    pub disposition: String,
    pub duration_seconds: i64,
    pub notes: String,
    /// When the call was made (RFC 3339); now when absent.
    pub occurred_at: Option<String>,
    /// The Task's subject; "Call" when absent.
    pub subject: Option<String>,
}

/// Where a call's write-back to Salesforce stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WriteBackView {
    /// Not in Salesforce yet; `last_error` says why the last try did not get through.
    Pending { last_error: Option<String> },
    /// The Task exists in Salesforce.
    Written { task_id: String },
    /// Salesforce refused the Task.
    Failed { message: String },
}

impl WriteBackView {
    pub fn code(&self) -> &'static str {
        match self {
            WriteBackView::Pending { .. } => "pending",
            WriteBackView::Written { .. } => "written",
            WriteBackView::Failed { .. } => "failed",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            WriteBackView::Pending { .. } => "Pending",
            WriteBackView::Written { .. } => "Written",
            WriteBackView::Failed { .. } => "Failed",
        }
    }
}

/// A recorded call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub id: i64,
    pub campaign_id: i64,
    pub call_id: String,
    pub sf_object: String,
    pub sf_id: String,
    pub subject: String,
    pub disposition: String,
    pub duration_seconds: i64,
    pub notes: String,
    /// RFC 3339.
    pub occurred_at: String,
    pub recorded_by: String,
    pub attempts: i32,
    #[serde(flatten)]
    pub write_back: WriteBackView,
}

/// The campaign's Calls tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallsView {
    /// The most recent calls, newest first.
    pub calls: Vec<CallView>,
    pub pending: u64,
    pub written: u64,
    pub failed: u64,
}

/// An API key as the list shows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// `2026-12-06 14:30 UTC`.
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A key just created: the only time the key itself is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKeyView {
    pub key: ApiKeyView,
    pub secret: String,
}
