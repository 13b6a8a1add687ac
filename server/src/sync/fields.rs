//! The field planner (IG-03): which Salesforce fields a poll or event batch fetches. The
//! union of what the Org Sync's Data Sources read, plus `Id`, `SystemModstamp` and `IsDeleted`
//! that the mirror needs; with no Data Source yet, a default set that makes the mirror useful
//! (names, email, phones, owner, DoNotCall). Computed fresh for every round, so a changed Data
//! Source takes effect without reconfiguring the Org Sync.

use std::collections::BTreeSet;

use store::org_syncs::SfObject;

/// Fields the mirror itself needs, always fetched first.
pub const REQUIRED: [&str; 3] = ["Id", "SystemModstamp", "IsDeleted"];

/// What the mirror holds before any Data Source exists.
pub fn default_fields(object: SfObject) -> &'static [&'static str] {
    match object {
        SfObject::Contact => &[
            "FirstName",
            "LastName",
            "Email",
            "Phone",
            "MobilePhone",
            "HomePhone",
            "OtherPhone",
            "OwnerId",
            "DoNotCall",
        ],
        SfObject::Lead => &[
            "FirstName",
            "LastName",
            "Company",
            "Email",
            "Phone",
            "MobilePhone",
            "OwnerId",
            "DoNotCall",
            "Status",
        ],
    }
}

/// The fields every mirrored record of the Org Sync holds: what was fetched for all of them
/// (`fetched_fields`), or the default list, all that was fetched before Data Sources.
pub fn held(row: &store::entities::org_syncs::Model) -> Vec<String> {
    match &row.fetched_fields {
        Some(json) => serde_json::from_str(json).unwrap_or_default(),
        None => REQUIRED
            .iter()
            .chain(default_fields(row.object))
            .map(|f| f.to_string())
            .collect(),
    }
}

/// The fields of `wanted` that `held` (see [`held`]) lacks, compared as Salesforce does,
/// without regard to case.
pub fn not_held<'a, S: AsRef<str>>(held: &[String], wanted: &'a [S]) -> Vec<&'a S> {
    wanted
        .iter()
        .filter(|f| !held.iter().any(|h| h.eq_ignore_ascii_case(f.as_ref())))
        .collect()
}

/// Fields dial-readiness and the campaign record's name read (see `campaigns::readiness`).
pub fn readiness_fields(object: SfObject) -> &'static [&'static str] {
    match object {
        SfObject::Contact => &["FirstName", "LastName", "DoNotCall"],
        SfObject::Lead => &["FirstName", "LastName", "DoNotCall", "IsConverted"],
    }
}

/// The field list for a round: required fields, then the Data Sources' fields (or the
/// defaults), each once. `data_source_fields` holds each Data Source's stored JSON array;
/// names that are not plain SOQL field paths are skipped (they come from the database but
/// end up in a query, so they are checked like any input).
pub fn plan(object: SfObject, data_source_fields: &[String]) -> Vec<String> {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for stored in data_source_fields {
        match serde_json::from_str::<Vec<String>>(stored) {
            Ok(fields) => wanted.extend(fields.into_iter().filter(|f| is_field_path(f))),
            Err(error) => tracing::warn!(%error, "a Data Source's field list is not a JSON array"),
        }
    }
    if wanted.is_empty() {
        wanted.extend(default_fields(object).iter().map(|f| f.to_string()));
    } else {
        // What a campaign record's name and dial-readiness read, whatever the Data Sources do.
        wanted.extend(readiness_fields(object).iter().map(|f| f.to_string()));
    }
    let mut fields: Vec<String> = REQUIRED.iter().map(|f| f.to_string()).collect();
    fields.extend(
        wanted
            .into_iter()
            .filter(|f| !REQUIRED.iter().any(|r| r.eq_ignore_ascii_case(f))),
    );
    fields
}

/// `Name`, `Owner.Name`, `Custom_Field__c`: letters, digits and underscores, dot-separated.
fn is_field_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && path.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ig_03_without_data_sources_the_default_set_is_fetched() {
        let fields = plan(SfObject::Contact, &[]);
        assert_eq!(&fields[..3], &["Id", "SystemModstamp", "IsDeleted"]);
        assert!(fields.contains(&"Email".to_string()));
        assert!(fields.contains(&"DoNotCall".to_string()));
    }

    #[test]
    fn ig_03_the_union_of_data_source_fields_and_readiness_fields_replaces_the_defaults() {
        let fields = plan(
            SfObject::Lead,
            &[
                r#"["Phone","Owner.Name"]"#.to_string(),
                r#"["Phone","Custom_Score__c","Id"]"#.to_string(),
            ],
        );
        assert_eq!(
            fields,
            vec![
                "Id",
                "SystemModstamp",
                "IsDeleted",
                "Custom_Score__c",
                "DoNotCall",
                "FirstName",
                "IsConverted",
                "LastName",
                "Owner.Name",
                "Phone"
            ]
        );
    }

    #[test]
    fn field_names_that_could_change_the_query_are_dropped() {
        let fields = plan(
            SfObject::Contact,
            &[r#"["Phone","Id FROM User --","a,b","","1x","Name"]"#.to_string()],
        );
        assert_eq!(
            fields,
            vec![
                "Id",
                "SystemModstamp",
                "IsDeleted",
                "DoNotCall",
                "FirstName",
                "LastName",
                "Name",
                "Phone"
            ]
        );
    }
}
