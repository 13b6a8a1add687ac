//! Why a filter was refused. Every message is a sentence an admin can act on; the UI shows
//! it as is.

use crate::{
    FieldKind, MAX_CONDITIONS, MAX_DEPTH, MAX_LIST_VALUES, MAX_VALUE_CHARS, MAX_WHERE_CHARS, Op,
};

/// A filter that cannot be used, with the reason in words for an admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The JSON is not a filter at all (the detail is serde's description).
    #[error("The filter could not be read: {0}")]
    Malformed(String),
    #[error("The field \"{field}\" is not a field of {object}.")]
    UnknownField { object: String, field: String },
    /// A describe name that could not be written safely into SOQL.
    #[error("The field \"{field}\" does not have a valid Salesforce API name.")]
    InvalidFieldName { field: String },
    #[error("\"{}\" cannot be used with field {field} (a {} field).", .op.label(), .kind.label())]
    OperatorNotAllowed {
        field: String,
        op: Op,
        kind: FieldKind,
    },
    #[error("Enter a value for field {field}, or use \"is empty\".")]
    MissingValue { field: String },
    #[error("Enter at least one value for field {field}.")]
    EmptyList { field: String },
    #[error("Field {field} has {count} values; at most {max} are allowed.", max = MAX_LIST_VALUES)]
    TooManyValues { field: String, count: usize },
    #[error("A value for field {field} is longer than {max} characters.", max = MAX_VALUE_CHARS)]
    ValueTooLong { field: String },
    #[error("A value for field {field} contains a control character.")]
    ControlCharacter { field: String },
    #[error("\"{value}\" is not a number (field {field}).")]
    NotANumber { field: String, value: String },
    #[error("\"{value}\" is not a whole number (field {field}).")]
    NotAWholeNumber { field: String, value: String },
    #[error("\"{value}\" is not true or false (field {field}).")]
    NotABoolean { field: String, value: String },
    #[error("\"{value}\" is not a date; write it as YYYY-MM-DD (field {field}).")]
    NotADate { field: String, value: String },
    #[error(
        "\"{value}\" is not a date and time; write it as YYYY-MM-DDTHH:MM:SSZ or with an offset such as 2025-03-01T09:00:00+01:00 (field {field})."
    )]
    NotADateTime { field: String, value: String },
    #[error("\"{value}\" is outside the dates Salesforce accepts, 1700 to 4000 (field {field}).")]
    DateOutOfRange { field: String, value: String },
    #[error(
        "\"{value}\" is not a Salesforce record id of 15 or 18 letters and digits (field {field})."
    )]
    NotAnId { field: String, value: String },
    #[error("A group must contain at least one condition.")]
    EmptyGroup,
    #[error("Groups are nested too deeply; at most {max} levels are allowed.", max = MAX_DEPTH)]
    TooDeep,
    #[error("The filter has more than {max} conditions.", max = MAX_CONDITIONS)]
    TooManyConditions,
    #[error(
        "The filter is too long for Salesforce (more than {max} characters of SOQL); use fewer or shorter values.",
        max = MAX_WHERE_CHARS
    )]
    TooLong,
}
