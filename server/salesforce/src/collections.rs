//! sObject Collections: several records created in one REST call
//! (`POST /services/data/vNN.0/composite/sobjects`), one save result per record, in order.
//!
//! The call is chunk-free: the caller sends at most [`MAX_COLLECTION_RECORDS`] records and
//! anything more is refused before sending. A create whose answer is lost fails with
//! [`SalesforceError::OutcomeUnknown`]: some or all records may exist, so a retry must look
//! for them first (e.g. Tasks by `CallObject`) instead of creating them again.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    error::{SalesforceError, transport},
    session::{Session, api_error, printable},
};

/// Most records one sObject Collections call takes.
pub const MAX_COLLECTION_RECORDS: usize = 200;

/// What Salesforce did with one record of a collection (its `SaveResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionResult {
    /// The new record's id when it was saved.
    #[serde(default)]
    pub id: Option<String>,
    pub success: bool,
    /// Why it was not saved; with `allOrNone`, the valid records of a refused call carry
    /// `ALL_OR_NONE_OPERATION_ROLLED_BACK`.
    #[serde(default)]
    pub errors: Vec<ApiErrorDetail>,
}

/// One error of a save result: `{"statusCode","message","fields"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorDetail {
    /// Salesforce's code, e.g. `REQUIRED_FIELD_MISSING`, `INVALID_CROSS_REFERENCE_KEY`.
    pub status_code: String,
    #[serde(default)]
    pub message: String,
    /// The fields the error is about (may be empty).
    #[serde(default)]
    pub fields: Vec<String>,
}

impl Session {
    /// Creates `records` in one call, in order; each must be a JSON object naming its object
    /// in `attributes.type` (`{"attributes":{"type":"Task"},"Subject":"Call",...}`) and have
    /// no `Id`. With `all_or_none`, one refused record saves none.
    ///
    /// Answers one [`CollectionResult`] per record, in the order sent. Fails with
    /// [`SalesforceError::TooManyRecords`] (more than [`MAX_COLLECTION_RECORDS`]) or
    /// [`SalesforceError::InvalidInput`] (a record without `attributes.type`) before sending
    /// anything; with [`SalesforceError::Transport`] when Salesforce was never reached (nothing
    /// was created); with [`SalesforceError::OutcomeUnknown`] when the request went out but
    /// no usable answer came back (records may exist); with [`SalesforceError::Api`] when
    /// Salesforce refused the whole request (nothing was created). No records → no call.
    pub async fn create_collection(
        &self,
        records: &[Value],
        all_or_none: bool,
    ) -> Result<Vec<CollectionResult>, SalesforceError> {
        check_records(records)?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let path = format!("/services/data/v{}/composite/sobjects", self.api_version());
        let url = self.url(&path)?;
        let body = serde_json::to_vec(&json!({"allOrNone": all_or_none, "records": records}))
            .map_err(|e| SalesforceError::InvalidInput(format!("the records are not JSON: {e}")))?;
        let response = self.send(Method::POST, url.clone(), Some(body)).await?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| SalesforceError::OutcomeUnknown(transport(&e)))?;
        if !status.is_success() {
            return Err(api_error(status, &text, &url));
        }
        read_results(&text, records.len())
    }
}

/// Refuses what Salesforce would refuse as a whole, before sending.
fn check_records(records: &[Value]) -> Result<(), SalesforceError> {
    if records.len() > MAX_COLLECTION_RECORDS {
        return Err(SalesforceError::TooManyRecords {
            count: records.len(),
            max: MAX_COLLECTION_RECORDS,
        });
    }
    for (index, record) in records.iter().enumerate() {
        let typed = record
            .get("attributes")
            .and_then(|attributes| attributes.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|name| !name.is_empty());
        if !typed {
            return Err(SalesforceError::InvalidInput(format!(
                "record {index} of the collection has no attributes.type"
            )));
        }
    }
    Ok(())
}

/// The save results of a successful answer. Salesforce answered 2xx, so the records may
/// exist: an answer that cannot be matched to them is [`SalesforceError::OutcomeUnknown`].
fn read_results(text: &str, sent: usize) -> Result<Vec<CollectionResult>, SalesforceError> {
    let results: Vec<CollectionResult> = serde_json::from_str(text).map_err(|e| {
        SalesforceError::OutcomeUnknown(printable(&format!(
            "the answer to the collection create could not be read: {e}"
        )))
    })?;
    if results.len() != sent {
        return Err(SalesforceError::OutcomeUnknown(format!(
            "the answer to the collection create has {} results for {sent} records",
            results.len()
        )));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_read_in_salesforce_shape() {
        let text = r#"[{"id":"00T000000000001AAA","success":true,"errors":[]},
            {"success":false,"errors":[{"statusCode":"INVALID_CROSS_REFERENCE_KEY","message":"invalid cross reference id","fields":[]}]}]"#;
        let results = read_results(text, 2).expect("results");
        assert_eq!(results[0].id.as_deref(), Some("00T000000000001AAA"));
        assert!(results[0].success);
        assert_eq!(results[1].id, None);
        assert_eq!(
            results[1].errors[0].status_code,
            "INVALID_CROSS_REFERENCE_KEY"
        );
        assert!(matches!(
            read_results(text, 3),
            Err(SalesforceError::OutcomeUnknown(_))
        ));
        assert!(matches!(
            read_results("<html>", 1),
            Err(SalesforceError::OutcomeUnknown(_))
        ));
    }

    #[test]
    fn records_are_checked_before_sending() {
        let task = json!({"attributes": {"type": "Task"}, "Subject": "Call"});
        assert!(check_records(&vec![task.clone(); 200]).is_ok());
        assert_eq!(
            check_records(&vec![task.clone(); 201]),
            Err(SalesforceError::TooManyRecords {
                count: 201,
                max: 200
            })
        );
        let untyped = json!({"Subject": "Call"});
        assert!(matches!(
            check_records(&[task, untyped]),
            Err(SalesforceError::InvalidInput(message)) if message.contains("record 1")
        ));
    }
}
