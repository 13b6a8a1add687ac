//! Evaluating a validated filter on a mirrored record, with the answer Salesforce gives for
//! the rendered WHERE clause. The semantics are those of the simulator's SOQL engine
//! (`server/soql/src/eval.rs`, our model of Salesforce); `tests/agreement.rs` proves the two
//! agree on the simulator's data:
//!
//! - a missing field, JSON `null`, `""` (Salesforce stores empty text as null) and a value
//!   that does not read as the field's kind are all null;
//! - text compares case-insensitively (full Unicode upper case), ids exactly, with a
//!   15-character id equal to the 18-character id it starts;
//! - `= x`, `IN`, `LIKE` and `<`, `<=`, `>`, `>=` are false on null; `!= x` and `NOT IN` are
//!   true on null; `= null` / `!= null` test for null;
//! - numbers compare as f64, dates by day, datetimes as instants (milliseconds);
//! - field names are looked up exactly, then case-insensitively.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::FieldKind;
use crate::time;
use crate::valid::{Check, Comparison, Group, Literal, Node, Test, ValidFilter, upper};

impl ValidFilter {
    /// Whether `record` (field API name → value as the Salesforce REST API returns it)
    /// matches: exactly when `SELECT Id FROM <Object> WHERE <to_soql_where>` would return it.
    pub fn matches(&self, record: &Map<String, Value>) -> bool {
        group(&self.root, record)
    }
}

fn group(group: &Group, record: &Map<String, Value>) -> bool {
    let holds = |node: &Node| match node {
        Node::Check(c) => check(c, record),
        Node::Group(inner) => self::group(inner, record),
    };
    if group.all {
        group.items.iter().all(holds)
    } else {
        group.items.iter().any(holds)
    }
}

/// A record value read as its field's kind.
enum Val<'r> {
    Null,
    Text(Cow<'r, str>),
    Id(Cow<'r, str>),
    Bool(bool),
    Num(f64),
    /// Days since 1970-01-01.
    Date(i64),
    /// Milliseconds since the epoch.
    DateTime(i64),
}

fn lookup<'r>(record: &'r Map<String, Value>, field: &str) -> Option<&'r Value> {
    record.get(field).or_else(|| {
        record
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, value)| value)
    })
}

fn text_of(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn read(value: Option<&Value>, kind: FieldKind) -> Val<'_> {
    let Some(value) = value.filter(|v| !v.is_null() && v.as_str() != Some("")) else {
        return Val::Null;
    };
    let val = match kind {
        FieldKind::Text => text_of(value).map(Val::Text),
        FieldKind::Id => text_of(value).map(Val::Id),
        FieldKind::Boolean => match value {
            Value::Bool(b) => Some(Val::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Val::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Val::Bool(false)),
            _ => None,
        },
        FieldKind::Integer | FieldKind::Number => match value {
            Value::Number(n) => n.as_f64().map(Val::Num),
            Value::String(s) => s.trim().parse().ok().map(Val::Num),
            _ => None,
        },
        FieldKind::Date => value
            .as_str()
            .and_then(time::record_date_days)
            .map(Val::Date),
        FieldKind::DateTime => value
            .as_str()
            .and_then(time::record_datetime_millis)
            .map(Val::DateTime),
    };
    val.unwrap_or(Val::Null)
}

/// Ids are equal when identical, or when a 15-character id starts the 18-character one.
fn id_eq(a: &str, b: &str) -> bool {
    a == b
        || (a.len() != b.len()
            && matches!(a.len(), 15 | 18)
            && matches!(b.len(), 15 | 18)
            && a.get(..15).is_some()
            && a.get(..15) == b.get(..15))
}

fn equals(val: &Val<'_>, literal: &Literal) -> bool {
    match (val, literal) {
        (Val::Text(s), Literal::Text { upper: u, .. }) => upper(s) == *u,
        (Val::Id(s), Literal::Id(id)) => id_eq(s, id),
        (Val::Bool(a), Literal::Bool(b)) => a == b,
        (Val::Num(a), Literal::Number { value, .. }) => a == value,
        (Val::Date(a), Literal::Date(b)) => a == b,
        (Val::DateTime(a), Literal::DateTime(seconds)) => *a == seconds.saturating_mul(1000),
        _ => false,
    }
}

fn order(val: &Val<'_>, literal: &Literal) -> Option<Ordering> {
    match (val, literal) {
        (Val::Num(a), Literal::Number { value, .. }) => a.partial_cmp(value),
        (Val::Date(a), Literal::Date(b)) => Some(a.cmp(b)),
        (Val::DateTime(a), Literal::DateTime(seconds)) => {
            Some(a.cmp(&seconds.saturating_mul(1000)))
        }
        _ => None,
    }
}

/// `LIKE` on text: case-insensitive, false on null.
fn like(val: &Val<'_>, pattern: &str, anywhere: bool) -> bool {
    let Val::Text(s) = val else {
        return false;
    };
    let (s, pattern) = (upper(s), upper(pattern));
    if anywhere {
        s.contains(&pattern)
    } else {
        s.starts_with(&pattern)
    }
}

fn check(check: &Check, record: &Map<String, Value>) -> bool {
    let val = read(lookup(record, &check.field), check.kind);
    let any_equal = |values: &[Literal]| values.iter().any(|l| equals(&val, l));
    match &check.test {
        Test::IsNull => matches!(val, Val::Null),
        Test::IsNotNull => !matches!(val, Val::Null),
        Test::Equals(literal) => equals(&val, literal),
        Test::NotEquals(literal) => !equals(&val, literal),
        Test::In(values) => any_equal(values),
        Test::NotIn(values) => !any_equal(values),
        Test::StartsWith(text) => like(&val, text, false),
        Test::Contains(text) => like(&val, text, true),
        Test::Compare(comparison, literal) => {
            order(&val, literal).is_some_and(|o| match comparison {
                Comparison::Less => o == Ordering::Less,
                Comparison::LessOrEqual => o != Ordering::Greater,
                Comparison::Greater => o == Ordering::Greater,
                Comparison::GreaterOrEqual => o != Ordering::Less,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Combine, Condition, FieldInfo, FieldKind, Filter, FilterItem, Op, ValidFilter};

    fn fields() -> Vec<FieldInfo> {
        vec![
            FieldInfo::new("LastName", "Last Name", FieldKind::Text),
            FieldInfo::new("Email", "Email", FieldKind::Text),
            FieldInfo::new("Id", "Lead ID", FieldKind::Id),
            FieldInfo::new("DoNotCall", "Do Not Call", FieldKind::Boolean),
            FieldInfo::new("NumberOfEmployees", "Employees", FieldKind::Integer),
            FieldInfo::new("AnnualRevenue", "Annual Revenue", FieldKind::Number),
            FieldInfo::new("ConvertedDate", "Converted Date", FieldKind::Date),
            FieldInfo::new("CreatedDate", "Created Date", FieldKind::DateTime),
        ]
    }

    fn valid(items: Vec<FilterItem>) -> ValidFilter {
        Filter {
            combine: Combine::All,
            items,
        }
        .validate("Lead", &fields())
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn c(field: &str, op: Op, value: &str) -> FilterItem {
        FilterItem::Condition(Condition::new(field, op, value))
    }

    fn record(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    /// Which of `records` match `condition`, as a string of `1`/`0`.
    fn pattern(condition: FilterItem, records: &[serde_json::Value]) -> String {
        let filter = valid(vec![condition]);
        records
            .iter()
            .map(|r| {
                if filter.matches(&record(r.clone())) {
                    '1'
                } else {
                    '0'
                }
            })
            .collect()
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert!(valid(Vec::new()).matches(&record(json!({}))));
    }

    #[test]
    fn text_is_case_insensitive_and_nulls_follow_soql() {
        let records = [
            json!({"LastName": "Müller"}),
            json!({"LastName": "MÜLLER"}),
            json!({"LastName": "Smith"}),
            json!({"LastName": null}),
            json!({"LastName": ""}),
            json!({}),
        ];
        assert_eq!(
            pattern(c("LastName", Op::Equals, "müller"), &records),
            "110000"
        );
        assert_eq!(
            pattern(c("LastName", Op::NotEquals, "müller"), &records),
            "001111"
        );
        assert_eq!(pattern(c("LastName", Op::IsEmpty, ""), &records), "000111");
        assert_eq!(
            pattern(c("LastName", Op::IsNotEmpty, ""), &records),
            "111000"
        );
        assert_eq!(
            pattern(c("LastName", Op::StartsWith, "mü"), &records),
            "110000"
        );
        assert_eq!(
            pattern(c("LastName", Op::Contains, "IT"), &records),
            "001000"
        );
        let in_list = FilterItem::Condition(Condition::list("LastName", Op::In, ["smith", "x"]));
        assert_eq!(pattern(in_list, &records), "001000");
        let not_in = FilterItem::Condition(Condition::list("LastName", Op::NotIn, ["smith"]));
        assert_eq!(pattern(not_in, &records), "110111");
    }

    #[test]
    fn wildcards_in_values_are_literal() {
        let records = [
            json!({"Email": "100% sure"}),
            json!({"Email": "1000 sure"}),
            json!({"Email": "a_b"}),
            json!({"Email": "axb"}),
        ];
        assert_eq!(
            pattern(c("Email", Op::StartsWith, "100%"), &records),
            "1000"
        );
        assert_eq!(pattern(c("Email", Op::Contains, "_"), &records), "0010");
    }

    #[test]
    fn field_names_are_case_insensitive_in_records() {
        let filter = valid(vec![c("lastname", Op::Equals, "smith")]);
        assert!(filter.matches(&record(json!({"LASTNAME": "Smith"}))));
        assert!(!filter.matches(&record(json!({"LastNameX": "Smith"}))));
    }

    #[test]
    fn ids_compare_exactly_across_15_and_18_characters() {
        let records = [
            json!({"Id": "00Q8d0000000001AAA"}),
            json!({"Id": "00Q8d0000000001"}),
            json!({"Id": "00q8d0000000001AAA"}),
            json!({"Id": "00Q8d0000000002AAA"}),
        ];
        assert_eq!(
            pattern(c("Id", Op::Equals, "00Q8d0000000001"), &records),
            "1100"
        );
        assert_eq!(
            pattern(c("Id", Op::Equals, "00Q8d0000000001AAA"), &records),
            "1100"
        );
    }

    #[test]
    fn booleans_and_numbers() {
        let records = [
            json!({"DoNotCall": true, "AnnualRevenue": 1000.5, "NumberOfEmployees": 10}),
            json!({"DoNotCall": false, "AnnualRevenue": "1000.5", "NumberOfEmployees": "10"}),
            json!({"DoNotCall": "TRUE", "AnnualRevenue": -3, "NumberOfEmployees": 9}),
            json!({"DoNotCall": null, "AnnualRevenue": null, "NumberOfEmployees": "ten"}),
        ];
        assert_eq!(
            pattern(c("DoNotCall", Op::Equals, "true"), &records),
            "1010"
        );
        assert_eq!(
            pattern(c("DoNotCall", Op::NotEquals, "true"), &records),
            "0101"
        );
        assert_eq!(pattern(c("DoNotCall", Op::IsEmpty, ""), &records), "0001");
        assert_eq!(
            pattern(c("AnnualRevenue", Op::Equals, "1000.50"), &records),
            "1100"
        );
        assert_eq!(
            pattern(c("AnnualRevenue", Op::LessThan, "0"), &records),
            "0010"
        );
        assert_eq!(
            pattern(c("AnnualRevenue", Op::GreaterOrEqual, "-3"), &records),
            "1110"
        );
        assert_eq!(
            pattern(c("NumberOfEmployees", Op::LessOrEqual, "9"), &records),
            "0010"
        );
        assert_eq!(
            pattern(c("NumberOfEmployees", Op::NotEquals, "10"), &records),
            "0011"
        );
    }

    #[test]
    fn dates_and_datetimes() {
        let records = [
            json!({"ConvertedDate": "2024-02-29", "CreatedDate": "2025-01-01T08:00:00.000+0000"}),
            json!({"ConvertedDate": "2024-03-01", "CreatedDate": "2025-01-01T09:00:00+01:00"}),
            json!({"ConvertedDate": "2024-02-30", "CreatedDate": "2025-01-01T08:00:00.001Z"}),
            json!({"ConvertedDate": null, "CreatedDate": "not a time"}),
        ];
        assert_eq!(
            pattern(c("ConvertedDate", Op::LessThan, "2024-03-01"), &records),
            "1000"
        );
        assert_eq!(
            pattern(c("ConvertedDate", Op::IsEmpty, ""), &records),
            "0011"
        );
        assert_eq!(
            pattern(
                c("CreatedDate", Op::Equals, "2025-01-01T10:00:00+02:00"),
                &records
            ),
            "1100"
        );
        assert_eq!(
            pattern(
                c("CreatedDate", Op::GreaterThan, "2025-01-01T08:00:00Z"),
                &records
            ),
            "0010"
        );
        assert_eq!(
            pattern(
                c("CreatedDate", Op::NotEquals, "2025-01-01T08:00:00Z"),
                &records
            ),
            "0011"
        );
    }

    #[test]
    fn groups_combine() {
        let filter = valid(vec![
            c("Email", Op::IsNotEmpty, ""),
            FilterItem::Group(Filter {
                combine: Combine::Any,
                items: vec![
                    c("LastName", Op::Equals, "a"),
                    c("LastName", Op::Equals, "b"),
                ],
            }),
        ]);
        assert!(filter.matches(&record(json!({"Email": "x", "LastName": "B"}))));
        assert!(!filter.matches(&record(json!({"Email": "x", "LastName": "c"}))));
        assert!(!filter.matches(&record(json!({"LastName": "a"}))));
    }
}
