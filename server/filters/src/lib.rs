//! Data Source filters (DS-01): a Data Source is a named, filtered view of one synced
//! Salesforce object. Its filter is one typed structure that
//!
//! 1. comes from the browser or the `data_sources.filter` column as JSON ([`Filter`]),
//! 2. is checked against the object's fields ([`Filter::validate`] → [`ValidFilter`], or a
//!    [`FilterError`] whose message an admin can act on),
//! 3. renders to a SOQL WHERE clause ([`ValidFilter::to_soql_where`]) for queries, and
//! 4. evaluates on a mirrored record ([`ValidFilter::matches`]) with the answer Salesforce
//!    would give for that clause (so a CDC change can be routed without asking Salesforce).
//!
//! ```
//! use filters::{FieldInfo, FieldKind, Filter};
//!
//! let fields = [
//!     FieldInfo::new("Country", "Country", FieldKind::Text),
//!     FieldInfo::new("LeadSource", "Lead Source", FieldKind::Text),
//! ];
//! let filter = Filter::from_json(
//!     r#"{"combine": "all", "items": [
//!         {"type": "condition", "field": "country", "op": "equals", "value": "United States"},
//!         {"type": "condition", "field": "LeadSource", "op": "in", "values": ["Web", "Other"]}
//!     ]}"#,
//! )?;
//! let valid = filter.validate("Lead", &fields)?;
//! assert_eq!(
//!     valid.to_soql_where(),
//!     Some("Country = 'United States' AND LeadSource IN ('Web', 'Other')")
//! );
//! let record = serde_json::json!({"Country": "united states", "LeadSource": "Web"});
//! assert!(valid.matches(record.as_object().expect("an object")));
//! # Ok::<(), filters::FilterError>(())
//! ```
//!
//! The crate is also compiled to wasm (the UI builds filters), so it depends on serde,
//! serde_json and thiserror only.

mod error;
mod eval;
mod model;
mod render;
mod time;
mod valid;
mod validate;

pub use error::FilterError;
pub use model::{Arity, Combine, Condition, FieldInfo, FieldKind, Filter, FilterItem, Op};
pub use render::quote_text;
pub use valid::ValidFilter;
pub use validate::is_api_name;

/// Deepest nesting of groups; the whole filter is level 1.
pub const MAX_DEPTH: usize = 4;

/// Most conditions in one filter, counted across all groups.
pub const MAX_CONDITIONS: usize = 50;

/// Most values in one "is one of" / "is not one of" list.
pub const MAX_LIST_VALUES: usize = 100;

/// Longest value, in characters: the longest filterable Salesforce text field holds 255.
pub const MAX_VALUE_CHARS: usize = 255;

/// Longest rendered WHERE clause, in characters. The sync sends queries in a GET URL, which
/// Salesforce caps at 16,384 bytes; this leaves room for the SELECT list and URL encoding.
pub const MAX_WHERE_CHARS: usize = 4_000;
