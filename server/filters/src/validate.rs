//! Validation: turns an untrusted [`Filter`] into a [`ValidFilter`] or explains, in one
//! sentence, what an admin must fix.

use crate::model::Arity;
use crate::time::{self, BadDate};
use crate::valid::{Check, Comparison, Group, Literal, Node, Test, ValidFilter, upper};
use crate::{
    Condition, FieldInfo, FieldKind, Filter, FilterError, FilterItem, MAX_CONDITIONS, MAX_DEPTH,
    MAX_LIST_VALUES, MAX_VALUE_CHARS, MAX_WHERE_CHARS, Op, render,
};

impl Filter {
    /// Checks the filter against the fields of `object` (its describe, filterable fields
    /// only) and returns the form that renders and evaluates:
    /// - every field exists (matched case-insensitively) and has a plain API name;
    /// - each operator suits the field's kind ([`FieldKind::allows`]);
    /// - values parse for the kind: numbers, whole numbers, `true`/`false`, `YYYY-MM-DD`,
    ///   `YYYY-MM-DDTHH:MM:SS` with `Z` or an offset, 15/18-character ids; text is non-empty,
    ///   at most [`MAX_VALUE_CHARS`] characters, without control characters other than
    ///   newline, carriage return, tab, backspace and form feed;
    /// - lists have 1 to [`MAX_LIST_VALUES`] values; groups are non-empty and nest at most
    ///   [`MAX_DEPTH`] levels; at most [`MAX_CONDITIONS`] conditions; the SOQL is at most
    ///   [`MAX_WHERE_CHARS`] characters.
    pub fn validate(&self, object: &str, fields: &[FieldInfo]) -> Result<ValidFilter, FilterError> {
        let mut validator = Validator {
            object,
            fields,
            conditions: 0,
        };
        let (filter, root) = validator.group(self, 1)?;
        let soql = render::where_clause(&root);
        if soql
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_WHERE_CHARS)
        {
            return Err(FilterError::TooLong);
        }
        Ok(ValidFilter { filter, root, soql })
    }
}

struct Validator<'a> {
    object: &'a str,
    fields: &'a [FieldInfo],
    conditions: usize,
}

impl Validator<'_> {
    /// A group at nesting `depth` (the whole filter is depth 1): its normalised form and its
    /// compiled form.
    fn group(&mut self, filter: &Filter, depth: usize) -> Result<(Filter, Group), FilterError> {
        if depth > MAX_DEPTH {
            return Err(FilterError::TooDeep);
        }
        if depth > 1 && filter.items.is_empty() {
            return Err(FilterError::EmptyGroup);
        }
        let mut normalised = Filter {
            combine: filter.combine,
            items: Vec::with_capacity(filter.items.len()),
        };
        let mut group = Group {
            all: filter.combine == crate::Combine::All,
            items: Vec::with_capacity(filter.items.len()),
        };
        for item in &filter.items {
            match item {
                FilterItem::Condition(condition) => {
                    self.conditions += 1;
                    if self.conditions > MAX_CONDITIONS {
                        return Err(FilterError::TooManyConditions);
                    }
                    let (condition, check) = self.condition(condition)?;
                    normalised.items.push(FilterItem::Condition(condition));
                    group.items.push(Node::Check(check));
                }
                FilterItem::Group(inner) => {
                    let (inner_filter, inner_group) = self.group(inner, depth + 1)?;
                    normalised.items.push(FilterItem::Group(inner_filter));
                    group.items.push(Node::Group(inner_group));
                }
            }
        }
        Ok((normalised, group))
    }

    fn condition(&self, condition: &Condition) -> Result<(Condition, Check), FilterError> {
        let info = self
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(&condition.field))
            .ok_or_else(|| FilterError::UnknownField {
                object: self.object.to_string(),
                field: condition.field.clone(),
            })?;
        let field = info.name.as_str();
        if !is_api_name(field) {
            return Err(FilterError::InvalidFieldName {
                field: field.to_string(),
            });
        }
        let op = condition.op;
        if !info.kind.allows(op) {
            return Err(FilterError::OperatorNotAllowed {
                field: field.to_string(),
                op,
                kind: info.kind,
            });
        }
        let parse = |value: &str| literal(field, info.kind, value);
        let mut normalised = Condition::new(field, op, "");
        let test = match op.arity() {
            Arity::None => match op {
                Op::IsEmpty => Test::IsNull,
                _ => Test::IsNotNull,
            },
            Arity::List => {
                if condition.values.is_empty() {
                    return Err(FilterError::EmptyList {
                        field: field.to_string(),
                    });
                }
                if condition.values.len() > MAX_LIST_VALUES {
                    return Err(FilterError::TooManyValues {
                        field: field.to_string(),
                        count: condition.values.len(),
                    });
                }
                let literals = condition
                    .values
                    .iter()
                    .map(|v| parse(v))
                    .collect::<Result<Vec<_>, _>>()?;
                normalised.values = literals.iter().map(canonical).collect();
                match op {
                    Op::In => Test::In(literals),
                    _ => Test::NotIn(literals),
                }
            }
            Arity::One => {
                let value = parse(&condition.value)?;
                normalised.value = canonical(&value);
                match (op, value) {
                    (Op::Equals, value) => Test::Equals(value),
                    (Op::NotEquals, value) => Test::NotEquals(value),
                    (Op::StartsWith, Literal::Text { text, .. }) => Test::StartsWith(text),
                    (Op::Contains, Literal::Text { text, .. }) => Test::Contains(text),
                    (Op::LessThan, value) => Test::Compare(Comparison::Less, value),
                    (Op::LessOrEqual, value) => Test::Compare(Comparison::LessOrEqual, value),
                    (Op::GreaterThan, value) => Test::Compare(Comparison::Greater, value),
                    (Op::GreaterOrEqual, value) => Test::Compare(Comparison::GreaterOrEqual, value),
                    // `allows` admits the text operators only on text fields.
                    _ => {
                        return Err(FilterError::OperatorNotAllowed {
                            field: field.to_string(),
                            op,
                            kind: info.kind,
                        });
                    }
                }
            }
        };
        let check = Check {
            field: field.to_string(),
            kind: info.kind,
            test,
        };
        Ok((normalised, check))
    }
}

/// A plain API name, safe to write into SOQL as is: `[A-Za-z][A-Za-z0-9_]*`.
pub fn is_api_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The normalised text of a literal (what the stored filter keeps).
fn canonical(literal: &Literal) -> String {
    match literal {
        Literal::Text { text, .. } => text.clone(),
        Literal::Id(id) => id.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Number { text, .. } => text.clone(),
        Literal::Date(days) => time::format_date(*days),
        Literal::DateTime(seconds) => time::format_datetime(*seconds),
    }
}

/// Converts an admin's value for `field` of `kind`.
fn literal(field: &str, kind: FieldKind, value: &str) -> Result<Literal, FilterError> {
    let field_name = || field.to_string();
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FilterError::MissingValue {
            field: field_name(),
        });
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(FilterError::ValueTooLong {
            field: field_name(),
        });
    }
    let shown = || trimmed.to_string();
    Ok(match kind {
        FieldKind::Text => {
            // SOQL escapes these five; other control characters have no place in a filter.
            let allowed = ['\n', '\r', '\t', '\u{8}', '\u{c}'];
            if value
                .chars()
                .any(|c| c.is_control() && !allowed.contains(&c))
            {
                return Err(FilterError::ControlCharacter {
                    field: field_name(),
                });
            }
            Literal::Text {
                text: value.to_string(),
                upper: upper(value),
            }
        }
        FieldKind::Id => {
            let valid = matches!(trimmed.len(), 15 | 18)
                && trimmed.bytes().all(|b| b.is_ascii_alphanumeric());
            if !valid {
                return Err(FilterError::NotAnId {
                    field: field_name(),
                    value: shown(),
                });
            }
            Literal::Id(trimmed.to_string())
        }
        FieldKind::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Literal::Bool(true),
            "false" => Literal::Bool(false),
            _ => {
                return Err(FilterError::NotABoolean {
                    field: field_name(),
                    value: shown(),
                });
            }
        },
        FieldKind::Integer => {
            let text = trimmed.strip_prefix('+').unwrap_or(trimmed);
            let unsigned = text.strip_prefix('-').unwrap_or(text);
            let whole = !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit());
            match text.parse::<i64>() {
                Ok(value) if whole => Literal::Number {
                    text: text.to_string(),
                    value: value as f64,
                },
                _ if is_decimal(text) => {
                    return Err(FilterError::NotAWholeNumber {
                        field: field_name(),
                        value: shown(),
                    });
                }
                _ => {
                    return Err(FilterError::NotANumber {
                        field: field_name(),
                        value: shown(),
                    });
                }
            }
        }
        FieldKind::Number => {
            let text = trimmed.strip_prefix('+').unwrap_or(trimmed);
            // Read exactly as SOQL reads a number literal: an integer if it fits, else a double.
            let value = text
                .parse::<i64>()
                .map(|i| i as f64)
                .or_else(|_| text.parse::<f64>());
            match value {
                Ok(value) if is_decimal(text) && value.is_finite() => Literal::Number {
                    text: text.to_string(),
                    value,
                },
                _ => {
                    return Err(FilterError::NotANumber {
                        field: field_name(),
                        value: shown(),
                    });
                }
            }
        }
        FieldKind::Date => match time::input_date(trimmed) {
            Ok(days) => Literal::Date(days),
            Err(BadDate::Format) => {
                return Err(FilterError::NotADate {
                    field: field_name(),
                    value: shown(),
                });
            }
            Err(BadDate::Range) => {
                return Err(FilterError::DateOutOfRange {
                    field: field_name(),
                    value: shown(),
                });
            }
        },
        FieldKind::DateTime => match time::input_datetime(trimmed) {
            Ok(seconds) => Literal::DateTime(seconds),
            Err(BadDate::Format) => {
                return Err(FilterError::NotADateTime {
                    field: field_name(),
                    value: shown(),
                });
            }
            Err(BadDate::Range) => {
                return Err(FilterError::DateOutOfRange {
                    field: field_name(),
                    value: shown(),
                });
            }
        },
    })
}

/// `-?digits(.digits)?`: the number literals SOQL reads (no exponent, no `inf`, no `.5`).
fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Combine;

    fn fields() -> Vec<FieldInfo> {
        vec![
            FieldInfo::new("LeadSource", "Lead Source", FieldKind::Text),
            FieldInfo::new("Email", "Email", FieldKind::Text),
            FieldInfo::new("OwnerId", "Owner ID", FieldKind::Id),
            FieldInfo::new("DoNotCall", "Do Not Call", FieldKind::Boolean),
            FieldInfo::new("NumberOfEmployees", "Employees", FieldKind::Integer),
            FieldInfo::new("AnnualRevenue", "Annual Revenue", FieldKind::Number),
            FieldInfo::new("ConvertedDate", "Converted Date", FieldKind::Date),
            FieldInfo::new("CreatedDate", "Created Date", FieldKind::DateTime),
            FieldInfo::new("Bad Name", "Bad", FieldKind::Text),
        ]
    }

    fn one(condition: Condition) -> Filter {
        Filter {
            combine: Combine::All,
            items: vec![FilterItem::Condition(condition)],
        }
    }

    fn error(condition: Condition) -> String {
        match one(condition).validate("Lead", &fields()) {
            Ok(valid) => panic!("accepted: {:?}", valid.to_soql_where()),
            Err(e) => e.to_string(),
        }
    }

    fn soql(condition: Condition) -> String {
        one(condition)
            .validate("Lead", &fields())
            .map(|v| v.to_soql_where().unwrap_or_default().to_string())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn errors_are_sentences_for_an_admin() {
        let cases = [
            (
                Condition::new("Foo", Op::Equals, "x"),
                r#"The field "Foo" is not a field of Lead."#,
            ),
            (
                Condition::new("Bad Name", Op::Equals, "x"),
                r#"The field "Bad Name" does not have a valid Salesforce API name."#,
            ),
            (
                Condition::new("AnnualRevenue", Op::Equals, "abc"),
                r#""abc" is not a number (field AnnualRevenue)."#,
            ),
            (
                Condition::new("annualrevenue", Op::GreaterThan, "1e5"),
                r#""1e5" is not a number (field AnnualRevenue)."#,
            ),
            (
                Condition::new("NumberOfEmployees", Op::Equals, "1.5"),
                r#""1.5" is not a whole number (field NumberOfEmployees)."#,
            ),
            (
                Condition::new("NumberOfEmployees", Op::Equals, "lots"),
                r#""lots" is not a number (field NumberOfEmployees)."#,
            ),
            (
                Condition::new("DoNotCall", Op::Equals, "yes"),
                r#""yes" is not true or false (field DoNotCall)."#,
            ),
            (
                Condition::new("DoNotCall", Op::GreaterThan, "true"),
                r#""is greater than" cannot be used with field DoNotCall (a yes/no field)."#,
            ),
            (
                Condition::list("DoNotCall", Op::In, ["true"]),
                r#""is one of" cannot be used with field DoNotCall (a yes/no field)."#,
            ),
            (
                Condition::new("LeadSource", Op::LessThan, "Web"),
                r#""is less than" cannot be used with field LeadSource (a text field)."#,
            ),
            (
                Condition::new("OwnerId", Op::StartsWith, "005"),
                r#""starts with" cannot be used with field OwnerId (a record id field)."#,
            ),
            (
                Condition::new("OwnerId", Op::Equals, "' OR Id != null"),
                r#""' OR Id != null" is not a Salesforce record id of 15 or 18 letters and digits (field OwnerId)."#,
            ),
            (
                Condition::new("ConvertedDate", Op::Equals, "2025-02-30"),
                r#""2025-02-30" is not a date; write it as YYYY-MM-DD (field ConvertedDate)."#,
            ),
            (
                Condition::new("ConvertedDate", Op::Equals, "1600-01-01"),
                r#""1600-01-01" is outside the dates Salesforce accepts, 1700 to 4000 (field ConvertedDate)."#,
            ),
            (
                Condition::new("CreatedDate", Op::LessThan, "2025-03-01"),
                r#""2025-03-01" is not a date and time; write it as YYYY-MM-DDTHH:MM:SSZ or with an offset such as 2025-03-01T09:00:00+01:00 (field CreatedDate)."#,
            ),
            (
                Condition::new("Email", Op::Equals, "  "),
                r#"Enter a value for field Email, or use "is empty"."#,
            ),
            (
                Condition::list("LeadSource", Op::NotIn, Vec::<String>::new()),
                "Enter at least one value for field LeadSource.",
            ),
            (
                Condition::list("LeadSource", Op::In, vec!["x"; 101]),
                "Field LeadSource has 101 values; at most 100 are allowed.",
            ),
            (
                Condition::new("Email", Op::Contains, "x".repeat(256)),
                "A value for field Email is longer than 255 characters.",
            ),
            (
                Condition::new("Email", Op::Contains, "a\u{0}b"),
                "A value for field Email contains a control character.",
            ),
        ];
        for (condition, message) in cases {
            assert_eq!(error(condition), message);
        }
    }

    #[test]
    fn malformed_json_message() {
        let e = Filter::from_json(r#"{"combine":"xor"}"#).expect_err("bad");
        assert!(
            e.to_string().starts_with("The filter could not be read: "),
            "{e}"
        );
    }

    #[test]
    fn values_are_normalised() {
        let filter = Filter {
            combine: Combine::Any,
            items: vec![
                FilterItem::Condition(Condition::new("leadsource", Op::Equals, " Web ")),
                FilterItem::Condition(Condition::new("DONOTCALL", Op::NotEquals, " TRUE")),
                FilterItem::Condition(Condition::new("AnnualRevenue", Op::GreaterThan, "+1.50")),
                FilterItem::Condition(Condition::new(
                    "CreatedDate",
                    Op::GreaterOrEqual,
                    "2025-03-01T01:00:00+02:00",
                )),
                FilterItem::Condition(Condition {
                    field: "Email".into(),
                    op: Op::IsEmpty,
                    value: "ignored".into(),
                    values: vec!["ignored".into()],
                }),
            ],
        };
        let valid = filter.validate("Lead", &fields()).expect("valid");
        let expected = Filter {
            combine: Combine::Any,
            items: vec![
                FilterItem::Condition(Condition::new("LeadSource", Op::Equals, " Web ")),
                FilterItem::Condition(Condition::new("DoNotCall", Op::NotEquals, "true")),
                FilterItem::Condition(Condition::new("AnnualRevenue", Op::GreaterThan, "1.50")),
                FilterItem::Condition(Condition::new(
                    "CreatedDate",
                    Op::GreaterOrEqual,
                    "2025-02-28T23:00:00Z",
                )),
                FilterItem::Condition(Condition::new("Email", Op::IsEmpty, "")),
            ],
        };
        assert_eq!(valid.filter(), &expected);
        assert_eq!(
            valid.fields(),
            [
                "AnnualRevenue",
                "CreatedDate",
                "DoNotCall",
                "Email",
                "LeadSource"
            ]
        );
        assert_eq!(
            soql(Condition::new("NumberOfEmployees", Op::LessOrEqual, "-20")),
            "NumberOfEmployees <= -20"
        );
    }

    fn nested(depth: usize) -> Filter {
        let mut filter = one(Condition::new("Email", Op::IsNotEmpty, ""));
        for _ in 1..depth {
            filter = Filter {
                combine: Combine::Any,
                items: vec![FilterItem::Group(filter)],
            };
        }
        filter
    }

    #[test]
    fn depth_and_size_are_capped() {
        assert!(nested(MAX_DEPTH).validate("Lead", &fields()).is_ok());
        assert_eq!(
            nested(MAX_DEPTH + 1).validate("Lead", &fields()),
            Err(FilterError::TooDeep)
        );
        // A filter built in code can be arbitrarily deep: validation stops at the cap.
        assert_eq!(
            nested(1_000).validate("Lead", &fields()),
            Err(FilterError::TooDeep)
        );
        let many = |n: usize| Filter {
            combine: Combine::All,
            items: (0..n)
                .map(|_| FilterItem::Condition(Condition::new("Email", Op::IsNotEmpty, "")))
                .collect(),
        };
        assert!(many(MAX_CONDITIONS).validate("Lead", &fields()).is_ok());
        let e = many(MAX_CONDITIONS + 1)
            .validate("Lead", &fields())
            .expect_err("too many");
        assert_eq!(e.to_string(), "The filter has more than 50 conditions.");
        let empty_group = Filter {
            combine: Combine::All,
            items: vec![FilterItem::Group(Filter::default())],
        };
        assert_eq!(
            empty_group.validate("Lead", &fields()),
            Err(FilterError::EmptyGroup)
        );
        let long = Filter {
            combine: Combine::All,
            items: (0..30)
                .map(|i| {
                    FilterItem::Condition(Condition::list(
                        "LeadSource",
                        Op::NotIn,
                        (0..100).map(move |j| format!("{i}-{j}")),
                    ))
                })
                .collect(),
        };
        assert_eq!(long.validate("Lead", &fields()), Err(FilterError::TooLong));
    }

    #[test]
    fn empty_filter_has_no_where_clause() {
        let valid = Filter::default()
            .validate("Lead", &fields())
            .expect("valid");
        assert_eq!(valid.to_soql_where(), None);
        assert!(valid.fields().is_empty());
    }
}
