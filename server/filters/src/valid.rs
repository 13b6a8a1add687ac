//! A validated filter: every field resolved to its describe name and kind, every value
//! converted to its typed literal. Only this form can be rendered to SOQL or evaluated, so
//! neither can meet an unknown field or a value of the wrong type.

use crate::{FieldKind, Filter};

/// A filter checked against an object's fields (see [`Filter::validate`]). Renders to SOQL
/// ([`ValidFilter::to_soql_where`]) and evaluates on mirrored records
/// ([`ValidFilter::matches`]), with the same answer Salesforce gives.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidFilter {
    pub(crate) filter: Filter,
    pub(crate) root: Group,
    /// The rendered WHERE clause (`None` for the empty filter), computed once.
    pub(crate) soql: Option<String>,
}

impl ValidFilter {
    /// The filter normalised: field names in describe casing, values in canonical form
    /// (`true`, `2025-03-01T08:00:00Z`, numbers without `+`), unused `value`/`values` cleared.
    /// Store this one.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The SOQL WHERE clause (without `WHERE`), or `None` for the empty filter.
    pub fn to_soql_where(&self) -> Option<&str> {
        self.soql.as_deref()
    }

    /// The API names of the fields the filter reads (describe casing, sorted, no duplicates):
    /// what a sync must fetch for this filter (IG-03).
    pub fn fields(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.root.collect_fields(&mut names);
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// A group of items combined with AND (`all`) or OR.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub all: bool,
    pub items: Vec<Node>,
}

impl Group {
    fn collect_fields(&self, names: &mut Vec<String>) {
        for item in &self.items {
            match item {
                Node::Check(check) => names.push(check.field.clone()),
                Node::Group(group) => group.collect_fields(names),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Check(Check),
    Group(Group),
}

/// One condition on one field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    /// Describe casing, a plain API name.
    pub field: String,
    pub kind: FieldKind,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    IsNull,
    IsNotNull,
    Equals(Literal),
    NotEquals(Literal),
    In(Vec<Literal>),
    NotIn(Vec<Literal>),
    /// The text as entered (escaped when rendered).
    StartsWith(String),
    Contains(String),
    Compare(Comparison, Literal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A value converted to the kind of its field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    /// Text as entered; `upper` is its upper-case form for case-insensitive comparison.
    Text {
        text: String,
        upper: String,
    },
    /// A 15- or 18-character id as entered.
    Id(String),
    Bool(bool),
    /// `text` is the canonical SOQL spelling, `value` what SOQL reads from it.
    Number {
        text: String,
        value: f64,
    },
    /// Days since 1970-01-01.
    Date(i64),
    /// Seconds since the epoch.
    DateTime(i64),
}

/// Upper case as SOQL compares text (per character, full Unicode mapping).
pub(crate) fn upper(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        s.to_uppercase()
    }
}
