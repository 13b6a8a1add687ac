//! Campaigns and their Links (DS-02..DS-04): the store is changed first, then the engine is
//! told through the command port, which brings the campaigns in line with the mirror before
//! the answer goes back (so the page shows the records at once).

use std::collections::{BTreeMap, HashMap};

use app::{
    error::AppError,
    ssr::{Caller, SignedInUser},
    types::{
        CampaignForm, CampaignPageView, CampaignRecordView, CampaignSummary, DataSourceOption,
        INTEGRATIONS_FLAG, LinkForm, LinkView, PhoneView, Readiness, ReadinessCounts, RecordsPage,
    },
};
use serde_json::{Map, Value};
use store::{
    StoreError,
    campaign_records::{self, StateCount},
    campaigns::{self as stored, CampaignSettings},
    data_source_links::{self, LinkMappings},
    entities::{
        campaign_records::Model as StoredRecord, campaigns, data_source_links as links,
        data_sources,
    },
};

use super::{Console, internal};
use crate::campaigns::{
    mapping::{CustomFieldMapping, Mappings, PhoneMapping},
    phones::{self, Phone},
};

/// Records per page of a campaign's records.
pub const RECORDS_PER_PAGE: u64 = 25;

const MAX_NAME: usize = 100;
const MAX_SLOTS: usize = 10;
const MAX_CUSTOM_FIELDS: usize = 30;
const MAX_LABEL: usize = 60;

impl Console {
    /// Every campaign of the organization with its counts.
    pub(super) async fn campaign_summaries(
        &self,
        organization_id: i64,
    ) -> Result<Vec<CampaignSummary>, AppError> {
        let rows = stored::list_for_org(&self.db, organization_id)
            .await
            .map_err(internal)?;
        let counts = campaign_records::state_counts_for_org(&self.db, organization_id)
            .await
            .map_err(internal)?;
        rows.iter().map(|row| summary(row, &counts)).collect()
    }

    pub(super) async fn campaign_page_view(
        &self,
        admin: &SignedInUser,
        id: i64,
        search: Option<String>,
        page: u64,
    ) -> Result<CampaignPageView, AppError> {
        let org = admin.organization_id;
        let row = self.find_campaign(org, id).await?;
        let counts = campaign_records::state_counts(&self.db, &[id])
            .await
            .map_err(internal)?;
        let campaign = summary(&row, &counts)?;
        let data_sources_enabled = self.flag(admin, INTEGRATIONS_FLAG).await?;
        let sources = store::data_sources::list_for_org(&self.db, org)
            .await
            .map_err(internal)?;
        let objects = self.sync_objects(org).await?;
        let link_rows = data_source_links::list_for_campaign(&self.db, id)
            .await
            .map_err(internal)?;
        let links = link_rows
            .iter()
            .map(|link| {
                let source = sources.iter().find(|s| s.id == link.data_source_id);
                link_view(link, source, &objects, &counts)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let data_sources = sources
            .iter()
            .map(|source| DataSourceOption {
                id: source.id,
                name: source.name.clone(),
                object: objects
                    .get(&source.org_sync_id)
                    .cloned()
                    .unwrap_or_default(),
                fields: serde_json::from_str(&source.fields).unwrap_or_default(),
            })
            .collect();
        let page = page.max(1);
        let search = search.map(|s| s.trim().to_owned()).unwrap_or_default();
        let (records, total) = campaign_records::page(
            &self.db,
            id,
            Some(search.as_str()),
            (page - 1).saturating_mul(RECORDS_PER_PAGE),
            RECORDS_PER_PAGE,
        )
        .await
        .map_err(internal)?;
        Ok(CampaignPageView {
            campaign,
            links,
            data_sources,
            records: RecordsPage {
                records: records.iter().map(record_view).collect(),
                total,
                page,
                per_page: RECORDS_PER_PAGE,
                search,
            },
            data_sources_enabled,
            calls: self.calls_view(id).await?,
        })
    }

    pub(super) async fn create_campaign_for(
        &self,
        admin: &SignedInUser,
        form: CampaignForm,
    ) -> Result<CampaignSummary, AppError> {
        let settings = validated_campaign(&form)?;
        let row = stored::create(&self.db, admin.organization_id, &settings)
            .await
            .map_err(internal)?;
        tracing::info!(
            organization = admin.organization_id,
            campaign = row.id,
            "campaign created"
        );
        summary(&row, &[])
    }

    pub(super) async fn update_campaign_for(
        &self,
        admin: &SignedInUser,
        id: i64,
        form: CampaignForm,
    ) -> Result<CampaignSummary, AppError> {
        let org = admin.organization_id;
        self.find_campaign(org, id).await?;
        let settings = validated_campaign(&form)?;
        // Every Link must still map to slots and fields the campaign has.
        let link_rows = data_source_links::list_for_campaign(&self.db, id)
            .await
            .map_err(internal)?;
        let mut org_syncs = Vec::new();
        for link in &link_rows {
            let source = self.find_data_source(org, link.data_source_id).await?;
            let fields: Vec<String> = serde_json::from_str(&source.fields).unwrap_or_default();
            let mappings = Mappings::from_json(&link.phone_mappings, &link.custom_field_mappings)
                .map_err(internal)?;
            if let Err(error) = mappings.validated(
                &settings.phone_slots,
                &settings.custom_fields,
                &source.name,
                &fields,
            ) {
                return Err(AppError::Validation {
                    field: "phone_slots".into(),
                    message: format!(
                        "The Data Source \"{}\" is attached with mappings this change would break ({error}) Change or remove that Link first.",
                        source.name
                    ),
                });
            }
            org_syncs.push(source.org_sync_id);
        }
        let row = stored::update(&self.db, org, id, &settings)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That campaign".into()))?;
        org_syncs.sort_unstable();
        org_syncs.dedup();
        for org_sync_id in org_syncs {
            self.campaigns_follow(org, org_sync_id, false).await?;
        }
        let counts = campaign_records::state_counts(&self.db, &[id])
            .await
            .map_err(internal)?;
        summary(&row, &counts)
    }

    pub(super) async fn delete_campaign_for(
        &self,
        admin: &SignedInUser,
        id: i64,
    ) -> Result<(), AppError> {
        match stored::remove_unless_calls_pending(&self.db, admin.organization_id, id)
            .await
            .map_err(internal)?
        {
            stored::Removal::Removed => {}
            stored::Removal::NotFound => return Err(AppError::NotFound("That campaign".into())),
            stored::Removal::CallsPending(count) => {
                return Err(AppError::Validation {
                    field: "id".into(),
                    message: calls_pending_message(count),
                });
            }
        }
        tracing::info!(
            organization = admin.organization_id,
            campaign = id,
            "campaign deleted"
        );
        Ok(())
    }

    pub(super) async fn save_link_for(
        &self,
        admin: &SignedInUser,
        campaign_id: i64,
        link_id: Option<i64>,
        form: LinkForm,
    ) -> Result<LinkView, AppError> {
        let org = admin.organization_id;
        let campaign = self.find_campaign(org, campaign_id).await?;
        let settings = stored::settings(&campaign).map_err(internal)?;
        let existing = match link_id {
            Some(id) => Some(
                data_source_links::find(&self.db, campaign_id, id)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| AppError::NotFound("That Data Source Link".into()))?,
            ),
            None => None,
        };
        // A Link's Data Source is chosen once.
        let data_source_id = existing
            .as_ref()
            .map_or(form.data_source_id, |link| link.data_source_id);
        let source = self.find_data_source(org, data_source_id).await?;
        let fields: Vec<String> = serde_json::from_str(&source.fields).map_err(internal)?;
        let asked = Mappings {
            phones: form
                .phones
                .iter()
                .map(|(slot, field)| PhoneMapping {
                    slot: slot.clone(),
                    field: field.clone(),
                })
                .collect(),
            custom_fields: form
                .custom_fields
                .iter()
                .map(|(custom_field, field)| CustomFieldMapping {
                    custom_field: custom_field.clone(),
                    field: field.clone(),
                })
                .collect(),
        };
        // Forms send mappings by name; the campaign's order (dialing order) is what counts.
        let mut asked = asked;
        let position = |names: &[String], name: &str| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name.trim()))
                .unwrap_or(usize::MAX)
        };
        asked
            .phones
            .sort_by_key(|m| position(&settings.phone_slots, &m.slot));
        asked
            .custom_fields
            .sort_by_key(|m| position(&settings.custom_fields, &m.custom_field));
        let mappings = asked
            .validated(
                &settings.phone_slots,
                &settings.custom_fields,
                &source.name,
                &fields,
            )
            .map_err(|error| AppError::Validation {
                field: "mappings".into(),
                message: error.to_string(),
            })?;
        let (phones, custom_fields) = mappings.to_json();
        let stored_mappings = LinkMappings {
            phones,
            custom_fields,
        };
        let link = match existing {
            Some(link) => {
                data_source_links::update(&self.db, campaign_id, link.id, &stored_mappings)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| AppError::NotFound("That Data Source Link".into()))?
            }
            None => {
                match data_source_links::create(&self.db, source.id, campaign_id, &stored_mappings)
                    .await
                {
                    Ok(link) => link,
                    Err(StoreError::Conflict(message)) => {
                        return Err(AppError::Validation {
                            field: "data_source_id".into(),
                            message,
                        });
                    }
                    Err(StoreError::NotFound(_)) => {
                        return Err(AppError::NotFound("That Data Source".into()));
                    }
                    Err(error) => return Err(internal(error)),
                }
            }
        };
        tracing::info!(
            organization = org,
            campaign = campaign_id,
            link = link.id,
            "Data Source Link saved"
        );
        self.campaigns_follow(org, source.org_sync_id, false)
            .await?;
        let counts = campaign_records::state_counts(&self.db, &[campaign_id])
            .await
            .map_err(internal)?;
        let objects = self.sync_objects(org).await?;
        link_view(&link, Some(&source), &objects, &counts)
    }

    pub(super) async fn remove_link_for(
        &self,
        admin: &SignedInUser,
        campaign_id: i64,
        link_id: i64,
    ) -> Result<(), AppError> {
        let org = admin.organization_id;
        self.find_campaign(org, campaign_id).await?;
        let link = data_source_links::find(&self.db, campaign_id, link_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That Data Source Link".into()))?;
        let source = self.find_data_source(org, link.data_source_id).await?;
        data_source_links::remove(&self.db, campaign_id, link_id)
            .await
            .map_err(internal)?;
        tracing::info!(
            organization = org,
            campaign = campaign_id,
            link = link_id,
            "Data Source Link removed; its records stay"
        );
        self.campaigns_follow(org, source.org_sync_id, false).await
    }

    /// Tells the engine that the Org Sync's Data Sources or Links changed and waits until
    /// its campaigns match the mirror.
    pub(super) async fn campaigns_follow(
        &self,
        organization_id: i64,
        org_sync_id: i64,
        fields_changed: bool,
    ) -> Result<(), AppError> {
        self.commands
            .data_sources_changed(organization_id, org_sync_id, fields_changed)
            .await
            .map_err(internal)
    }

    pub(super) async fn find_campaign(
        &self,
        organization_id: i64,
        id: i64,
    ) -> Result<campaigns::Model, AppError> {
        stored::find(&self.db, organization_id, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That campaign".into()))
    }

    pub(super) async fn find_data_source(
        &self,
        organization_id: i64,
        id: i64,
    ) -> Result<data_sources::Model, AppError> {
        store::data_sources::find(&self.db, organization_id, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound("That Data Source".into()))
    }

    /// The object of each of the organization's Org Syncs, by id.
    pub(super) async fn sync_objects(
        &self,
        organization_id: i64,
    ) -> Result<HashMap<i64, String>, AppError> {
        Ok(store::org_syncs::list(&self.db, organization_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|row| (row.id, row.object.as_str().to_owned()))
            .collect())
    }

    async fn flag(&self, user: &SignedInUser, flag: &str) -> Result<bool, AppError> {
        let org = self.organization_of(user).await?;
        Ok(super::pages::flag_on(&org, flag))
    }
}

/// Why a campaign with calls on their way to Salesforce is not deleted.
fn calls_pending_message(count: u64) -> String {
    let calls = if count == 1 {
        "1 call recorded on this campaign is".to_owned()
    } else {
        format!("{count} calls recorded on this campaign are")
    };
    format!(
        "{calls} not written back to Salesforce yet. Delete the campaign once the Calls tab shows them written or failed, so that no call is lost."
    )
}

/// The campaign form, checked: a name, one to ten distinct phone slots, distinct custom
/// fields, and a region the phone library knows.
fn validated_campaign(form: &CampaignForm) -> Result<CampaignSettings, AppError> {
    let invalid = |field: &str, message: String| AppError::Validation {
        field: field.into(),
        message,
    };
    let name = form.name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Enter a name for the campaign.".into()));
    }
    if name.chars().count() > MAX_NAME {
        return Err(invalid(
            "name",
            format!("Keep the campaign name under {MAX_NAME} characters."),
        ));
    }
    let phone_slots = distinct_labels(&form.phone_slots, "phone slot", MAX_SLOTS)
        .map_err(|message| invalid("phone_slots", message))?;
    if phone_slots.is_empty() {
        return Err(invalid(
            "phone_slots",
            "Give the campaign at least one phone number slot.".into(),
        ));
    }
    let custom_fields = distinct_labels(&form.custom_fields, "custom field", MAX_CUSTOM_FIELDS)
        .map_err(|message| invalid("custom_fields", message))?;
    let region = form.region.trim().to_ascii_uppercase();
    if !phones::is_known_region(&region) {
        return Err(invalid(
            "region",
            format!(
                "\"{}\" is not a region orgsync knows. Use a two-letter country code such as US or GB.",
                form.region.trim()
            ),
        ));
    }
    Ok(CampaignSettings {
        name: name.to_owned(),
        phone_slots,
        custom_fields,
        region,
    })
}

/// Trimmed, non-empty names, each once (ignoring case), at most `max` of them.
fn distinct_labels(items: &[String], what: &str, max: usize) -> Result<Vec<String>, String> {
    let mut labels: Vec<String> = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if item.chars().count() > MAX_LABEL {
            return Err(format!(
                "Keep each {what} name under {MAX_LABEL} characters."
            ));
        }
        // Names become form field keys (`phones[Mobile]`).
        if item.contains(['[', ']']) {
            return Err(format!("A {what} name cannot contain [ or ]."));
        }
        if labels.iter().any(|l| l.eq_ignore_ascii_case(item)) {
            return Err(format!("The {what} \"{item}\" is listed twice."));
        }
        labels.push(item.to_owned());
    }
    if labels.len() > max {
        return Err(format!("A campaign has at most {max} {what}s."));
    }
    Ok(labels)
}

fn summary(row: &campaigns::Model, counts: &[StateCount]) -> Result<CampaignSummary, AppError> {
    let settings = stored::settings(row).map_err(internal)?;
    Ok(CampaignSummary {
        id: row.id,
        name: settings.name,
        created_at: row.created_at.format("%Y-%m-%d").to_string(),
        phone_slots: settings.phone_slots,
        custom_fields: settings.custom_fields,
        region: settings.region,
        counts: readiness_counts(counts.iter().filter(|c| c.campaign_id == row.id)),
    })
}

fn readiness_counts<'a>(counts: impl Iterator<Item = &'a StateCount>) -> ReadinessCounts {
    let mut total = ReadinessCounts::default();
    for count in counts {
        total.add(readiness_of(&count.state), count.count);
    }
    total
}

/// A stored state; an unknown one (a newer version wrote it) counts as not dialable.
fn readiness_of(code: &str) -> Readiness {
    Readiness::from_code(code).unwrap_or(Readiness::NotMatching)
}

fn link_view(
    link: &links::Model,
    source: Option<&data_sources::Model>,
    objects: &HashMap<i64, String>,
    counts: &[StateCount],
) -> Result<LinkView, AppError> {
    let mappings =
        Mappings::from_json(&link.phone_mappings, &link.custom_field_mappings).map_err(internal)?;
    Ok(LinkView {
        id: link.id,
        data_source_id: link.data_source_id,
        data_source_name: source.map(|s| s.name.clone()).unwrap_or_default(),
        object: source
            .and_then(|s| objects.get(&s.org_sync_id).cloned())
            .unwrap_or_default(),
        phones: mappings
            .phones
            .into_iter()
            .map(|m| (m.slot, m.field))
            .collect(),
        custom_fields: mappings
            .custom_fields
            .into_iter()
            .map(|m| (m.custom_field, m.field))
            .collect(),
        counts: readiness_counts(
            counts
                .iter()
                .filter(|c| c.campaign_id == link.campaign_id && c.source_link_id == Some(link.id)),
        ),
    })
}

fn record_view(row: &StoredRecord) -> CampaignRecordView {
    let phones: Vec<Phone> = serde_json::from_str(&row.phones).unwrap_or_default();
    let custom: Map<String, Value> = serde_json::from_str(&row.custom_fields).unwrap_or_default();
    let custom_fields: BTreeMap<String, String> = custom
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    CampaignRecordView {
        sf_id: row.sf_id.clone(),
        object: row.sf_object.clone(),
        name: row.display_name.clone(),
        phones: phones
            .into_iter()
            .map(|p| PhoneView {
                slot: p.slot,
                raw: p.raw,
                e164: p.e164,
            })
            .collect(),
        custom_fields: custom_fields.into_iter().collect(),
        source: row.source_name.clone(),
        readiness: readiness_of(&row.state),
    }
}

/// Who may do what: campaigns are for administrators; anything touching Data Sources also
/// needs the `integrations` feature flag.
#[async_trait::async_trait]
impl app::ssr::CampaignConsole for Console {
    async fn create_campaign(
        &self,
        caller: &Caller,
        form: CampaignForm,
    ) -> Result<CampaignSummary, AppError> {
        self.create_campaign_for(caller.admin()?, form).await
    }

    async fn update_campaign(
        &self,
        caller: &Caller,
        id: i64,
        form: CampaignForm,
    ) -> Result<CampaignSummary, AppError> {
        self.update_campaign_for(caller.admin()?, id, form).await
    }

    async fn delete_campaign(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        self.delete_campaign_for(caller.admin()?, id).await
    }

    async fn campaign_page(
        &self,
        caller: &Caller,
        id: i64,
        search: Option<String>,
        page: u64,
    ) -> Result<CampaignPageView, AppError> {
        self.campaign_page_view(caller.admin()?, id, search, page)
            .await
    }

    async fn data_sources(&self, caller: &Caller) -> Result<app::types::DataSourcesView, AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.data_sources_view(admin).await
    }

    async fn data_source_editor(
        &self,
        caller: &Caller,
        id: Option<i64>,
        org_sync_id: Option<i64>,
    ) -> Result<app::types::DataSourceEditorView, AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.data_source_editor_view(admin, id, org_sync_id).await
    }

    async fn save_data_source(
        &self,
        caller: &Caller,
        id: Option<i64>,
        form: app::types::DataSourceForm,
    ) -> Result<app::types::DataSourceView, AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.save_data_source_for(admin, id, form).await
    }

    async fn preview_data_source(
        &self,
        caller: &Caller,
        id: Option<i64>,
        form: app::types::DataSourceForm,
    ) -> Result<app::types::PreviewView, AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.preview_for(admin, id, form).await
    }

    async fn delete_data_source(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.delete_data_source_for(admin, id).await
    }

    async fn save_link(
        &self,
        caller: &Caller,
        campaign_id: i64,
        link_id: Option<i64>,
        form: LinkForm,
    ) -> Result<LinkView, AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.save_link_for(admin, campaign_id, link_id, form).await
    }

    async fn remove_link(
        &self,
        caller: &Caller,
        campaign_id: i64,
        link_id: i64,
    ) -> Result<(), AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.remove_link_for(admin, campaign_id, link_id).await
    }

    async fn record_call(
        &self,
        caller: &Caller,
        form: app::types::CallForm,
    ) -> Result<app::types::CallView, AppError> {
        let admin = self.data_source_admin(caller).await?;
        let recorder = super::calls::Recorder {
            organization_id: admin.organization_id,
            name: &admin.username,
        };
        let (call, _) = self
            .record_call_for(recorder, form, chrono::Utc::now())
            .await?;
        Ok(call)
    }

    async fn retry_call(&self, caller: &Caller, campaign_id: i64, id: i64) -> Result<(), AppError> {
        let admin = self.data_source_admin(caller).await?;
        self.retry_call_for(admin, campaign_id, id).await
    }

    async fn api_keys(&self, caller: &Caller) -> Result<Vec<app::types::ApiKeyView>, AppError> {
        self.api_keys_for(caller.admin()?).await
    }

    async fn create_api_key(
        &self,
        caller: &Caller,
        name: String,
    ) -> Result<app::types::NewApiKeyView, AppError> {
        self.create_api_key_for(caller.admin()?, &name).await
    }

    async fn revoke_api_key(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        self.revoke_api_key_for(caller.admin()?, id).await
    }
}

impl Console {
    async fn data_source_admin<'c>(
        &self,
        caller: &'c Caller,
    ) -> Result<&'c SignedInUser, AppError> {
        let admin = caller.admin()?;
        self.require_integrations_flag(admin).await?;
        Ok(admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, slots: &[&str], customs: &[&str], region: &str) -> CampaignForm {
        CampaignForm {
            name: name.into(),
            phone_slots: slots.iter().map(|s| s.to_string()).collect(),
            custom_fields: customs.iter().map(|s| s.to_string()).collect(),
            region: region.into(),
        }
    }

    #[test]
    fn a_campaign_form_is_trimmed_and_checked() {
        let settings = validated_campaign(&form(
            " Renewals ",
            &["Primary", " Mobile", ""],
            &["Company"],
            "gb",
        ))
        .expect("valid");
        assert_eq!(settings.name, "Renewals");
        assert_eq!(settings.phone_slots, ["Primary", "Mobile"]);
        assert_eq!(settings.region, "GB");
    }

    #[test]
    fn a_campaign_form_is_refused_with_a_reason() {
        let message = |f: CampaignForm| validated_campaign(&f).expect_err("refused").to_string();
        assert_eq!(
            message(form(" ", &["Primary"], &[], "US")),
            "Enter a name for the campaign."
        );
        assert_eq!(
            message(form("A", &[], &[], "US")),
            "Give the campaign at least one phone number slot."
        );
        assert_eq!(
            message(form("A", &["Primary", "primary"], &[], "US")),
            "The phone slot \"primary\" is listed twice."
        );
        assert_eq!(
            message(form("A", &["Primary"], &[], "Mars")),
            "\"Mars\" is not a region orgsync knows. Use a two-letter country code such as US or GB."
        );
    }
}
