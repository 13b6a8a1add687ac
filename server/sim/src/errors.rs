//! Salesforce REST error bodies: one enum, each variant mapped to an HTTP status and the
//! JSON array `[{"message":..,"errorCode":..(,"fields":[..])}]`.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::Value;

/// A REST API error as Salesforce reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    InvalidSession,
    MalformedQuery(String),
    InvalidField(String),
    InvalidType(String),
    NotFound,
    EntityIsDeleted,
    MalformedId {
        label: String,
        field: String,
        value: String,
    },
    RequestLimitExceeded,
    ApiDisabled,
    RequiredFieldMissing(Vec<String>),
    InvalidFieldForInsertUpdate(Vec<String>),
    JsonParser(String),
    InvalidQueryLocator,
    InvalidCrossReferenceKey(String),
    StringTooLong {
        field: String,
        label: String,
        value: String,
        max: u32,
    },
    RestrictedPicklist {
        field: String,
        value: String,
    },
    InvalidReplicationDate(String),
    NumberOutsideValidRange(String),
    MethodNotAllowed(String),
    /// An sObject Collections request with more records than `max`.
    ExceededIdLimit {
        max: usize,
    },
    /// A record of an `allOrNone` collection that was valid but not saved because another
    /// record of the request failed.
    AllOrNoneRolledBack,
    /// Anything else, e.g. an injected fault.
    Custom {
        status: StatusCode,
        error_code: String,
        message: String,
    },
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidSession => StatusCode::UNAUTHORIZED,
            ApiError::NotFound | ApiError::EntityIsDeleted => StatusCode::NOT_FOUND,
            ApiError::RequestLimitExceeded | ApiError::ApiDisabled => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Custom { status, .. } => *status,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn error_code(&self) -> &str {
        match self {
            ApiError::InvalidSession => "INVALID_SESSION_ID",
            ApiError::MalformedQuery(_) => "MALFORMED_QUERY",
            ApiError::InvalidField(_) => "INVALID_FIELD",
            ApiError::InvalidType(_) => "INVALID_TYPE",
            ApiError::NotFound => "NOT_FOUND",
            ApiError::EntityIsDeleted => "ENTITY_IS_DELETED",
            ApiError::MalformedId { .. } => "MALFORMED_ID",
            ApiError::RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
            ApiError::ApiDisabled => "API_DISABLED_FOR_ORG",
            ApiError::RequiredFieldMissing(_) => "REQUIRED_FIELD_MISSING",
            ApiError::InvalidFieldForInsertUpdate(_) => "INVALID_FIELD_FOR_INSERT_UPDATE",
            ApiError::JsonParser(_) => "JSON_PARSER_ERROR",
            ApiError::InvalidQueryLocator => "INVALID_QUERY_LOCATOR",
            ApiError::InvalidCrossReferenceKey(_) => "INVALID_CROSS_REFERENCE_KEY",
            ApiError::StringTooLong { .. } => "STRING_TOO_LONG",
            ApiError::RestrictedPicklist { .. } => "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ApiError::InvalidReplicationDate(_) => "INVALID_REPLICATION_DATE",
            ApiError::NumberOutsideValidRange(_) => "NUMBER_OUTSIDE_VALID_RANGE",
            ApiError::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            ApiError::ExceededIdLimit { .. } => "EXCEEDED_ID_LIMIT",
            ApiError::AllOrNoneRolledBack => "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            ApiError::Custom { error_code, .. } => error_code,
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidSession => "Session expired or invalid".into(),
            ApiError::NotFound => "The requested resource does not exist".into(),
            ApiError::EntityIsDeleted => "entity is deleted".into(),
            ApiError::MalformedId { label, value, .. } => {
                format!("{label}: id value of incorrect type: {value}")
            }
            ApiError::RequestLimitExceeded => "TotalRequests Limit exceeded.".into(),
            ApiError::ApiDisabled => "The REST API is not enabled for this Organization.".into(),
            ApiError::RequiredFieldMissing(fields) => {
                format!("Required fields are missing: [{}]", fields.join(", "))
            }
            ApiError::InvalidFieldForInsertUpdate(fields) => format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your user profile or permission set.",
                fields.join(", ")
            ),
            ApiError::InvalidQueryLocator => "invalid query locator".into(),
            ApiError::ExceededIdLimit { max } => {
                format!("record limit reached. cannot submit more than {max} records into this call")
            }
            ApiError::AllOrNoneRolledBack => "Record rolled back because not all records were valid and the request was using AllOrNone header".into(),
            ApiError::StringTooLong {
                label, value, max, ..
            } => {
                format!("{label}: data value too large: {value} (max length={max})")
            }
            ApiError::RestrictedPicklist { value, .. } => {
                format!("bad value for restricted picklist field: {value}")
            }
            ApiError::MalformedQuery(m)
            | ApiError::InvalidField(m)
            | ApiError::InvalidType(m)
            | ApiError::JsonParser(m)
            | ApiError::InvalidCrossReferenceKey(m)
            | ApiError::InvalidReplicationDate(m)
            | ApiError::NumberOutsideValidRange(m)
            | ApiError::MethodNotAllowed(m) => m.clone(),
            ApiError::Custom { message, .. } => message.clone(),
        }
    }

    /// Record-level errors carry `fields`.
    pub fn fields(&self) -> Option<Vec<String>> {
        match self {
            ApiError::EntityIsDeleted => Some(Vec::new()),
            ApiError::MalformedId { field, .. } => Some(vec![field.clone()]),
            ApiError::RequiredFieldMissing(fields)
            | ApiError::InvalidFieldForInsertUpdate(fields) => Some(fields.clone()),
            ApiError::StringTooLong { field, .. } | ApiError::RestrictedPicklist { field, .. } => {
                Some(vec![field.clone()])
            }
            ApiError::InvalidCrossReferenceKey(_) | ApiError::AllOrNoneRolledBack => {
                Some(Vec::new())
            }
            _ => None,
        }
    }

    /// The JSON array body, keys in Salesforce's order (`message`, `errorCode`, `fields`).
    pub fn body(&self) -> String {
        let entry = ErrorEntry {
            message: self.message(),
            error_code: self.error_code(),
            fields: self.fields(),
        };
        serde_json::to_string(&[entry]).unwrap_or_else(|_| "[]".to_string())
    }

    /// The body as a JSON value.
    pub fn body_json(&self) -> Value {
        serde_json::from_str(&self.body()).unwrap_or(Value::Null)
    }

    /// The single error **object** (not array) some resources answer with, e.g. a malformed
    /// sObject Collections body: `{"message":..,"errorCode":..}`.
    pub fn object_response(&self) -> Response {
        let entry = ErrorEntry {
            message: self.message(),
            error_code: self.error_code(),
            fields: None,
        };
        let body = serde_json::to_string(&entry).unwrap_or_else(|_| "{}".to_string());
        (
            self.status(),
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body,
        )
            .into_response()
    }

    /// One entry of a save result's `errors` (sObject Collections), keys in Salesforce's
    /// order: `{"statusCode":..,"message":..,"fields":[..]}` (`fields` always present).
    pub fn save_error(&self) -> Value {
        serde_json::json!({
            "statusCode": self.error_code(),
            "message": self.message(),
            "fields": self.fields().unwrap_or_default(),
        })
    }
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    message: String,
    #[serde(rename = "errorCode")]
    error_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<String>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status(),
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            self.body(),
        )
            .into_response()
    }
}

impl From<soql::SoqlError> for ApiError {
    fn from(error: soql::SoqlError) -> Self {
        match error.error_code {
            soql::ErrorCode::InvalidField => ApiError::InvalidField(error.message),
            soql::ErrorCode::InvalidType => ApiError::InvalidType(error.message),
            soql::ErrorCode::MalformedQuery => ApiError::MalformedQuery(error.message),
            soql::ErrorCode::NumberOutsideValidRange => {
                ApiError::NumberOutsideValidRange(error.message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_session_body_is_exact() {
        assert_eq!(
            ApiError::InvalidSession.body(),
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
        );
        assert_eq!(
            ApiError::EntityIsDeleted.body(),
            r#"[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED","fields":[]}]"#
        );
    }

    #[test]
    fn soql_offset_error_maps_to_number_outside_valid_range() {
        let error = soql::parse("SELECT Id FROM Contact OFFSET 2001").expect_err("offset");
        let api = ApiError::from(error);
        assert_eq!(api.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            api.body(),
            r#"[{"message":"Maximum SOQL offset allowed is 2000","errorCode":"NUMBER_OUTSIDE_VALID_RANGE"}]"#
        );
    }
}
