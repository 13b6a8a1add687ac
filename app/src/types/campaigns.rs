//! What the campaign pages show: campaigns, their Links and records, and why a record can or
//! cannot be dialed.

use serde::{Deserialize, Serialize};

/// Whether a campaign record can be dialed, and if not, why (the first reason that applies,
/// in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Readiness {
    Ready,
    /// Deleted in Salesforce (kept, never dialed).
    Deleted,
    /// Imported through a Data Source it no longer matches.
    NotMatching,
    /// A Lead that was converted.
    Converted,
    /// `DoNotCall` is set in Salesforce.
    DoNotCall,
    /// No mapped phone number is a valid number.
    NoValidPhone,
}

impl Readiness {
    pub const ALL: [Readiness; 6] = [
        Readiness::Ready,
        Readiness::NoValidPhone,
        Readiness::DoNotCall,
        Readiness::Converted,
        Readiness::Deleted,
        Readiness::NotMatching,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::Deleted => "deleted",
            Readiness::NotMatching => "not_matching",
            Readiness::Converted => "converted",
            Readiness::DoNotCall => "do_not_call",
            Readiness::NoValidPhone => "no_valid_phone",
        }
    }

    pub fn from_code(code: &str) -> Option<Readiness> {
        Readiness::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What an administrator reads.
    pub fn label(self) -> &'static str {
        match self {
            Readiness::Ready => "Ready to dial",
            Readiness::Deleted => "Deleted in Salesforce",
            Readiness::NotMatching => "No longer matching",
            Readiness::Converted => "Lead converted",
            Readiness::DoNotCall => "DoNotCall set in Salesforce",
            Readiness::NoValidPhone => "No valid phone number",
        }
    }
}

/// How many records are ready to dial, and how many are not, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessCounts {
    pub total: i64,
    pub ready: i64,
    /// Reasons with at least one record, in [`Readiness::ALL`] order.
    pub not_ready: Vec<(Readiness, i64)>,
}

impl ReadinessCounts {
    /// Adds `count` records in state `readiness`.
    pub fn add(&mut self, readiness: Readiness, count: i64) {
        self.total += count;
        if readiness == Readiness::Ready {
            self.ready += count;
            return;
        }
        match self.not_ready.iter_mut().find(|(r, _)| *r == readiness) {
            Some((_, n)) => *n += count,
            None => {
                self.not_ready.push((readiness, count));
                self.not_ready.sort_by_key(|(r, _)| {
                    Readiness::ALL
                        .iter()
                        .position(|a| a == r)
                        .unwrap_or(usize::MAX)
                });
            }
        }
    }
}

/// One campaign with its settings and readiness counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub phone_slots: Vec<String>,
    pub custom_fields: Vec<String>,
    pub region: String,
    pub counts: ReadinessCounts,
}

/// A campaign's page: settings, Links, the Data Sources it could attach, and one page of
/// records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignPageView {
    pub campaign: CampaignSummary,
    pub links: Vec<LinkView>,
    /// Data Sources of the organization (to attach; attached ones included).
    pub data_sources: Vec<DataSourceOption>,
    pub records: RecordsPage,
    /// Whether Data Sources can be used (the `integrations` feature flag is on).
    pub data_sources_enabled: bool,
    /// Calls recorded on the campaign's records and their write-back (DS-05).
    pub calls: super::CallsView,
}

/// A Data Source as the Link form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceOption {
    pub id: i64,
    pub name: String,
    pub object: String,
    /// The fields it reads: what a Link may map.
    pub fields: Vec<String>,
}

/// One Link of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub id: i64,
    pub data_source_id: i64,
    pub data_source_name: String,
    pub object: String,
    /// `(phone slot, Salesforce field)`.
    pub phones: Vec<(String, String)>,
    /// `(custom field, Salesforce field)`.
    pub custom_fields: Vec<(String, String)>,
    pub counts: ReadinessCounts,
}

/// A page of a campaign's records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordsPage {
    pub records: Vec<CampaignRecordView>,
    /// Records matching the search.
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    pub search: String,
}

/// One campaign record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRecordView {
    pub sf_id: String,
    pub object: String,
    pub name: String,
    pub phones: Vec<PhoneView>,
    /// `(custom field, value)`.
    pub custom_fields: Vec<(String, String)>,
    /// The Data Source it came from.
    pub source: String,
    pub readiness: Readiness,
}

/// One phone of a campaign record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneView {
    pub slot: String,
    pub raw: String,
    /// E.164; `None`: not a valid number (kept, flagged).
    pub e164: Option<String>,
}

/// What an administrator sets on a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignForm {
    pub name: String,
    pub phone_slots: Vec<String>,
    pub custom_fields: Vec<String>,
    pub region: String,
}

/// The Data Sources page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourcesView {
    pub data_sources: Vec<DataSourceView>,
    /// The Org Syncs a new Data Source can view: `(id, object)`.
    pub org_syncs: Vec<(i64, String)>,
}

/// One Data Source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceView {
    pub id: i64,
    pub name: String,
    pub org_sync_id: i64,
    pub object: String,
    pub filter: filters::Filter,
    /// The fields an administrator chose it to read.
    pub fields: Vec<String>,
    /// The filter in words.
    pub filter_text: String,
    /// Campaigns it is attached to.
    pub campaigns: Vec<String>,
}

/// The Data Source form: the object's fields from Salesforce's describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceEditorView {
    pub data_source: Option<DataSourceView>,
    pub org_sync_id: i64,
    pub object: String,
    pub fields: Vec<filters::FieldInfo>,
    /// Why the describe could not be read (the form then offers the fields already used).
    pub describe_error: Option<String>,
}

/// What an administrator submits for a Data Source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceForm {
    pub org_sync_id: i64,
    pub name: String,
    pub fields: Vec<String>,
    pub filter: filters::Filter,
}

/// The live preview of a Data Source over the mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewView {
    /// Mirrored records (not deleted) that match.
    pub matching: u64,
    /// Mirrored records (not deleted) in all.
    pub mirrored: u64,
    /// The first few matches: `(Salesforce id, name, values of the fields read)`.
    pub sample: Vec<PreviewRecord>,
    /// The filter as SOQL (what Salesforce would be asked).
    pub soql_where: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRecord {
    pub sf_id: String,
    pub name: String,
    pub values: Vec<(String, String)>,
}

/// What an administrator submits for a Link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkForm {
    pub data_source_id: i64,
    /// `(phone slot, Salesforce field)`; empty fields are left out before this.
    pub phones: Vec<(String, String)>,
    /// `(custom field, Salesforce field)`.
    pub custom_fields: Vec<(String, String)>,
}

/// A filter in words, e.g. `LeadSource equals "Web" and (State is one of "CA", "NY")`.
pub fn filter_text(filter: &filters::Filter) -> String {
    if filter.is_empty() {
        return "Every record".to_owned();
    }
    group_text(filter)
}

fn group_text(filter: &filters::Filter) -> String {
    let joiner = match filter.combine {
        filters::Combine::All => " and ",
        filters::Combine::Any => " or ",
    };
    filter
        .items
        .iter()
        .map(|item| match item {
            filters::FilterItem::Condition(condition) => condition_text(condition),
            filters::FilterItem::Group(group) => format!("({})", group_text(group)),
        })
        .collect::<Vec<_>>()
        .join(joiner)
}

fn condition_text(condition: &filters::Condition) -> String {
    let label = condition.op.label();
    match condition.op.arity() {
        filters::Arity::None => format!("{} {label}", condition.field),
        filters::Arity::One => format!("{} {label} \"{}\"", condition.field, condition.value),
        filters::Arity::List => {
            let values: Vec<String> = condition
                .values
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect();
            format!("{} {label} {}", condition.field, values.join(", "))
        }
    }
}

/// The form code of an operator (its JSON name).
pub fn op_code(op: filters::Op) -> &'static str {
    use filters::Op;
    match op {
        Op::Equals => "equals",
        Op::NotEquals => "not_equals",
        Op::In => "in",
        Op::NotIn => "not_in",
        Op::StartsWith => "starts_with",
        Op::Contains => "contains",
        Op::IsEmpty => "is_empty",
        Op::IsNotEmpty => "is_not_empty",
        Op::LessThan => "less_than",
        Op::LessOrEqual => "less_or_equal",
        Op::GreaterThan => "greater_than",
        Op::GreaterOrEqual => "greater_or_equal",
    }
}

/// The operator with this form code.
pub fn op_from_code(code: &str) -> Option<filters::Op> {
    filters::Op::ALL.into_iter().find(|op| op_code(*op) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_as_words() {
        use filters::{Combine, Condition, Filter, FilterItem, Op};
        let filter = Filter {
            combine: Combine::All,
            items: vec![
                FilterItem::Condition(Condition::new("LeadSource", Op::Equals, "Web")),
                FilterItem::Group(Filter {
                    combine: Combine::Any,
                    items: vec![
                        FilterItem::Condition(Condition::list("State", Op::In, ["CA", "NY"])),
                        FilterItem::Condition(Condition::new("Phone", Op::IsEmpty, "")),
                    ],
                }),
            ],
        };
        assert_eq!(
            filter_text(&filter),
            "LeadSource equals \"Web\" and (State is one of \"CA\", \"NY\" or Phone is empty)"
        );
        assert_eq!(filter_text(&Filter::default()), "Every record");
        for op in Op::ALL {
            assert_eq!(op_from_code(op_code(op)), Some(op));
        }
    }

    #[test]
    fn codes_round_trip() {
        for readiness in Readiness::ALL {
            assert_eq!(Readiness::from_code(readiness.code()), Some(readiness));
        }
        assert_eq!(Readiness::from_code("dialable"), None);
    }

    #[test]
    fn counts_add_up_by_reason_in_a_fixed_order() {
        let mut counts = ReadinessCounts::default();
        counts.add(Readiness::Deleted, 2);
        counts.add(Readiness::Ready, 5);
        counts.add(Readiness::NoValidPhone, 1);
        counts.add(Readiness::Deleted, 1);
        assert_eq!(counts.total, 9);
        assert_eq!(counts.ready, 5);
        assert_eq!(
            counts.not_ready,
            vec![(Readiness::NoValidPhone, 1), (Readiness::Deleted, 3)]
        );
    }
}
