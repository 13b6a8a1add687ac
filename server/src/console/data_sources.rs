//! Data Sources (DS-01): named, filtered views of one Org Sync's object. The filter is
//! checked against the object's fields from Salesforce's describe before it is stored;
//! saving brings the campaigns linked to it in line at once, and a new field makes the
//! engine fetch it for every mirrored record (IG-03).

use std::collections::BTreeSet;

use app::{
    error::AppError,
    ssr::SignedInUser,
    types::{
        DataSourceEditorView, DataSourceForm, DataSourceView, DataSourcesView, PreviewRecord,
        PreviewView, filter_text,
    },
};
use filters::{FieldInfo, ValidFilter};
use store::{
    data_source_links,
    data_sources::{self as stored, DataSourceSettings},
    entities::data_sources,
};

use super::{Console, internal};
use crate::{
    campaigns::{materialize::valid_filter, readiness},
    salesforce_sessions::SessionError,
};

/// Matches the preview lists.
const PREVIEW_SAMPLE: usize = 5;
const MAX_NAME: usize = 100;
const MAX_FIELDS: usize = 100;

impl Console {
    pub(super) async fn data_sources_view(
        &self,
        admin: &SignedInUser,
    ) -> Result<DataSourcesView, AppError> {
        let org = admin.organization_id;
        let rows = stored::list_for_org(&self.db, org)
            .await
            .map_err(internal)?;
        let objects = self.sync_objects(org).await?;
        let campaigns = store::campaigns::list_for_org(&self.db, org)
            .await
            .map_err(internal)?;
        let mut data_sources = Vec::with_capacity(rows.len());
        for row in &rows {
            let links = data_source_links::list_for_data_source(&self.db, row.id)
                .await
                .map_err(internal)?;
            let names = links
                .iter()
                .filter_map(|l| campaigns.iter().find(|c| c.id == l.campaign_id))
                .map(|c| c.name.clone())
                .collect();
            data_sources.push(data_source_view(row, &objects, names)?);
        }
        let mut org_syncs: Vec<(i64, String)> = objects.into_iter().collect();
        org_syncs.sort();
        Ok(DataSourcesView {
            data_sources,
            org_syncs,
        })
    }

    pub(super) async fn data_source_editor_view(
        &self,
        admin: &SignedInUser,
        id: Option<i64>,
        org_sync_id: Option<i64>,
    ) -> Result<DataSourceEditorView, AppError> {
        let org = admin.organization_id;
        let objects = self.sync_objects(org).await?;
        let existing = match id {
            Some(id) => Some(self.find_data_source(org, id).await?),
            None => None,
        };
        let org_sync_id = existing
            .as_ref()
            .map(|d| d.org_sync_id)
            .or(org_sync_id)
            .ok_or_else(|| AppError::Validation {
                field: "org_sync_id".into(),
                message: "Choose the synced object the Data Source views.".into(),
            })?;
        let object = objects
            .get(&org_sync_id)
            .cloned()
            .ok_or_else(|| AppError::NotFound("That Org Sync".into()))?;
        let (fields, describe_error) = match self.describe(org, &object).await {
            Ok(fields) => (fields, None),
            Err(message) => (
                existing
                    .as_ref()
                    .map(|d| serde_json::from_str(&d.field_info).unwrap_or_default())
                    .unwrap_or_default(),
                Some(message),
            ),
        };
        let data_source = match &existing {
            Some(row) => Some(data_source_view(row, &objects, Vec::new())?),
            None => None,
        };
        Ok(DataSourceEditorView {
            data_source,
            org_sync_id,
            object,
            fields,
            describe_error,
        })
    }

    pub(super) async fn save_data_source_for(
        &self,
        admin: &SignedInUser,
        id: Option<i64>,
        form: DataSourceForm,
    ) -> Result<DataSourceView, AppError> {
        let org = admin.organization_id;
        let existing = match id {
            Some(id) => Some(self.find_data_source(org, id).await?),
            None => None,
        };
        // The Org Sync of a Data Source is chosen once.
        let org_sync_id = existing
            .as_ref()
            .map_or(form.org_sync_id, |d| d.org_sync_id);
        let name = form.name.trim();
        if name.is_empty() {
            return Err(invalid("name", "Enter a name for the Data Source."));
        }
        if name.chars().count() > MAX_NAME {
            return Err(invalid(
                "name",
                "Keep the Data Source name under 100 characters.",
            ));
        }
        let checked = self
            .checked_form(org, org_sync_id, existing.as_ref(), &form)
            .await?;
        let settings = DataSourceSettings {
            name: name.to_owned(),
            filter: checked.filter.filter().to_json(),
            fields: serde_json::to_string(&checked.fetched).map_err(internal)?,
            field_info: serde_json::to_string(&checked.field_info).map_err(internal)?,
        };
        let row = match &existing {
            Some(row) => stored::update(&self.db, org, row.id, &settings)
                .await
                .map_err(internal)?
                .ok_or_else(|| AppError::NotFound("That Data Source".into()))?,
            None => stored::create(&self.db, org, org_sync_id, &settings)
                .await
                .map_err(|error| match error {
                    store::StoreError::NotFound(_) => AppError::NotFound("That Org Sync".into()),
                    other => internal(other),
                })?,
        };
        let fields_changed = existing.as_ref().is_none_or(|old| old.fields != row.fields);
        tracing::info!(
            organization = org,
            data_source = row.id,
            org_sync = org_sync_id,
            "Data Source saved"
        );
        self.campaigns_follow(org, org_sync_id, fields_changed)
            .await?;
        let objects = self.sync_objects(org).await?;
        data_source_view(&row, &objects, Vec::new())
    }

    pub(super) async fn preview_for(
        &self,
        admin: &SignedInUser,
        id: Option<i64>,
        form: DataSourceForm,
    ) -> Result<PreviewView, AppError> {
        let org = admin.organization_id;
        let existing = match id {
            Some(id) => Some(self.find_data_source(org, id).await?),
            None => None,
        };
        let org_sync_id = existing
            .as_ref()
            .map_or(form.org_sync_id, |d| d.org_sync_id);
        let checked = self
            .checked_form(org, org_sync_id, existing.as_ref(), &form)
            .await?;
        let row = store::org_syncs::find(&self.db, org, org_sync_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That Org Sync".into()))?;
        let held = crate::sync::fields::held(&row);
        let in_mirror = crate::sync::fields::not_held(&held, &checked.fetched).is_empty();
        if in_mirror {
            self.preview_from_mirror(org_sync_id, &checked).await
        } else {
            self.preview_from_salesforce(org, row.object.as_str(), &checked)
                .await
        }
    }

    /// The preview evaluated on the mirror, which holds every field the form reads.
    async fn preview_from_mirror(
        &self,
        org_sync_id: i64,
        checked: &CheckedForm,
    ) -> Result<PreviewView, AppError> {
        let rows = store::mirror::all(&self.db, org_sync_id)
            .await
            .map_err(internal)?;
        let mut preview = PreviewView {
            matching: 0,
            mirrored: 0,
            sample: Vec::new(),
            soql_where: checked.filter.to_soql_where().map(str::to_owned),
        };
        for row in rows.iter().filter(|r| !r.deleted) {
            let Ok(fields) = store::mirror::fields(row) else {
                continue;
            };
            preview.mirrored += 1;
            if !checked.filter.matches(&fields) {
                continue;
            }
            preview.matching += 1;
            if preview.sample.len() < PREVIEW_SAMPLE {
                preview.sample.push(PreviewRecord {
                    sf_id: row.sf_id.clone(),
                    ..sample_record(&fields, &checked.chosen)
                });
            }
        }
        Ok(preview)
    }

    /// The preview asked of Salesforce, for a form that reads fields the mirror does not hold
    /// yet (the engine fetches them once the Data Source is saved): the filter rendered to
    /// SOQL, counted and sampled there.
    async fn preview_from_salesforce(
        &self,
        org: i64,
        object: &str,
        checked: &CheckedForm,
    ) -> Result<PreviewView, AppError> {
        let unavailable = |message: String| AppError::Validation {
            field: "filter".into(),
            message: format!(
                "The mirror does not hold every field this Data Source reads yet, and Salesforce could not be asked: {message}"
            ),
        };
        let Some(integration) = &self.salesforce else {
            return Err(unavailable(app::types::NO_TOKEN_MESSAGE.to_string()));
        };
        let session = integration
            .sessions
            .session(org)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let soql_where = checked.filter.to_soql_where().map(str::to_owned);
        let filter = soql_where
            .as_deref()
            .map(|w| format!(" WHERE {w}"))
            .unwrap_or_default();
        let count = |soql: String| {
            let session = session.clone();
            async move {
                session
                    .query::<serde_json::Value>(&soql, false)
                    .await
                    .map(|page| page.total_size)
                    .map_err(|e| unavailable(e.to_string()))
            }
        };
        let mirrored = count(format!("SELECT COUNT() FROM {object}")).await?;
        let matching = count(format!("SELECT COUNT() FROM {object}{filter}")).await?;
        let mut select = vec!["Id".to_string(), "FirstName".into(), "LastName".into()];
        select.extend(
            checked
                .chosen
                .iter()
                .filter(|f| !select.contains(f))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let soql = format!(
            "SELECT {} FROM {object}{filter} ORDER BY Id LIMIT {PREVIEW_SAMPLE}",
            select.join(", ")
        );
        let page = session
            .query::<serde_json::Map<String, serde_json::Value>>(&soql, false)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let sample = page
            .records
            .iter()
            .map(|fields| sample_record(fields, &checked.chosen))
            .collect();
        Ok(PreviewView {
            matching,
            mirrored,
            sample,
            soql_where,
        })
    }

    pub(super) async fn delete_data_source_for(
        &self,
        admin: &SignedInUser,
        id: i64,
    ) -> Result<(), AppError> {
        let org = admin.organization_id;
        let row = self.find_data_source(org, id).await?;
        stored::remove(&self.db, org, id).await.map_err(internal)?;
        tracing::info!(
            organization = org,
            data_source = id,
            "Data Source removed with its Links; imported records stay"
        );
        self.campaigns_follow(org, row.org_sync_id, false).await
    }

    /// The form checked against the object's describe (or, when Salesforce cannot be asked,
    /// against the fields the existing Data Source was built with).
    async fn checked_form(
        &self,
        org: i64,
        org_sync_id: i64,
        existing: Option<&data_sources::Model>,
        form: &DataSourceForm,
    ) -> Result<CheckedForm, AppError> {
        let objects = self.sync_objects(org).await?;
        let object = objects
            .get(&org_sync_id)
            .cloned()
            .ok_or_else(|| AppError::NotFound("That Org Sync".into()))?;
        let describe = match self.describe(org, &object).await {
            Ok(fields) => fields,
            Err(message) => match existing {
                Some(row) => serde_json::from_str(&row.field_info).unwrap_or_default(),
                None => return Err(invalid("fields", &message)),
            },
        };
        if form.fields.len() > MAX_FIELDS {
            return Err(invalid("fields", "A Data Source reads at most 100 fields."));
        }
        let mut chosen = Vec::new();
        for name in form
            .fields
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
        {
            let info = describe
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    invalid(
                        "fields",
                        &format!("The field \"{name}\" is not a field of {object}."),
                    )
                })?;
            if !chosen.contains(&info.name) {
                chosen.push(info.name.clone());
            }
        }
        if chosen.is_empty() {
            return Err(invalid(
                "fields",
                "Choose the fields the Data Source reads (at least the phone number fields).",
            ));
        }
        let filter =
            form.filter
                .validate(&object, &describe)
                .map_err(|error| AppError::Validation {
                    field: "filter".into(),
                    message: error.to_string(),
                })?;
        // What it reads: the chosen fields and the filter's (the engine adds what
        // dial-readiness needs).
        let mut fetched: BTreeSet<String> = chosen.iter().cloned().collect();
        fetched.extend(filter.fields());
        let field_info = describe
            .iter()
            .filter(|f| fetched.contains(&f.name))
            .cloned()
            .collect();
        Ok(CheckedForm {
            chosen,
            fetched: fetched.into_iter().collect(),
            field_info,
            filter,
        })
    }

    /// The object's filterable fields from Salesforce, or why they cannot be read.
    async fn describe(&self, org: i64, object: &str) -> Result<Vec<FieldInfo>, String> {
        let Some(integration) = &self.salesforce else {
            return Err(app::types::NO_TOKEN_MESSAGE.to_string());
        };
        let session = match integration.sessions.session(org).await {
            Ok(session) => session,
            Err(SessionError::NotConnected) => return Err(app::types::NO_TOKEN_MESSAGE.to_string()),
            Err(error) => return Err(error.to_string()),
        };
        self.describes
            .fields(org, object, &session)
            .await
            .map(|fields| fields.as_ref().clone())
            .map_err(|error| {
                format!("orgsync could not read the fields of {object} from Salesforce: {error}")
            })
    }
}

/// A matching record as the preview lists it: its name and the chosen fields' values.
fn sample_record(
    fields: &serde_json::Map<String, serde_json::Value>,
    chosen: &[String],
) -> PreviewRecord {
    let text = |name: &str| match readiness::field(fields, name) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    PreviewRecord {
        sf_id: text("Id"),
        name: [text("FirstName"), text("LastName")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        values: chosen.iter().map(|f| (f.clone(), text(f))).collect(),
    }
}

/// A Data Source form that passed every check.
struct CheckedForm {
    /// The fields the administrator chose, in describe casing.
    chosen: Vec<String>,
    /// What it reads: the chosen and the filter's fields.
    fetched: Vec<String>,
    field_info: Vec<FieldInfo>,
    filter: ValidFilter,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Validation {
        field: field.into(),
        message: message.into(),
    }
}

fn data_source_view(
    row: &data_sources::Model,
    objects: &std::collections::HashMap<i64, String>,
    campaigns: Vec<String>,
) -> Result<DataSourceView, AppError> {
    let object = objects.get(&row.org_sync_id).cloned().unwrap_or_default();
    let filter = valid_filter(row, &object).map_err(internal)?;
    let fields: Vec<String> = serde_json::from_str(&row.fields).map_err(internal)?;
    Ok(DataSourceView {
        id: row.id,
        name: row.name.clone(),
        org_sync_id: row.org_sync_id,
        object,
        filter_text: filter_text(filter.filter()),
        filter: filter.filter().clone(),
        fields,
        campaigns,
    })
}
