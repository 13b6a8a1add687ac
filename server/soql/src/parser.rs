//! A hand-written recursive-descent parser for the SOQL subset (see the crate docs).
//!
//! WHERE follows Salesforce's grammar:
//!
//! ```text
//! logical     := NOT conditional
//!              | conditional (AND conditional)*
//!              | conditional (OR conditional)*
//! conditional := '(' logical ')' | field operator value
//! ```
//!
//! so AND and OR never mix at one level without parentheses, exactly as Salesforce requires.
//! Parenthesis nesting is capped at [`MAX_NESTING_DEPTH`] so deep input cannot overflow the
//! stack.

use crate::error::malformed;
use crate::eval::LikePattern;
use crate::lexer::{self, TokKind, Token};
use crate::{
    Comparison, Condition, ErrorCode, FieldPath, Literal, MAX_NESTING_DEPTH, MAX_OFFSET,
    NullsOrder, Operator, OrderItem, Query, SoqlError, SortDirection,
};

/// Words that can never be a field or object name (Salesforce's reserved SOQL keywords).
const RESERVED: &[&str] = &[
    "AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "GROUP", "HAVING", "IN", "INCLUDES", "LAST",
    "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR", "SELECT", "WHERE", "WITH",
];

/// Parses SOQL text; syntax errors are `MALFORMED_QUERY` with Salesforce's message layout.
pub fn parse(soql: &str) -> Result<Query> {
    let tokens = lexer::tokenize(soql);
    let mut parser = Parser {
        src: soql,
        eof: tokens.last().cloned().unwrap_or(Token {
            kind: TokKind::Eof,
            start: 0,
            end: 0,
        }),
        tokens,
        pos: 0,
        depth: 0,
    };
    parser.query()
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    eof: Token,
    pos: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, SoqlError>;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens.get(self.pos + ahead).unwrap_or(&self.eof)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn is_keyword(&self, token: &Token, keyword: &str) -> bool {
        token.kind == TokKind::Ident && token.text(self.src).eq_ignore_ascii_case(keyword)
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        self.is_keyword(self.peek(), keyword)
    }

    fn unexpected(&self, token: &Token) -> SoqlError {
        let description = match &token.kind {
            TokKind::Eof => "unexpected token: <EOF>".to_string(),
            TokKind::Error(description) => description.clone(),
            _ => format!("unexpected token: '{}'", token.text(self.src)),
        };
        malformed(self.src, token.start, &description)
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<Token> {
        if self.at_keyword(keyword) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(self.peek()))
        }
    }

    fn expect(&mut self, kind: TokKind) -> Result<Token> {
        if self.peek().kind == kind {
            Ok(self.bump())
        } else {
            Err(self.unexpected(self.peek()))
        }
    }

    /// A field, object or relationship name: an identifier that is not reserved.
    fn name(&mut self) -> Result<Token> {
        let token = self.peek();
        let text = token.text(self.src);
        if token.kind == TokKind::Ident && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(text)) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(token))
        }
    }

    fn query(&mut self) -> Result<Query> {
        self.expect_keyword("SELECT")?;
        let mut fields = Vec::new();
        let mut is_count = false;
        if self.at_keyword("COUNT") && self.peek_at(1).kind == TokKind::LParen {
            self.bump();
            self.bump();
            if self.peek().kind != TokKind::RParen {
                let token = self.peek().clone();
                let description = format!(
                    "unexpected token: '{}' (this simulator supports COUNT() without arguments only)",
                    token.text(self.src)
                );
                return Err(malformed(self.src, token.start, &description));
            }
            self.bump();
            is_count = true;
        } else {
            loop {
                fields.push(self.field_path()?);
                if self.peek().kind == TokKind::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect_keyword("FROM")?;
        let object = self.name()?;
        let mut query = Query {
            source: self.src.to_string(),
            object: object.text(self.src).to_string(),
            object_pos: object.start,
            fields,
            where_clause: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            is_count,
            bound: false,
        };
        if self.at_keyword("WHERE") {
            self.bump();
            query.where_clause = Some(self.logical()?);
        }
        if self.at_keyword("ORDER") && self.is_keyword(self.peek_at(1), "BY") {
            self.bump();
            self.bump();
            loop {
                query.order_by.push(self.order_item()?);
                if self.peek().kind == TokKind::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        if self.at_keyword("LIMIT") {
            self.bump();
            query.limit = Some(self.unsigned()?.0);
        }
        if self.at_keyword("OFFSET") {
            self.bump();
            let (offset, _) = self.unsigned()?;
            if offset > MAX_OFFSET {
                // Salesforce answers NUMBER_OUTSIDE_VALID_RANGE (not MALFORMED_QUERY) with this
                // plain message (no query excerpt).
                return Err(SoqlError {
                    error_code: ErrorCode::NumberOutsideValidRange,
                    message: format!("Maximum SOQL offset allowed is {MAX_OFFSET}"),
                });
            }
            query.offset = Some(offset);
        }
        self.expect(TokKind::Eof)?;
        Ok(query)
    }

    fn unsigned(&mut self) -> Result<(u64, Token)> {
        let token = self.peek().clone();
        let text = token.text(self.src);
        let value = match token.kind {
            TokKind::Number if text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
            _ => None,
        };
        match value {
            Some(v) => {
                self.bump();
                Ok((v, token))
            }
            None => Err(self.unexpected(&token)),
        }
    }

    fn field_path(&mut self) -> Result<FieldPath> {
        let first = self.name()?;
        let mut path = vec![first.text(self.src).to_string()];
        while self.peek().kind == TokKind::Dot {
            self.bump();
            path.push(self.name()?.text(self.src).to_string());
        }
        Ok(FieldPath {
            path,
            relationships: Vec::new(),
            field_type: None,
            pos: first.start,
        })
    }

    fn order_item(&mut self) -> Result<OrderItem> {
        let field = self.field_path()?;
        let direction = if self.at_keyword("ASC") {
            self.bump();
            SortDirection::Asc
        } else if self.at_keyword("DESC") {
            self.bump();
            SortDirection::Desc
        } else {
            SortDirection::Asc
        };
        let nulls = if self.at_keyword("NULLS") {
            self.bump();
            if self.at_keyword("FIRST") {
                self.bump();
                NullsOrder::First
            } else {
                self.expect_keyword("LAST")?;
                NullsOrder::Last
            }
        } else {
            NullsOrder::default_for(direction)
        };
        Ok(OrderItem {
            field,
            direction,
            nulls,
        })
    }

    fn logical(&mut self) -> Result<Condition> {
        if self.at_keyword("NOT") {
            self.bump();
            return Ok(Condition::Not(Box::new(self.conditional()?)));
        }
        let first = self.conditional()?;
        let joiner = if self.at_keyword("AND") {
            "AND"
        } else if self.at_keyword("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let mut parts = vec![first];
        while self.at_keyword(joiner) {
            self.bump();
            parts.push(self.conditional()?);
        }
        // A different joiner right after (`a OR b AND c`) is left for the caller, which
        // rejects it as an unexpected token: Salesforce requires parentheses there.
        Ok(if joiner == "AND" {
            Condition::And(parts)
        } else {
            Condition::Or(parts)
        })
    }

    fn conditional(&mut self) -> Result<Condition> {
        if self.peek().kind != TokKind::LParen {
            return self.comparison();
        }
        let open = self.bump();
        if self.depth >= MAX_NESTING_DEPTH {
            let description = format!(
                "unexpected token: '(' (conditions nest deeper than {MAX_NESTING_DEPTH} levels)"
            );
            return Err(malformed(self.src, open.start, &description));
        }
        self.depth += 1;
        let inner = self.logical()?;
        self.expect(TokKind::RParen)?;
        self.depth -= 1;
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Condition> {
        let field = self.field_path()?;
        let op_token = self.bump();
        let op = match op_token.kind {
            TokKind::Eq => Operator::Eq,
            TokKind::Ne => Operator::Ne,
            TokKind::Lt => Operator::Lt,
            TokKind::Le => Operator::Le,
            TokKind::Gt => Operator::Gt,
            TokKind::Ge => Operator::Ge,
            _ if self.is_keyword(&op_token, "LIKE") => Operator::Like,
            _ if self.is_keyword(&op_token, "IN") => Operator::In,
            _ if self.is_keyword(&op_token, "NOT") => {
                self.expect_keyword("IN")?;
                Operator::NotIn
            }
            _ => return Err(self.unexpected(&op_token)),
        };
        let mut like = None;
        let values = match op {
            Operator::In | Operator::NotIn => {
                self.expect(TokKind::LParen)?;
                let mut values = vec![self.literal()?];
                while self.peek().kind == TokKind::Comma {
                    self.bump();
                    values.push(self.literal()?);
                }
                self.expect(TokKind::RParen)?;
                values
            }
            Operator::Like => {
                let token = self.peek().clone();
                let TokKind::Str(raw) = &token.kind else {
                    return Err(self.unexpected(&token));
                };
                self.bump();
                like = Some(LikePattern::compile(raw));
                vec![Literal::String(lexer::decode(raw))]
            }
            _ => vec![self.literal()?],
        };
        Ok(Condition::Compare(Comparison {
            field,
            op,
            values,
            like,
            typed: Vec::new(),
        }))
    }

    fn literal(&mut self) -> Result<Literal> {
        let token = self.peek().clone();
        let text = token.text(self.src);
        let literal = match &token.kind {
            TokKind::Str(raw) => Literal::String(lexer::decode(raw)),
            TokKind::Number => {
                let digits = text.trim_start_matches('+');
                if let Ok(i) = digits.parse::<i64>() {
                    Literal::Integer(i)
                } else if let Ok(f) = digits.parse::<f64>() {
                    Literal::Decimal(f)
                } else {
                    return Err(self.unexpected(&token));
                }
            }
            TokKind::Date(d) => Literal::Date(*d),
            TokKind::DateTime(dt) => Literal::DateTime(*dt),
            TokKind::Ident if text.eq_ignore_ascii_case("null") => Literal::Null,
            TokKind::Ident if text.eq_ignore_ascii_case("true") => Literal::Boolean(true),
            TokKind::Ident if text.eq_ignore_ascii_case("false") => Literal::Boolean(false),
            _ => return Err(self.unexpected(&token)),
        };
        self.bump();
        Ok(literal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_query() {
        let q = parse(
            "select Id, owner.NAME from contact where (Phone != null and Email like 'a%') \
             order by LastName desc nulls first, Id limit 10 offset 5",
        )
        .unwrap();
        assert_eq!(q.object, "contact");
        assert_eq!(q.fields.len(), 2);
        assert_eq!(q.fields[1].path, vec!["owner", "NAME"]);
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.offset, Some(5));
        assert_eq!(q.order_by[0].direction, SortDirection::Desc);
        assert_eq!(q.order_by[0].nulls, NullsOrder::First);
        assert_eq!(q.order_by[1].nulls, NullsOrder::First);
        assert!(matches!(q.where_clause, Some(Condition::And(ref v)) if v.len() == 2));
        assert!(!q.is_bound());
    }

    #[test]
    fn order_is_a_valid_object_name() {
        let q = parse("SELECT Id FROM Order ORDER BY Id").unwrap();
        assert_eq!(q.object, "Order");
        assert_eq!(q.order_by.len(), 1);
    }

    #[test]
    fn nulls_default_to_first_in_both_directions() {
        let q = parse("SELECT Id FROM Contact ORDER BY Name DESC, Id ASC, Email").unwrap();
        assert!(q.order_by.iter().all(|o| o.nulls == NullsOrder::First));
        let q = parse("SELECT Id FROM Contact ORDER BY Name DESC NULLS LAST").unwrap();
        assert_eq!(q.order_by[0].nulls, NullsOrder::Last);
    }

    #[test]
    fn literals() {
        let q = parse(
            "SELECT Id FROM A WHERE X IN (null, true, FALSE, 1, -2, 1.5, 'x', 2024-01-31, \
             2024-01-01T00:00:00Z, 99999999999999999999)",
        )
        .unwrap();
        let Some(Condition::Compare(c)) = q.where_clause else {
            panic!("not a comparison")
        };
        assert_eq!(c.op, Operator::In);
        assert_eq!(c.values.len(), 10);
        assert_eq!(c.values[0], Literal::Null);
        assert_eq!(c.values[1], Literal::Boolean(true));
        assert_eq!(c.values[2], Literal::Boolean(false));
        assert_eq!(c.values[3], Literal::Integer(1));
        assert_eq!(c.values[4], Literal::Integer(-2));
        assert_eq!(c.values[5], Literal::Decimal(1.5));
        assert_eq!(c.values[6], Literal::String("x".into()));
        assert!(matches!(c.values[7], Literal::Date(_)));
        assert!(matches!(c.values[8], Literal::DateTime(_)));
        assert!(matches!(c.values[9], Literal::Decimal(_)));
    }
}
