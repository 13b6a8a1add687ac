//! Rendering a validated filter as a SOQL WHERE clause.
//!
//! Field names are describe names already checked to be plain API names. Text is quoted and
//! escaped as the SOQL reference requires (`\\ \' \" \n \r \t \b \f`; inside LIKE patterns
//! also `\%` and `\_`), so no value can end its literal early. Every nested group is
//! parenthesised, which keeps AND and OR from ever meeting at one level (SOQL forbids that
//! without parentheses); NOT is never needed because every operator has its own negation.

use std::fmt::Write;

use crate::time;
use crate::valid::{Check, Comparison, Group, Literal, Node, Test};

/// The WHERE clause of `root` (without `WHERE`), or `None` when it has no items.
pub(crate) fn where_clause(root: &Group) -> Option<String> {
    if root.items.is_empty() {
        return None;
    }
    let mut out = String::new();
    group(root, &mut out);
    Some(out)
}

fn group(group: &Group, out: &mut String) {
    let joiner = if group.all { " AND " } else { " OR " };
    for (i, item) in group.items.iter().enumerate() {
        if i > 0 {
            out.push_str(joiner);
        }
        match item {
            Node::Check(c) => check(c, out),
            Node::Group(inner) => {
                out.push('(');
                self::group(inner, out);
                out.push(')');
            }
        }
    }
}

fn check(check: &Check, out: &mut String) {
    out.push_str(&check.field);
    match &check.test {
        Test::IsNull => out.push_str(" = null"),
        Test::IsNotNull => out.push_str(" != null"),
        Test::Equals(value) => {
            out.push_str(" = ");
            literal(value, out);
        }
        Test::NotEquals(value) => {
            out.push_str(" != ");
            literal(value, out);
        }
        Test::In(values) => {
            out.push_str(" IN ");
            list(values, out);
        }
        Test::NotIn(values) => {
            out.push_str(" NOT IN ");
            list(values, out);
        }
        Test::StartsWith(text) => {
            out.push_str(" LIKE '");
            escape(text, true, out);
            out.push_str("%'");
        }
        Test::Contains(text) => {
            out.push_str(" LIKE '%");
            escape(text, true, out);
            out.push_str("%'");
        }
        Test::Compare(comparison, value) => {
            out.push_str(match comparison {
                Comparison::Less => " < ",
                Comparison::LessOrEqual => " <= ",
                Comparison::Greater => " > ",
                Comparison::GreaterOrEqual => " >= ",
            });
            literal(value, out);
        }
    }
}

fn list(values: &[Literal], out: &mut String) {
    out.push('(');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        literal(value, out);
    }
    out.push(')');
}

fn literal(value: &Literal, out: &mut String) {
    match value {
        Literal::Text { text, .. } | Literal::Id(text) => {
            out.push('\'');
            escape(text, false, out);
            out.push('\'');
        }
        Literal::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Literal::Number { text, .. } => out.push_str(text),
        Literal::Date(days) => out.push_str(&time::format_date(*days)),
        Literal::DateTime(seconds) => out.push_str(&time::format_datetime(*seconds)),
    }
}

/// `text` as a SOQL string literal, quoted and escaped (no SOQL injection).
pub fn quote_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    escape(text, false, &mut out);
    out.push('\'');
    out
}

/// Appends `text` escaped for a SOQL string literal; `like` also escapes the wildcards.
fn escape(text: &str, like: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' if like => out.push_str("\\%"),
            '_' if like => out.push_str("\\_"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Combine, Condition, FieldInfo, FieldKind, Filter, FilterItem, Op};

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

    fn cond(field: &str, op: Op, value: &str) -> FilterItem {
        FilterItem::Condition(Condition::new(field, op, value))
    }

    fn render(filter: &Filter) -> String {
        let valid = filter
            .validate("Lead", &fields())
            .unwrap_or_else(|e| panic!("{e}"));
        valid.to_soql_where().unwrap_or_default().to_string()
    }

    /// Parses `SELECT Id FROM Lead WHERE <where_clause>` with the SOQL engine and returns the
    /// string literals of its comparisons, in order.
    fn parsed_strings(where_clause: &str) -> Vec<String> {
        let query = soql::parse(&format!("SELECT Id FROM Lead WHERE {where_clause}"))
            .unwrap_or_else(|e| panic!("{where_clause}: {e}"));
        let mut out = Vec::new();
        fn walk(c: &soql::Condition, out: &mut Vec<String>) {
            match c {
                soql::Condition::And(parts) | soql::Condition::Or(parts) => {
                    parts.iter().for_each(|p| walk(p, out));
                }
                soql::Condition::Not(inner) => walk(inner, out),
                soql::Condition::Compare(cmp) => {
                    for v in &cmp.values {
                        if let soql::Literal::String(s) = v {
                            out.push(s.clone());
                        }
                    }
                }
            }
        }
        if let Some(c) = &query.where_clause {
            walk(c, &mut out);
        }
        out
    }

    const HOSTILE: &[&str] = &[
        "O'Brien",
        "' OR Id != null OR Name = '",
        "\\' OR LastName != '",
        "back\\slash\\",
        "quote \" double",
        "100% _sure_",
        "line\nbreak\r\ttab\u{8}\u{c}",
        "')) OR ((LastName = 'x",
        "\\",
        "'",
        "%",
        "_",
        "日本 😀 Müller",
    ];

    #[test]
    fn hostile_strings_render_exactly() {
        let filter = |op: Op, value: &str| Filter {
            combine: Combine::All,
            items: vec![cond("LastName", op, value)],
        };
        assert_eq!(
            render(&filter(Op::Equals, "' OR Id != null OR Name = '")),
            r"LastName = '\' OR Id != null OR Name = \''"
        );
        assert_eq!(
            render(&filter(Op::NotEquals, "back\\slash\\")),
            r"LastName != 'back\\slash\\'"
        );
        assert_eq!(
            render(&filter(Op::Equals, "quote \" and 100% _x_")),
            r#"LastName = 'quote \" and 100% _x_'"#
        );
        assert_eq!(
            render(&filter(Op::StartsWith, "100% _x_\\")),
            r"LastName LIKE '100\% \_x\_\\%'"
        );
        assert_eq!(
            render(&filter(Op::Contains, "a\nb\rc\td\u{8}e\u{c}f'")),
            r"LastName LIKE '%a\nb\rc\td\be\ff\'%'"
        );
    }

    #[test]
    fn hostile_strings_survive_the_soql_parser_as_one_literal() {
        for &hostile in HOSTILE {
            for op in [Op::Equals, Op::NotEquals] {
                let filter = Filter {
                    combine: Combine::Any,
                    items: vec![cond("LastName", op, hostile), cond("Email", op, "x")],
                };
                let rendered = render(&filter);
                assert_eq!(parsed_strings(&rendered), [hostile, "x"], "{rendered}");
            }
            let filter = Filter {
                combine: Combine::All,
                items: vec![FilterItem::Condition(Condition::list(
                    "LastName",
                    Op::NotIn,
                    [hostile, "y"],
                ))],
            };
            let rendered = render(&filter);
            assert_eq!(parsed_strings(&rendered), [hostile, "y"], "{rendered}");
            // LIKE literals hold the pattern's value with `\%` / `\_` resolved.
            for (op, expected) in [
                (Op::StartsWith, format!("{hostile}%")),
                (Op::Contains, format!("%{hostile}%")),
            ] {
                let filter = Filter {
                    combine: Combine::All,
                    items: vec![cond("LastName", op, hostile)],
                };
                let rendered = render(&filter);
                assert_eq!(parsed_strings(&rendered), [expected], "{rendered}");
            }
        }
    }

    #[test]
    fn every_kind_and_operator() {
        let items = vec![
            cond("LastName", Op::Equals, "Smith"),
            cond("Email", Op::IsEmpty, ""),
            cond("Email", Op::IsNotEmpty, ""),
            cond("Id", Op::Equals, "00Q8d0000000001AAA"),
            cond("DoNotCall", Op::NotEquals, "True"),
            cond("NumberOfEmployees", Op::GreaterThan, "10"),
            cond("AnnualRevenue", Op::LessOrEqual, "-1.25"),
            cond("ConvertedDate", Op::GreaterOrEqual, "2024-02-29"),
            cond("CreatedDate", Op::LessThan, "2025-01-01T09:00:00+01:00"),
            FilterItem::Condition(Condition::list(
                "ConvertedDate",
                Op::In,
                ["2024-01-01", "2024-12-31"],
            )),
            FilterItem::Condition(Condition::list("AnnualRevenue", Op::NotIn, ["1", "2.5"])),
        ];
        let rendered = render(&Filter {
            combine: Combine::All,
            items,
        });
        assert_eq!(
            rendered,
            "LastName = 'Smith' AND Email = null AND Email != null \
             AND Id = '00Q8d0000000001AAA' AND DoNotCall != true \
             AND NumberOfEmployees > 10 AND AnnualRevenue <= -1.25 \
             AND ConvertedDate >= 2024-02-29 AND CreatedDate < 2025-01-01T08:00:00Z \
             AND ConvertedDate IN (2024-01-01, 2024-12-31) AND AnnualRevenue NOT IN (1, 2.5)"
        );
        assert!(parsed_strings(&rendered).len() == 2);
    }

    #[test]
    fn groups_are_parenthesised() {
        let filter = Filter {
            combine: Combine::Any,
            items: vec![
                cond("LastName", Op::Equals, "a"),
                FilterItem::Group(Filter {
                    combine: Combine::All,
                    items: vec![
                        cond("Email", Op::IsNotEmpty, ""),
                        FilterItem::Group(Filter {
                            combine: Combine::Any,
                            items: vec![
                                cond("DoNotCall", Op::Equals, "false"),
                                cond("LastName", Op::StartsWith, "b"),
                            ],
                        }),
                    ],
                }),
                FilterItem::Group(Filter {
                    combine: Combine::All,
                    items: vec![cond("LastName", Op::Equals, "c")],
                }),
            ],
        };
        let rendered = render(&filter);
        assert_eq!(
            rendered,
            "LastName = 'a' OR (Email != null AND (DoNotCall = false OR LastName LIKE 'b%')) \
             OR (LastName = 'c')"
        );
        assert!(soql::parse(&format!("SELECT Id FROM Lead WHERE {rendered}")).is_ok());
    }
}
