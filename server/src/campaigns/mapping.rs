//! A Link's mappings (DS-02): which Salesforce field fills which phone slot and which custom
//! field of the campaign. Stored as JSON on the Link; checked against the campaign and the
//! Data Source before they are stored.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// Salesforce field → campaign phone slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneMapping {
    pub slot: String,
    pub field: String,
}

/// Salesforce field → campaign custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldMapping {
    pub custom_field: String,
    pub field: String,
}

/// Every mapping of one Link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mappings {
    pub phones: Vec<PhoneMapping>,
    pub custom_fields: Vec<CustomFieldMapping>,
}

/// Why mappings were refused; each message tells the administrator what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("Map at least one Salesforce field to a phone number slot.")]
    NoPhone,
    #[error("The phone slot \"{0}\" is mapped twice. Map each phone slot to one Salesforce field.")]
    SlotMappedTwice(String),
    #[error(
        "The custom field \"{0}\" is mapped twice. Map each custom field to one Salesforce field."
    )]
    CustomFieldMappedTwice(String),
    #[error("The campaign has no phone slot \"{0}\".")]
    NoSuchSlot(String),
    #[error("The campaign has no custom field \"{0}\".")]
    NoSuchCustomField(String),
    #[error(
        "The Data Source \"{data_source}\" does not read the field \"{field}\". Add it to the Data Source's fields first."
    )]
    FieldNotRead { data_source: String, field: String },
}

impl Mappings {
    /// Checks the mappings against the campaign's slots and custom fields and the fields the
    /// Data Source reads (names compared as Salesforce does, ignoring case); returns them
    /// with every name in its declared spelling.
    pub fn validated(
        &self,
        phone_slots: &[String],
        custom_fields: &[String],
        data_source: &str,
        fields_read: &[String],
    ) -> Result<Mappings, MappingError> {
        if self.phones.is_empty() {
            return Err(MappingError::NoPhone);
        }
        let read = |field: &str| {
            fields_read
                .iter()
                .find(|f| f.eq_ignore_ascii_case(field.trim()))
                .cloned()
                .ok_or_else(|| MappingError::FieldNotRead {
                    data_source: data_source.to_owned(),
                    field: field.trim().to_owned(),
                })
        };
        let mut slots = HashSet::new();
        let mut phones = Vec::with_capacity(self.phones.len());
        for mapping in &self.phones {
            let slot = declared(phone_slots, &mapping.slot)
                .ok_or_else(|| MappingError::NoSuchSlot(mapping.slot.trim().to_owned()))?;
            if !slots.insert(slot.clone()) {
                return Err(MappingError::SlotMappedTwice(slot));
            }
            phones.push(PhoneMapping {
                slot,
                field: read(&mapping.field)?,
            });
        }
        let mut targets = HashSet::new();
        let mut customs = Vec::with_capacity(self.custom_fields.len());
        for mapping in &self.custom_fields {
            let custom_field = declared(custom_fields, &mapping.custom_field).ok_or_else(|| {
                MappingError::NoSuchCustomField(mapping.custom_field.trim().to_owned())
            })?;
            if !targets.insert(custom_field.clone()) {
                return Err(MappingError::CustomFieldMappedTwice(custom_field));
            }
            customs.push(CustomFieldMapping {
                custom_field,
                field: read(&mapping.field)?,
            });
        }
        Ok(Mappings {
            phones,
            custom_fields: customs,
        })
    }

    /// The stored form: `(phones JSON, custom fields JSON)`.
    pub fn to_json(&self) -> (String, String) {
        (
            serde_json::to_string(&self.phones).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&self.custom_fields).unwrap_or_else(|_| "[]".into()),
        )
    }

    /// Reads the stored form back.
    pub fn from_json(phones: &str, custom_fields: &str) -> Result<Mappings, serde_json::Error> {
        Ok(Mappings {
            phones: serde_json::from_str(phones)?,
            custom_fields: serde_json::from_str(custom_fields)?,
        })
    }
}

/// The declared name equal to `name` ignoring case and surrounding spaces.
fn declared(names: &[String], name: &str) -> Option<String> {
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name.trim()))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn phone(slot: &str, field: &str) -> PhoneMapping {
        PhoneMapping {
            slot: slot.into(),
            field: field.into(),
        }
    }

    fn check(mappings: Mappings) -> Result<Mappings, MappingError> {
        mappings.validated(
            &strings(&["Primary", "Mobile"]),
            &strings(&["Company", "Owner"]),
            "US leads",
            &strings(&["Phone", "MobilePhone", "Company", "OwnerId"]),
        )
    }

    #[test]
    fn ds_02_valid_mappings_take_the_declared_spelling() {
        let mappings = check(Mappings {
            phones: vec![phone("primary", "phone"), phone("Mobile", "MobilePhone")],
            custom_fields: vec![CustomFieldMapping {
                custom_field: "company ".into(),
                field: "COMPANY".into(),
            }],
        })
        .expect("valid");
        assert_eq!(
            mappings.phones,
            vec![phone("Primary", "Phone"), phone("Mobile", "MobilePhone")]
        );
        assert_eq!(mappings.custom_fields[0].custom_field, "Company");
        assert_eq!(mappings.custom_fields[0].field, "Company");
        let (phones, customs) = mappings.to_json();
        assert_eq!(
            Mappings::from_json(&phones, &customs).expect("round trip"),
            mappings
        );
    }

    #[test]
    fn ds_02_a_phone_slot_mapped_twice_is_refused() {
        let error = check(Mappings {
            phones: vec![phone("Primary", "Phone"), phone("primary", "MobilePhone")],
            custom_fields: vec![],
        })
        .expect_err("twice");
        assert_eq!(
            error.to_string(),
            "The phone slot \"Primary\" is mapped twice. Map each phone slot to one Salesforce field."
        );
    }

    #[test]
    fn ds_02_a_field_the_data_source_does_not_read_is_refused() {
        let error = check(Mappings {
            phones: vec![phone("Primary", "HomePhone")],
            custom_fields: vec![],
        })
        .expect_err("not read");
        assert_eq!(
            error.to_string(),
            "The Data Source \"US leads\" does not read the field \"HomePhone\". Add it to the Data Source's fields first."
        );
    }

    #[test]
    fn ds_02_campaign_fields_that_do_not_exist_are_refused() {
        let error = check(Mappings {
            phones: vec![phone("Work", "Phone")],
            custom_fields: vec![],
        })
        .expect_err("no slot");
        assert_eq!(error, MappingError::NoSuchSlot("Work".into()));
        let error = check(Mappings {
            phones: vec![phone("Primary", "Phone")],
            custom_fields: vec![CustomFieldMapping {
                custom_field: "Region".into(),
                field: "Company".into(),
            }],
        })
        .expect_err("no custom field");
        assert_eq!(
            error.to_string(),
            "The campaign has no custom field \"Region\"."
        );
    }

    #[test]
    fn ds_02_at_least_one_phone_is_mapped() {
        assert_eq!(check(Mappings::default()), Err(MappingError::NoPhone));
    }
}
