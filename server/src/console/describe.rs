//! The fields of a Salesforce object as a Data Source form offers them: Salesforce's describe,
//! read with the organization's token and kept a few minutes (admins open the form often;
//! describes change rarely and cost an API call each).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use filters::{FieldInfo, FieldKind};
use salesforce::Session;
use serde_json::Value;
use tokio::sync::Mutex;

/// How long a describe is reused.
const TTL: Duration = Duration::from_secs(10 * 60);

/// When a describe was read, and its fields.
type Entry = (Instant, Arc<Vec<FieldInfo>>);

/// Describes per organization and object.
#[derive(Default)]
pub struct DescribeCache {
    entries: Mutex<HashMap<(i64, String), Entry>>,
}

impl DescribeCache {
    /// The filterable fields of `object`, by label: cached, or read with `session`.
    pub async fn fields(
        &self,
        organization_id: i64,
        object: &str,
        session: &Session,
    ) -> Result<Arc<Vec<FieldInfo>>, salesforce::SalesforceError> {
        let key = (organization_id, object.to_owned());
        if let Some((at, fields)) = self.entries.lock().await.get(&key)
            && at.elapsed() < TTL
        {
            return Ok(fields.clone());
        }
        let path = format!(
            "/services/data/v{}/sobjects/{object}/describe",
            session.api_version()
        );
        let describe: Value = session.get_json(&path).await?;
        let fields = Arc::new(filterable_fields(&describe));
        self.entries
            .lock()
            .await
            .insert(key, (Instant::now(), fields.clone()));
        Ok(fields)
    }
}

/// The describe's fields that a filter can use (a kind we support, `filterable` not false),
/// sorted by label. Anything malformed in Salesforce's answer is skipped, and so is a name
/// that is not a plain API name: these names are written into SOQL as they are.
pub fn filterable_fields(describe: &Value) -> Vec<FieldInfo> {
    let mut fields: Vec<FieldInfo> = describe
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|field| field.get("filterable").and_then(Value::as_bool) != Some(false))
        .filter_map(|field| {
            let name = field
                .get("name")?
                .as_str()
                .filter(|n| filters::is_api_name(n))?;
            let label = field.get("label").and_then(Value::as_str).unwrap_or(name);
            let kind = FieldKind::from_describe_type(field.get("type")?.as_str()?)?;
            Some(FieldInfo::new(name, label, kind))
        })
        .collect();
    fields.sort_by(|a, b| a.label.cmp(&b.label).then(a.name.cmp(&b.name)));
    fields
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_filterable_fields_of_known_kinds_are_offered_by_label() {
        let describe = json!({"fields": [
            {"name": "Phone", "label": "Business Phone", "type": "phone", "filterable": true},
            {"name": "Description", "label": "Description", "type": "textarea", "filterable": false},
            {"name": "MailingAddress", "label": "Mailing Address", "type": "address"},
            {"name": "AnnualRevenue", "label": "Annual Revenue", "type": "currency"},
            {"label": "no name", "type": "string"},
            {"name": "Id FROM User --", "label": "Hostile", "type": "string"},
        ]});
        let fields = filterable_fields(&describe);
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["AnnualRevenue", "Phone"]);
        assert_eq!(fields[0].kind, FieldKind::Number);
        assert!(filterable_fields(&json!({"fields": "nope"})).is_empty());
    }
}
