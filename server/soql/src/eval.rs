//! Evaluation: filter, then sort only the matches, then page, then project the page.
//!
//! Semantics follow Salesforce: text compares case-insensitively (`=`, `!=`, `LIKE`, ordering;
//! ordering uses upper-cased text like Salesforce's English locale), datetimes compare as
//! instants, numbers numerically. `x = null` matches missing or null values, `x != 'a'` (and
//! `NOT IN`) also match nulls, and `<`, `<=`, `>`, `>=`, `LIKE` are false on null.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::datetime::{date_days, datetime_millis};
use crate::lexer::decode_pieces;
use crate::{
    Comparison, Condition, Evaluated, FieldPath, FieldType, NullsOrder, Operator, OrderItem, Query,
    Record, Related, Relationship, SortDirection,
};

/// A literal converted to the type of the field it is compared with (done once, by `bind`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Typed {
    Null,
    Bool(bool),
    Num(f64),
    /// Text, upper-cased for case-insensitive comparison.
    Text(String),
    /// An id as written (15- and 18-character forms compare equal).
    Id(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since the epoch.
    DateTime(i64),
}

#[derive(Debug, Clone, PartialEq)]
enum LikeTok {
    /// An upper-cased character.
    Lit(char),
    /// `_`
    One,
    /// `%`
    Many,
}

/// A compiled LIKE pattern (case-insensitive; `\%` and `\_` match themselves).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LikePattern(Vec<LikeTok>);

impl LikePattern {
    /// Compiles the raw text of a string literal (escapes still in place).
    pub(crate) fn compile(raw: &str) -> LikePattern {
        let mut toks = Vec::with_capacity(raw.len());
        for (c, escaped) in decode_pieces(raw) {
            match (c, escaped) {
                ('%', false) => {
                    if toks.last() != Some(&LikeTok::Many) {
                        toks.push(LikeTok::Many);
                    }
                }
                ('_', false) => toks.push(LikeTok::One),
                _ => toks.extend(c.to_uppercase().map(LikeTok::Lit)),
            }
        }
        LikePattern(toks)
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        if s.is_ascii() {
            let b = s.as_bytes();
            self.match_with(b.len(), |i| {
                b.get(i).map(|c| char::from(c.to_ascii_uppercase()))
            })
        } else {
            let chars: Vec<char> = s.chars().flat_map(char::to_uppercase).collect();
            self.match_with(chars.len(), |i| chars.get(i).copied())
        }
    }

    /// Greedy wildcard matching with backtracking to the last `%` (linear for the usual
    /// `abc%` / `%abc%` patterns).
    fn match_with(&self, len: usize, at: impl Fn(usize) -> Option<char>) -> bool {
        let pattern = &self.0;
        let (mut p, mut i) = (0usize, 0usize);
        let mut backtrack: Option<(usize, usize)> = None;
        while i < len {
            match pattern.get(p) {
                Some(LikeTok::Many) => {
                    backtrack = Some((p, i));
                    p += 1;
                    continue;
                }
                Some(LikeTok::One) => {
                    p += 1;
                    i += 1;
                    continue;
                }
                Some(LikeTok::Lit(c)) if at(i) == Some(*c) => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            match backtrack {
                Some((star, from)) => {
                    p = star + 1;
                    i = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            }
        }
        while pattern.get(p) == Some(&LikeTok::Many) {
            p += 1;
        }
        p == pattern.len()
    }
}

/// A record value read with the field's type.
enum Val<'b> {
    Null,
    Bool(bool),
    Num(f64),
    Text(Cow<'b, str>),
    Id(Cow<'b, str>),
    Date(i32),
    DateTime(i64),
}

fn text_of(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn to_val(v: Option<&Value>, field_type: Option<FieldType>) -> Val<'_> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Val::Null;
    };
    let val = match field_type {
        Some(FieldType::String) => text_of(v).map(Val::Text),
        Some(FieldType::Id | FieldType::Reference) => text_of(v).map(Val::Id),
        Some(FieldType::Boolean) => match v {
            Value::Bool(b) => Some(Val::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Val::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Val::Bool(false)),
            _ => None,
        },
        Some(FieldType::Int | FieldType::Double) => match v {
            Value::Number(n) => n.as_f64().map(Val::Num),
            Value::String(s) => s.trim().parse().ok().map(Val::Num),
            _ => None,
        },
        Some(FieldType::Date) => v.as_str().and_then(date_days).map(Val::Date),
        Some(FieldType::DateTime) => v.as_str().and_then(datetime_millis).map(Val::DateTime),
        None => match v {
            Value::String(s) => Some(Val::Text(Cow::Borrowed(s.as_str()))),
            Value::Number(n) => n.as_f64().map(Val::Num),
            Value::Bool(b) => Some(Val::Bool(*b)),
            _ => None,
        },
    };
    val.unwrap_or(Val::Null)
}

/// The raw value of a field path on a record, following relationships through `related`.
fn lookup<'b>(
    field: &FieldPath,
    record: &'b Record,
    related: &'b dyn Related,
) -> Option<&'b Value> {
    let (name, hops) = field.path.split_last()?;
    if hops.len() != field.relationships.len() {
        return None; // an unbound relationship path
    }
    let mut current = record;
    for hop in &field.relationships {
        let id = current.get(&hop.id_field)?.as_str()?;
        current = related.record(&hop.object, id)?;
    }
    current.get(name)
}

/// Case-insensitive equality of `s` with an already upper-cased `upper`.
fn ci_eq(s: &str, upper: &str) -> bool {
    if s.is_ascii() && upper.is_ascii() {
        s.len() == upper.len()
            && s.bytes()
                .zip(upper.bytes())
                .all(|(a, b)| a.to_ascii_uppercase() == b)
    } else {
        s.chars().flat_map(char::to_uppercase).eq(upper.chars())
    }
}

/// Case-insensitive ordering of `s` against an already upper-cased `upper`.
fn ci_cmp(s: &str, upper: &str) -> Ordering {
    if s.is_ascii() && upper.is_ascii() {
        s.bytes().map(|b| b.to_ascii_uppercase()).cmp(upper.bytes())
    } else {
        s.chars().flat_map(char::to_uppercase).cmp(upper.chars())
    }
}

fn upper(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        s.to_uppercase()
    }
}

/// Ids are equal when identical, or when a 15-character id is the prefix of an 18-character one.
fn id_eq(a: &str, b: &str) -> bool {
    a == b
        || (a.len() != b.len()
            && matches!(a.len(), 15 | 18)
            && matches!(b.len(), 15 | 18)
            && a.get(..15).is_some()
            && a.get(..15) == b.get(..15))
}

fn equals(v: &Val<'_>, t: &Typed) -> bool {
    match (v, t) {
        (Val::Null, Typed::Null) => true,
        (Val::Text(s), Typed::Text(u)) => ci_eq(s, u),
        (Val::Id(s), Typed::Id(l)) => id_eq(s, l),
        (Val::Id(s), Typed::Text(u)) => ci_eq(s, u),
        (Val::Num(a), Typed::Num(b)) => a == b,
        (Val::Bool(a), Typed::Bool(b)) => a == b,
        (Val::Date(a), Typed::Date(b)) => a == b,
        (Val::DateTime(a), Typed::DateTime(b)) => a == b,
        _ => false,
    }
}

fn order(v: &Val<'_>, t: &Typed) -> Option<Ordering> {
    match (v, t) {
        (Val::Text(s), Typed::Text(u)) | (Val::Id(s), Typed::Text(u)) => Some(ci_cmp(s, u)),
        (Val::Id(s), Typed::Id(l)) => Some(s.as_ref().cmp(l.as_str())),
        (Val::Num(a), Typed::Num(b)) => a.partial_cmp(b),
        (Val::Bool(a), Typed::Bool(b)) => Some(a.cmp(b)),
        (Val::Date(a), Typed::Date(b)) => Some(a.cmp(b)),
        (Val::DateTime(a), Typed::DateTime(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn compare(c: &Comparison, record: &Record, related: &dyn Related) -> bool {
    let val = to_val(lookup(&c.field, record, related), c.field.field_type);
    let first = c.typed.first();
    let any_equal = || c.typed.iter().any(|t| equals(&val, t));
    match c.op {
        Operator::Eq => first.is_some_and(|t| equals(&val, t)),
        Operator::Ne => !first.is_some_and(|t| equals(&val, t)),
        Operator::In => any_equal(),
        Operator::NotIn => !any_equal(),
        Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => first
            .and_then(|t| order(&val, t))
            .is_some_and(|o| match c.op {
                Operator::Lt => o == Ordering::Less,
                Operator::Le => o != Ordering::Greater,
                Operator::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
        Operator::Like => match (&val, &c.like) {
            (Val::Text(s) | Val::Id(s), Some(pattern)) => pattern.matches(s),
            _ => false,
        },
    }
}

fn matches(condition: &Condition, record: &Record, related: &dyn Related) -> bool {
    match condition {
        Condition::And(parts) => parts.iter().all(|c| matches(c, record, related)),
        Condition::Or(parts) => parts.iter().any(|c| matches(c, record, related)),
        Condition::Not(inner) => !matches(inner, record, related),
        Condition::Compare(c) => compare(c, record, related),
    }
}

/// A precomputed ORDER BY key.
enum Key<'b> {
    Null,
    Bool(bool),
    Num(f64),
    Int(i64),
    Text(Cow<'b, str>),
}

impl Key<'_> {
    fn rank(&self) -> u8 {
        match self {
            Key::Null => 0,
            Key::Bool(_) => 1,
            Key::Num(_) => 2,
            Key::Int(_) => 3,
            Key::Text(_) => 4,
        }
    }
}

fn key_of(val: Val<'_>) -> Key<'_> {
    match val {
        Val::Null => Key::Null,
        Val::Bool(b) => Key::Bool(b),
        Val::Num(n) => Key::Num(n),
        Val::Text(s) => Key::Text(Cow::Owned(upper(&s))),
        Val::Id(s) => Key::Text(s),
        Val::Date(d) => Key::Int(i64::from(d)),
        Val::DateTime(ms) => Key::Int(ms),
    }
}

fn cmp_key(a: &Key<'_>, b: &Key<'_>, item: &OrderItem) -> Ordering {
    let nulls_first = item.nulls == NullsOrder::First;
    let ordering = match (a, b) {
        (Key::Null, Key::Null) => return Ordering::Equal,
        (Key::Null, _) => {
            return if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        (_, Key::Null) => {
            return if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        (Key::Bool(x), Key::Bool(y)) => x.cmp(y),
        (Key::Num(x), Key::Num(y)) => x.total_cmp(y),
        (Key::Int(x), Key::Int(y)) => x.cmp(y),
        (Key::Text(x), Key::Text(y)) => x.cmp(y),
        _ => a.rank().cmp(&b.rank()),
    };
    match item.direction {
        SortDirection::Asc => ordering,
        SortDirection::Desc => ordering.reverse(),
    }
}

/// The projection of the SELECT list: plain fields and nested relationship objects.
enum Node<'q> {
    Field(&'q str),
    Parent {
        hop: &'q Relationship,
        children: Vec<Node<'q>>,
    },
}

fn plan(fields: &[FieldPath]) -> Vec<Node<'_>> {
    let mut nodes = Vec::new();
    for field in fields {
        insert(&mut nodes, &field.relationships, &field.path);
    }
    nodes
}

fn insert<'q>(nodes: &mut Vec<Node<'q>>, hops: &'q [Relationship], path: &'q [String]) {
    let (Some((hop, rest_hops)), Some((_, rest_path))) = (hops.split_first(), path.split_first())
    else {
        // A plain field, or an unbound relationship path (projected as a null parent).
        let key = if hops.is_empty() && path.len() > 1 {
            path.first()
        } else {
            path.last()
        };
        if let Some(key) = key
            && !nodes
                .iter()
                .any(|n| matches!(n, Node::Field(k) if k == key))
        {
            nodes.push(Node::Field(key));
        }
        return;
    };
    let existing = nodes.iter_mut().find_map(|n| match n {
        Node::Parent { hop: h, children } if h.name == hop.name => Some(children),
        _ => None,
    });
    match existing {
        Some(children) => insert(children, rest_hops, rest_path),
        None => {
            let mut children = Vec::new();
            insert(&mut children, rest_hops, rest_path);
            nodes.push(Node::Parent { hop, children });
        }
    }
}

/// Projects records of one query in the shape of the REST API (see [`evaluate`]): as a
/// [`Value`] with [`Projection::project`], or straight into JSON bytes with
/// [`Projection::write_json`] (no intermediate tree; what a server pages through).
pub struct Projection<'q> {
    object: &'q str,
    nodes: Vec<Node<'q>>,
    /// `/services/data/vXX.X/sobjects/`
    url_prefix: String,
}

impl<'q> Projection<'q> {
    /// The projection of `query`'s SELECT list; `api_version` (`"62.0"` or `"v62.0"`) goes into
    /// every `attributes.url`.
    pub fn new(query: &'q Query, api_version: &str) -> Projection<'q> {
        let version = api_version.trim_start_matches(['v', 'V']);
        Projection {
            object: &query.object,
            nodes: plan(&query.fields),
            url_prefix: format!("/services/data/v{version}/sobjects/"),
        }
    }

    /// One record as a JSON object: `attributes`, then the selected fields in SELECT order.
    pub fn project(&self, record: &Record, related: &dyn Related) -> Value {
        self.project_nodes(&self.nodes, self.object, record, "", related)
    }

    /// Appends the JSON text of [`Projection::project`] for `record` to `out` (byte for byte
    /// what `serde_json::to_vec(&projection.project(..))` gives).
    pub fn write_json(
        &self,
        record: &Record,
        related: &dyn Related,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        self.write_nodes(&self.nodes, self.object, record, "", related, out)
    }

    fn attributes(&self, object: &str, id: &str) -> Value {
        let mut attributes = Map::with_capacity(2);
        attributes.insert("type".into(), Value::String(object.to_string()));
        attributes.insert(
            "url".into(),
            Value::String(format!("{}{object}/{id}", self.url_prefix)),
        );
        Value::Object(attributes)
    }

    fn project_nodes(
        &self,
        nodes: &[Node<'_>],
        object: &str,
        record: &Record,
        known_id: &str,
        related: &dyn Related,
    ) -> Value {
        let mut out = Map::with_capacity(nodes.len() + 1);
        let id = record.get("Id").and_then(Value::as_str).unwrap_or(known_id);
        out.insert("attributes".into(), self.attributes(object, id));
        for node in nodes {
            match node {
                Node::Field(key) => {
                    let value = record.get(*key).cloned().unwrap_or(Value::Null);
                    out.insert((*key).to_string(), value);
                }
                Node::Parent { hop, children } => {
                    let value = match parent(hop, record, related) {
                        Some((id, parent)) => {
                            self.project_nodes(children, &hop.object, parent, id, related)
                        }
                        None => Value::Null,
                    };
                    out.insert(hop.name.clone(), value);
                }
            }
        }
        Value::Object(out)
    }

    fn write_nodes(
        &self,
        nodes: &[Node<'_>],
        object: &str,
        record: &Record,
        known_id: &str,
        related: &dyn Related,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        let id_value = record.get("Id");
        let id = id_value.and_then(Value::as_str).unwrap_or(known_id);
        out.extend_from_slice(b"{\"attributes\":{\"type\":\"");
        escape_into(out, object);
        out.extend_from_slice(b"\",\"url\":\"");
        escape_into(out, &self.url_prefix);
        escape_into(out, object);
        out.push(b'/');
        escape_into(out, id);
        out.extend_from_slice(b"\"}");
        for node in nodes {
            out.extend_from_slice(b",\"");
            match node {
                Node::Field(key) => {
                    escape_into(out, key);
                    out.extend_from_slice(b"\":");
                    let value = if *key == "Id" {
                        id_value
                    } else {
                        record.get(*key)
                    };
                    match value {
                        Some(value) => serde_json::to_writer(&mut *out, value)?,
                        None => out.extend_from_slice(b"null"),
                    }
                }
                Node::Parent { hop, children } => {
                    escape_into(out, &hop.name);
                    out.extend_from_slice(b"\":");
                    match parent(hop, record, related) {
                        Some((id, parent)) => {
                            self.write_nodes(children, &hop.object, parent, id, related, out)?;
                        }
                        None => out.extend_from_slice(b"null"),
                    }
                }
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// The parent record behind a relationship hop, with its id.
fn parent<'b>(
    hop: &Relationship,
    record: &'b Record,
    related: &'b dyn Related,
) -> Option<(&'b str, &'b Record)> {
    let id = record.get(&hop.id_field).and_then(Value::as_str)?;
    related.record(&hop.object, id).map(|p| (id, p))
}

/// Appends `s` JSON-escaped (without quotes), exactly as serde_json escapes strings.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// The matches of a query in result order, before projection: what [`select`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection<'a> {
    /// All matches before OFFSET/LIMIT; for `COUNT()` the count (honouring OFFSET and LIMIT).
    pub total_size: usize,
    /// The matching records after ORDER BY, OFFSET and LIMIT; empty for `COUNT()`.
    pub records: Vec<&'a Record>,
    /// For each of `records`, its position in the input (0 = the first record given), so a
    /// caller can map the result back to its own handles on the records.
    pub positions: Vec<usize>,
}

/// Filters, sorts, offsets and limits without projecting: [`evaluate`] is `select` followed
/// by [`Projection::project`] on every selected record. A server that pages through a large
/// result keeps the selection (or the ids in it) and projects one page at a time.
///
/// Expects a [`bind`](crate::bind)-ed query; an unbound one is evaluated best-effort (types
/// inferred from the literals, relationship paths read as null).
pub fn select<'a>(
    query: &Query,
    records: impl IntoIterator<Item = &'a Record>,
    related: &dyn Related,
) -> Selection<'a> {
    let inferred;
    let query = if query.bound {
        query
    } else {
        inferred = crate::bind::infer(query.clone());
        &inferred
    };
    let mut matched: Vec<(usize, &Record)> = match &query.where_clause {
        Some(condition) => records
            .into_iter()
            .enumerate()
            .filter(|(_, r)| matches(condition, r, related))
            .collect(),
        None => records.into_iter().enumerate().collect(),
    };
    let total_size = matched.len();
    let offset = query
        .offset
        .map_or(0, |o| usize::try_from(o).unwrap_or(usize::MAX));
    let limit = query
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    if query.is_count {
        return Selection {
            total_size: total_size.saturating_sub(offset).min(limit),
            records: Vec::new(),
            positions: Vec::new(),
        };
    }
    if !query.order_by.is_empty() {
        // One flat key table (`width` keys per match), then a stable sort of indices.
        let width = query.order_by.len();
        let keys: Vec<Key<'_>> = matched
            .iter()
            .flat_map(|&(_, record)| {
                query.order_by.iter().map(move |item| {
                    key_of(to_val(
                        lookup(&item.field, record, related),
                        item.field.field_type,
                    ))
                })
            })
            .collect();
        let row = |i: usize| keys.get(i * width..(i + 1) * width).unwrap_or(&[]);
        let mut order: Vec<usize> = (0..matched.len()).collect();
        // Full ties keep their input order (the index decides last), so the faster unstable
        // sort gives the stable order.
        order.sort_unstable_by(|&a, &b| {
            query
                .order_by
                .iter()
                .zip(row(a).iter().zip(row(b).iter()))
                .map(|(item, (ka, kb))| cmp_key(ka, kb, item))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.cmp(&b))
        });
        matched = order
            .into_iter()
            .filter_map(|i| matched.get(i).copied())
            .collect();
    }
    let end = offset.saturating_add(limit).min(matched.len());
    let page = matched.get(offset.min(end)..end).unwrap_or_default();
    Selection {
        total_size,
        records: page.iter().map(|&(_, record)| record).collect(),
        positions: page.iter().map(|&(position, _)| position).collect(),
    }
}

/// Filters, sorts, offsets, limits and projects. Each output record is a JSON object with
/// `"attributes": {"type": <Object>, "url": "/services/data/v<api_version>/sobjects/<Object>/<Id>"}`
/// then the selected fields in SELECT order with describe casing; relationship fields nested
/// as `"Owner": {"attributes": {"type": "User", "url": ...}, "Name": ...}` or `"Owner": null`.
/// `total_size` counts all matches before OFFSET/LIMIT (`COUNT()` → records empty, total =
/// the count, which honours OFFSET/LIMIT as Salesforce does).
///
/// Expects a [`bind`](crate::bind)-ed query; an unbound one is evaluated best-effort (types
/// inferred from the literals, relationship paths read as null).
pub fn evaluate<'a>(
    query: &Query,
    records: impl IntoIterator<Item = &'a Record>,
    related: &dyn Related,
    api_version: &str,
) -> Evaluated {
    let selection = select(query, records, related);
    let projection = Projection::new(query, api_version);
    let records = selection
        .records
        .into_iter()
        .map(|record| projection.project(record, related))
        .collect();
    Evaluated {
        total_size: selection.total_size,
        records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_serde_json() {
        for s in [
            "plain",
            "",
            "quote \" and backslash \\",
            "controls \n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "unicode é ß 日本 😀 / </script>",
        ] {
            let mut out = vec![b'"'];
            escape_into(&mut out, s);
            out.push(b'"');
            let expected = serde_json::to_vec(s).expect("serialize");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected)
            );
        }
    }

    fn like(pattern: &str, s: &str) -> bool {
        LikePattern::compile(pattern).matches(s)
    }

    #[test]
    fn like_patterns() {
        assert!(like("abc", "ABC"));
        assert!(like("a%", "apple"));
        assert!(like("%le", "apple"));
        assert!(like("%PP%", "apple"));
        assert!(like("a_ple", "apple"));
        assert!(!like("a_ple", "aple"));
        assert!(like("%", ""));
        assert!(!like("_", ""));
        assert!(like("a%b%c", "aXXbYYc"));
        assert!(!like("a%b%c", "aXXbYY"));
        assert!(like(r"100\%", "100%"));
        assert!(!like(r"100\%", "1000"));
        assert!(like(r"a\_b", "a_b"));
        assert!(!like(r"a\_b", "axb"));
        assert!(like("%%%a", "bba"));
        assert!(like("ÉCOLE%", "école normale"));
        assert!(like("stra%e", "STRAßE"));
        assert!(!like("abc", "abcd"));
    }

    #[test]
    fn ids_compare_across_15_and_18_characters() {
        assert!(id_eq("003000000000001AAA", "003000000000001"));
        assert!(id_eq("003000000000001", "003000000000001AAA"));
        assert!(!id_eq("003000000000002", "003000000000001AAA"));
        assert!(!id_eq("003000000000001aaa", "003000000000001AAA"));
        assert!(id_eq("x", "x"));
    }

    #[test]
    fn case_insensitive_helpers() {
        assert!(ci_eq("Smith", "SMITH"));
        assert!(!ci_eq("Smith", "SMITHS"));
        assert!(ci_eq("müller", "MÜLLER"));
        assert_eq!(ci_cmp("abc", "ABD"), Ordering::Less);
        assert_eq!(ci_cmp("b", "A"), Ordering::Greater);
        assert_eq!(ci_cmp("é", "É"), Ordering::Equal);
    }
}
