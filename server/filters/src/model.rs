//! The filter as an admin builds it and as it is stored (`data_sources.filter`) and sent by
//! the browser: plain serde types, deliberately untyped in their values (text from a form).
//! Nothing here is trusted; [`Filter::validate`](crate::Filter::validate) turns a `Filter` into
//! a [`ValidFilter`](crate::ValidFilter) that can be rendered and evaluated.

use serde::{Deserialize, Serialize};

use crate::FilterError;

/// A filter: its items combined with AND ([`Combine::All`]) or OR ([`Combine::Any`]).
/// The empty filter matches every record.
///
/// JSON: `{"combine": "all", "items": [...]}`; both keys may be omitted (`{}` is the empty
/// filter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default)]
    pub combine: Combine,
    #[serde(default)]
    pub items: Vec<FilterItem>,
}

impl Filter {
    /// Parses the stored or submitted JSON of a filter. Never panics: anything that is not a
    /// filter is [`FilterError::Malformed`] (values are checked later, by `validate`).
    pub fn from_json(json: &str) -> Result<Filter, FilterError> {
        serde_json::from_str(json).map_err(|e| FilterError::Malformed(e.to_string()))
    }

    /// The JSON form (what [`Filter::from_json`] reads back).
    pub fn to_json(&self) -> String {
        // Serialising plain strings, enums and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// True when the filter has no items (it matches every record).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// How the items of a [`Filter`] combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Every item must hold (SOQL `AND`).
    #[default]
    All,
    /// At least one item must hold (SOQL `OR`).
    Any,
}

/// One item of a [`Filter`]: a condition, or a nested group (rendered in parentheses).
///
/// JSON: internally tagged, `{"type": "condition", "field": ..., "op": ...}` or
/// `{"type": "group", "combine": "any", "items": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FilterItem {
    Condition(Condition),
    Group(Filter),
}

impl From<Condition> for FilterItem {
    fn from(condition: Condition) -> FilterItem {
        FilterItem::Condition(condition)
    }
}

impl From<Filter> for FilterItem {
    /// The filter as a nested group.
    fn from(filter: Filter) -> FilterItem {
        FilterItem::Group(filter)
    }
}

/// `field op value`: `value` for single-value operators, `values` for [`Op::In`] and
/// [`Op::NotIn`]; [`Op::IsEmpty`] and [`Op::IsNotEmpty`] take neither. The unused one is
/// ignored (and cleared in the normalised filter of a [`ValidFilter`](crate::ValidFilter)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The Salesforce field API name (any casing; validation restores the describe casing).
    pub field: String,
    pub op: Op,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Condition {
    /// A condition with one value (`value` is ignored by the empty tests).
    pub fn new(field: impl Into<String>, op: Op, value: impl Into<String>) -> Condition {
        Condition {
            field: field.into(),
            op,
            value: value.into(),
            values: Vec::new(),
        }
    }

    /// An [`Op::In`] / [`Op::NotIn`] condition.
    pub fn list<S: Into<String>>(
        field: impl Into<String>,
        op: Op,
        values: impl IntoIterator<Item = S>,
    ) -> Condition {
        Condition {
            field: field.into(),
            op,
            value: String::new(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// A comparison operator. JSON: snake_case (`"not_in"`, `"greater_or_equal"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    /// One of `values`.
    In,
    /// None of `values` (true for an empty field, as in SOQL).
    NotIn,
    /// Text that starts with `value` (case-insensitive, SOQL `LIKE 'v%'`).
    StartsWith,
    /// Text that contains `value` (case-insensitive, SOQL `LIKE '%v%'`).
    Contains,
    /// The field has no value (SOQL `= null`).
    IsEmpty,
    /// The field has a value (SOQL `!= null`).
    IsNotEmpty,
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
}

impl Op {
    /// Every operator, in the order a UI lists them.
    pub const ALL: [Op; 12] = [
        Op::Equals,
        Op::NotEquals,
        Op::In,
        Op::NotIn,
        Op::StartsWith,
        Op::Contains,
        Op::IsEmpty,
        Op::IsNotEmpty,
        Op::LessThan,
        Op::LessOrEqual,
        Op::GreaterThan,
        Op::GreaterOrEqual,
    ];

    /// The words an admin reads, e.g. "is one of".
    pub fn label(self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::NotEquals => "does not equal",
            Op::In => "is one of",
            Op::NotIn => "is not one of",
            Op::StartsWith => "starts with",
            Op::Contains => "contains",
            Op::IsEmpty => "is empty",
            Op::IsNotEmpty => "is not empty",
            Op::LessThan => "is less than",
            Op::LessOrEqual => "is at most",
            Op::GreaterThan => "is greater than",
            Op::GreaterOrEqual => "is at least",
        }
    }

    /// How many values the operator takes.
    pub fn arity(self) -> Arity {
        match self {
            Op::IsEmpty | Op::IsNotEmpty => Arity::None,
            Op::In | Op::NotIn => Arity::List,
            _ => Arity::One,
        }
    }
}

/// What an [`Op`] needs from a [`Condition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Neither `value` nor `values`.
    None,
    /// `value`.
    One,
    /// `values`.
    List,
}

/// How a field's values are entered, compared and written in SOQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// string, textarea, picklist, phone, email, url, combobox: compared case-insensitively.
    Text,
    /// id, reference: a 15- or 18-character record id.
    Id,
    /// boolean: `true` / `false`.
    Boolean,
    /// int: whole numbers (SOQL rejects a decimal literal for an int field).
    Integer,
    /// double, currency, percent.
    Number,
    /// date: `YYYY-MM-DD`.
    Date,
    /// datetime: compared as instants.
    DateTime,
}

impl FieldKind {
    /// The kind of a Salesforce describe `type`, or `None` when filters do not support it
    /// (multipicklist, address, location, time, base64, ...). Callers should also leave out
    /// fields whose describe says `"filterable": false` (long text areas).
    pub fn from_describe_type(describe_type: &str) -> Option<FieldKind> {
        Some(match describe_type.to_ascii_lowercase().as_str() {
            "string" | "textarea" | "picklist" | "phone" | "email" | "url" | "combobox" => {
                FieldKind::Text
            }
            "id" | "reference" => FieldKind::Id,
            "boolean" => FieldKind::Boolean,
            "int" => FieldKind::Integer,
            "double" | "currency" | "percent" => FieldKind::Number,
            "date" => FieldKind::Date,
            "datetime" => FieldKind::DateTime,
            _ => return None,
        })
    }

    /// The words an admin reads, e.g. "yes/no".
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Id => "record id",
            FieldKind::Boolean => "yes/no",
            FieldKind::Integer => "whole number",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::DateTime => "date/time",
        }
    }

    /// Whether `op` may be used on a field of this kind: starts with / contains only on text;
    /// comparisons only on numbers, dates and datetimes; yes/no fields only equals, does not
    /// equal and the empty tests.
    pub fn allows(self, op: Op) -> bool {
        match op {
            Op::Equals | Op::NotEquals | Op::IsEmpty | Op::IsNotEmpty => true,
            Op::In | Op::NotIn => self != FieldKind::Boolean,
            // Salesforce rejects LIKE on id and reference fields.
            Op::StartsWith | Op::Contains => self == FieldKind::Text,
            Op::LessThan | Op::LessOrEqual | Op::GreaterThan | Op::GreaterOrEqual => matches!(
                self,
                FieldKind::Integer | FieldKind::Number | FieldKind::Date | FieldKind::DateTime
            ),
        }
    }
}

/// A field a filter may use, from the object's describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldInfo {
    /// API name in describe casing, e.g. `"LeadSource"`.
    pub name: String,
    /// The label an admin reads, e.g. `"Lead Source"`.
    pub label: String,
    pub kind: FieldKind,
}

impl FieldInfo {
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> FieldInfo {
        FieldInfo {
            name: name.into(),
            label: label.into(),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_types_map_to_kinds() {
        for (t, kind) in [
            ("string", Some(FieldKind::Text)),
            ("Picklist", Some(FieldKind::Text)),
            ("phone", Some(FieldKind::Text)),
            ("email", Some(FieldKind::Text)),
            ("url", Some(FieldKind::Text)),
            ("combobox", Some(FieldKind::Text)),
            ("textarea", Some(FieldKind::Text)),
            ("id", Some(FieldKind::Id)),
            ("reference", Some(FieldKind::Id)),
            ("boolean", Some(FieldKind::Boolean)),
            ("int", Some(FieldKind::Integer)),
            ("double", Some(FieldKind::Number)),
            ("currency", Some(FieldKind::Number)),
            ("percent", Some(FieldKind::Number)),
            ("date", Some(FieldKind::Date)),
            ("datetime", Some(FieldKind::DateTime)),
            ("multipicklist", None),
            ("address", None),
            ("time", None),
            ("", None),
        ] {
            assert_eq!(FieldKind::from_describe_type(t), kind, "{t}");
        }
    }

    #[test]
    fn json_shape_round_trips() {
        let json = r#"{"combine":"any","items":[
            {"type":"condition","field":"LeadSource","op":"in","values":["Web","Other"]},
            {"type":"group","combine":"all","items":[
                {"type":"condition","field":"Country","op":"equals","value":"Germany"},
                {"type":"condition","field":"Phone","op":"is_not_empty"}]}]}"#;
        let filter = Filter::from_json(json).expect("parses");
        assert_eq!(filter.combine, Combine::Any);
        assert_eq!(
            filter.items.first(),
            Some(&FilterItem::Condition(Condition::list(
                "LeadSource",
                Op::In,
                ["Web", "Other"]
            )))
        );
        assert_eq!(Filter::from_json(&filter.to_json()), Ok(filter));
        assert_eq!(Filter::from_json("{}"), Ok(Filter::default()));
    }

    #[test]
    fn garbage_json_is_an_error_not_a_panic() {
        let deep_groups = format!(
            "{}{}",
            r#"{"items":[{"type":"group","items":["#.repeat(2000),
            "]}]}".repeat(2000)
        );
        for json in [
            "",
            "null",
            "[1]",
            "42",
            "\"filter\"",
            "{",
            r#"{"combine":"xor"}"#,
            r#"{"items":{}}"#,
            r#"{"items":[{}]}"#,
            r#"{"items":[{"type":"condition"}]}"#,
            r#"{"items":[{"type":"condition","field":"A","op":"like","value":"x"}]}"#,
            r#"{"items":[{"type":"condition","field":1,"op":"equals"}]}"#,
            r#"{"items":[{"type":"condition","field":"A","op":"equals","value":["x"]}]}"#,
            r#"{"items":[{"type":"condition","field":"A","op":"equals","extra":1}]}"#,
            r#"{"items":[{"type":"condition","field":"A","op":"in","values":"x"}]}"#,
            r#"{"items":[{"type":"bogus"}]}"#,
            r#"{"combine":"all","items":[],"where":"1=1"}"#,
            &"[".repeat(100_000),
            &deep_groups,
        ] {
            let result = Filter::from_json(json);
            assert!(
                matches!(result, Err(FilterError::Malformed(_))),
                "{json:.80}: {result:?}"
            );
        }
    }
}
