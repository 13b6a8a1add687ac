//! SOQL: parse, bind and evaluate the subset of Salesforce's query language that sync clients
//! send. This is the simulator's query engine.
//!
//! The engine is written by hand — a small lexer ([`lexer`]) feeding a recursive-descent parser
//! ([`parser`]) — because no SOQL crate fits (the few that exist are incomplete, unmaintained or
//! produce no Salesforce-shaped errors). The pipeline has three steps:
//!
//! 1. [`parse`] turns text into a [`Query`] (syntax only; `MALFORMED_QUERY` on errors, and
//!    `NUMBER_OUTSIDE_VALID_RANGE` for an OFFSET above [`MAX_OFFSET`]),
//! 2. [`bind`] checks it against a [`Schema`] (`INVALID_TYPE` for an unknown object,
//!    `INVALID_FIELD` for unknown fields or literals of the wrong type), fixes the casing of
//!    every name to the describe casing and pre-compiles literals (datetimes become instants,
//!    strings are upper-cased once for case-insensitive comparison, LIKE patterns are compiled),
//! 3. [`evaluate`] filters, sorts, pages and projects records in the shape of the REST API.
//!
//! Supported: `SELECT <fields | COUNT()> FROM <Object> [WHERE ...] [ORDER BY ...] [LIMIT n]
//! [OFFSET n]` with relationship paths (`Owner.Name`), `AND`/`OR`/`NOT` with parentheses,
//! `= != <> < <= > >= LIKE IN NOT IN`, and string, number, boolean, `null`, date and datetime
//! literals. Like Salesforce, `AND` and `OR` cannot be mixed at one level without parentheses
//! (`a = 1 OR b = 2 AND c = 3` is a `MALFORMED_QUERY`), and `NOT` applies to one condition.

mod bind;
mod datetime;
mod error;
mod eval;
mod lexer;
mod parser;

pub use bind::bind;
pub use eval::{Projection, Selection, evaluate, select};
pub use parser::parse;

/// One record as the simulator stores it: field API name (describe casing) → JSON value.
pub type Record = serde_json::Map<String, serde_json::Value>;

/// Deepest nesting of parentheses accepted in a WHERE clause.
pub const MAX_NESTING_DEPTH: usize = 64;

/// Largest OFFSET Salesforce accepts.
pub const MAX_OFFSET: u64 = 2000;

/// The Salesforce `errorCode` of a query error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    MalformedQuery,
    InvalidField,
    InvalidType,
    /// A number outside its allowed range, e.g. `OFFSET 2001` (`NUMBER_OUTSIDE_VALID_RANGE`).
    NumberOutsideValidRange,
}

impl ErrorCode {
    /// The wire spelling, e.g. `"MALFORMED_QUERY"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedQuery => "MALFORMED_QUERY",
            ErrorCode::InvalidField => "INVALID_FIELD",
            ErrorCode::InvalidType => "INVALID_TYPE",
            ErrorCode::NumberOutsideValidRange => "NUMBER_OUTSIDE_VALID_RANGE",
        }
    }
}

/// A query error with Salesforce's `errorCode` and `message` (the message carries the
/// `"\n<excerpt>\n   ^\nERROR at Row:r:Column:c\n<description>"` layout Salesforce uses).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error_code:?}: {message}")]
pub struct SoqlError {
    pub error_code: ErrorCode,
    pub message: String,
}

/// The field types the engine distinguishes (how values compare and sort).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Id,
    Reference,
    /// Any text: string, textarea, picklist, phone, email, url...
    String,
    Boolean,
    Int,
    /// double, currency, percent.
    Double,
    Date,
    DateTime,
}

/// What the org knows about objects and fields (implemented by the simulator).
pub trait Schema {
    /// The describe casing of the object (e.g. "Contact" for "contact"), if it exists.
    fn object_name(&self, name: &str) -> Option<String>;
    /// The describe casing and type of a field of `object`, if it exists.
    fn field(&self, object: &str, field: &str) -> Option<(String, FieldType)>;
    /// For a relationship name like "Owner" on `object`: (relationship casing, target object,
    /// the id field e.g. "OwnerId").
    fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)>;
}

/// Looks up the parent record of a relationship (e.g. the User behind OwnerId).
pub trait Related {
    fn record(&self, object: &str, id: &str) -> Option<&Record>;
}

/// A parsed (and, after [`bind`], validated) query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The query text, kept for error messages raised by [`bind`].
    pub source: String,
    /// The object after FROM: as written after [`parse`], describe casing after [`bind`].
    pub object: String,
    /// Byte offset of the object name in `source`.
    pub object_pos: usize,
    /// The selected fields in SELECT order (empty for `COUNT()`).
    pub fields: Vec<FieldPath>,
    pub where_clause: Option<Condition>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// `SELECT COUNT() FROM ...`.
    pub is_count: bool,
    pub(crate) bound: bool,
}

impl Query {
    /// Whether [`bind`] has validated this query (and resolved casing and types).
    pub fn is_bound(&self) -> bool {
        self.bound
    }
}

/// A field reference: `Phone`, or a relationship path such as `Owner.Name`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    /// The segments: as written after [`parse`]; after [`bind`] the relationship names and the
    /// field name in describe casing (`["Owner", "Name"]`).
    pub path: Vec<String>,
    /// After [`bind`]: one entry per relationship hop (`path.len() - 1` entries).
    pub relationships: Vec<Relationship>,
    /// After [`bind`]: the type of the final field.
    pub field_type: Option<FieldType>,
    /// Byte offset of the path in the query text.
    pub pos: usize,
}

impl FieldPath {
    /// The dotted name, e.g. `"Owner.Name"`.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// One relationship hop of a [`FieldPath`], resolved by [`bind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// Relationship name in describe casing (`"Owner"`), the key of the nested JSON object.
    pub name: String,
    /// The parent object (`"User"`).
    pub object: String,
    /// The id field on the child that points at the parent (`"OwnerId"`).
    pub id_field: String,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare(Comparison),
}

/// `field <op> value` (or `field [NOT] IN (values)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub field: FieldPath,
    pub op: Operator,
    /// One literal, or the list of an `IN` / `NOT IN`.
    pub values: Vec<Literal>,
    /// The compiled pattern of a LIKE (escapes `\%` / `\_` already resolved).
    pub(crate) like: Option<eval::LikePattern>,
    /// The literals converted to the field's type by [`bind`].
    pub(crate) typed: Vec<eval::Typed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    /// `!=` or `<>`.
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    In,
    NotIn,
}

/// A literal as written in the query.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    Integer(i64),
    Decimal(f64),
    /// With escapes resolved.
    String(String),
    Date(chrono::NaiveDate),
    DateTime(chrono::DateTime<chrono::FixedOffset>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

impl NullsOrder {
    /// Where nulls go when the query does not say: first, for ASC and DESC alike ("By default,
    /// null values are sorted first" — the SOQL reference does not make DESC imply NULLS LAST).
    pub fn default_for(direction: SortDirection) -> NullsOrder {
        match direction {
            SortDirection::Asc | SortDirection::Desc => NullsOrder::First,
        }
    }
}

/// One ORDER BY item; `nulls` is already resolved to its default when not written.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub field: FieldPath,
    pub direction: SortDirection,
    pub nulls: NullsOrder,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// All matches before OFFSET/LIMIT; for `COUNT()` the count (which, as in Salesforce,
    /// honours OFFSET and LIMIT).
    pub total_size: usize,
    /// The projected page (after ORDER BY, OFFSET and LIMIT); empty for `COUNT()`.
    pub records: Vec<serde_json::Value>,
}
