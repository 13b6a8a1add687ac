//! The sObjects the simulator knows (Contact, Lead, Task, User): field metadata used by
//! describe, write validation, SOQL binding and CDC payload shaping.

use serde_json::{Value, json};

use crate::ids;

/// A field's describe type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Id,
    Reference,
    String,
    TextArea,
    Picklist,
    Combobox,
    Phone,
    Email,
    Boolean,
    Int,
    Double,
    Date,
    DateTime,
}

impl Kind {
    fn describe_type(self) -> (&'static str, &'static str) {
        match self {
            Kind::Id => ("id", "tns:ID"),
            Kind::Reference => ("reference", "tns:ID"),
            Kind::String => ("string", "xsd:string"),
            Kind::TextArea => ("textarea", "xsd:string"),
            Kind::Picklist => ("picklist", "xsd:string"),
            Kind::Combobox => ("combobox", "xsd:string"),
            Kind::Phone => ("phone", "xsd:string"),
            Kind::Email => ("email", "xsd:string"),
            Kind::Boolean => ("boolean", "xsd:boolean"),
            Kind::Int => ("int", "xsd:int"),
            Kind::Double => ("double", "xsd:double"),
            Kind::Date => ("date", "xsd:date"),
            Kind::DateTime => ("datetime", "xsd:dateTime"),
        }
    }

    /// The SOQL type of the field.
    pub fn soql_type(self) -> soql::FieldType {
        match self {
            Kind::Id => soql::FieldType::Id,
            Kind::Reference => soql::FieldType::Reference,
            Kind::Boolean => soql::FieldType::Boolean,
            Kind::Int => soql::FieldType::Int,
            Kind::Double => soql::FieldType::Double,
            Kind::Date => soql::FieldType::Date,
            Kind::DateTime => soql::FieldType::DateTime,
            _ => soql::FieldType::String,
        }
    }

    /// True for the kinds whose JSON value is a string.
    pub fn is_textual(self) -> bool {
        !matches!(self, Kind::Boolean | Kind::Int | Kind::Double)
    }
}

/// Metadata of one field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub length: u32,
    pub createable: bool,
    pub updateable: bool,
    pub nillable: bool,
    /// Required on create (not nillable and not defaulted).
    pub required: bool,
    pub compound: Option<&'static str>,
    /// CDC component name inside the compound (e.g. `Street` for `MailingStreet`).
    pub component: &'static str,
    pub reference_to: &'static [&'static str],
    pub relationship: Option<&'static str>,
    pub picklist: &'static [&'static str],
}

const fn f(name: &'static str, label: &'static str, kind: Kind, length: u32) -> Field {
    Field {
        name,
        label,
        kind,
        length,
        createable: true,
        updateable: true,
        nillable: true,
        required: false,
        compound: None,
        component: "",
        reference_to: &[],
        relationship: None,
        picklist: &[],
    }
}

const fn ro(mut field: Field) -> Field {
    field.createable = false;
    field.updateable = false;
    field
}

const fn req(mut field: Field) -> Field {
    field.nillable = false;
    field.required = true;
    field
}

const fn compound(mut field: Field, compound: &'static str, component: &'static str) -> Field {
    field.compound = Some(compound);
    field.component = component;
    field
}

const fn reference(mut field: Field, to: &'static [&'static str], rel: &'static str) -> Field {
    field.reference_to = to;
    field.relationship = Some(rel);
    field
}

const fn picklist(mut field: Field, values: &'static [&'static str]) -> Field {
    field.picklist = values;
    field
}

const fn defaulted(mut field: Field) -> Field {
    field.nillable = false;
    field
}

const SALUTATIONS: &[&str] = &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."];
const LEAD_SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];
pub const LEAD_STATUSES: &[&str] = &[
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
];
const TASK_STATUSES: &[&str] = &[
    "Not Started",
    "In Progress",
    "Completed",
    "Waiting on someone else",
    "Deferred",
];
const PRIORITIES: &[&str] = &["High", "Normal", "Low"];
const SUBTYPES: &[&str] = &["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"];
const CALL_TYPES: &[&str] = &["Inbound", "Internal", "Outbound"];

macro_rules! system_fields {
    () => {
        [
            ro(reference(
                f("OwnerId", "Owner ID", Kind::Reference, 18),
                &["User"],
                "Owner",
            )),
            ro(defaulted(f(
                "CreatedDate",
                "Created Date",
                Kind::DateTime,
                0,
            ))),
            ro(reference(
                f("CreatedById", "Created By ID", Kind::Reference, 18),
                &["User"],
                "CreatedBy",
            )),
            ro(defaulted(f(
                "LastModifiedDate",
                "Last Modified Date",
                Kind::DateTime,
                0,
            ))),
            ro(reference(
                f(
                    "LastModifiedById",
                    "Last Modified By ID",
                    Kind::Reference,
                    18,
                ),
                &["User"],
                "LastModifiedBy",
            )),
            ro(defaulted(f(
                "SystemModstamp",
                "System Modstamp",
                Kind::DateTime,
                0,
            ))),
        ]
    };
}

/// Makes OwnerId createable/updateable (it is, in Salesforce; the macro marks it read-only
/// so the other system fields can share one definition).
const fn owner_writable(mut fields: [Field; 6]) -> [Field; 6] {
    fields[0].createable = true;
    fields[0].updateable = true;
    fields[0].nillable = false;
    fields
}

const CONTACT_HEAD: [Field; 24] = [
    ro(defaulted(f("Id", "Contact ID", Kind::Id, 18))),
    ro(defaulted(f("IsDeleted", "Deleted", Kind::Boolean, 0))),
    reference(
        f("AccountId", "Account ID", Kind::Reference, 18),
        &["Account"],
        "Account",
    ),
    compound(
        req(f("LastName", "Last Name", Kind::String, 80)),
        "Name",
        "LastName",
    ),
    compound(
        f("FirstName", "First Name", Kind::String, 40),
        "Name",
        "FirstName",
    ),
    compound(
        picklist(
            f("Salutation", "Salutation", Kind::Picklist, 40),
            SALUTATIONS,
        ),
        "Name",
        "Salutation",
    ),
    ro(defaulted(f("Name", "Full Name", Kind::String, 121))),
    compound(
        f("MailingStreet", "Mailing Street", Kind::TextArea, 255),
        "MailingAddress",
        "Street",
    ),
    compound(
        f("MailingCity", "Mailing City", Kind::String, 40),
        "MailingAddress",
        "City",
    ),
    compound(
        f("MailingState", "Mailing State/Province", Kind::String, 80),
        "MailingAddress",
        "State",
    ),
    compound(
        f(
            "MailingPostalCode",
            "Mailing Zip/Postal Code",
            Kind::String,
            20,
        ),
        "MailingAddress",
        "PostalCode",
    ),
    compound(
        f("MailingCountry", "Mailing Country", Kind::String, 80),
        "MailingAddress",
        "Country",
    ),
    f("Phone", "Business Phone", Kind::Phone, 40),
    f("Fax", "Business Fax", Kind::Phone, 40),
    f("MobilePhone", "Mobile Phone", Kind::Phone, 40),
    f("HomePhone", "Home Phone", Kind::Phone, 40),
    f("OtherPhone", "Other Phone", Kind::Phone, 40),
    f("AssistantPhone", "Asst. Phone", Kind::Phone, 40),
    f("Email", "Email", Kind::Email, 80),
    f("Title", "Title", Kind::String, 128),
    f("Department", "Department", Kind::String, 80),
    picklist(
        f("LeadSource", "Lead Source", Kind::Picklist, 255),
        LEAD_SOURCES,
    ),
    f("Description", "Contact Description", Kind::TextArea, 32000),
    defaulted(f("DoNotCall", "Do Not Call", Kind::Boolean, 0)),
];
const CONTACT_TAIL: [Field; 3] = [
    defaulted(f("HasOptedOutOfEmail", "Email Opt Out", Kind::Boolean, 0)),
    defaulted(f("HasOptedOutOfFax", "Fax Opt Out", Kind::Boolean, 0)),
    ro(f("LastActivityDate", "Last Activity", Kind::Date, 0)),
];

const LEAD_HEAD: [Field; 26] = [
    ro(defaulted(f("Id", "Lead ID", Kind::Id, 18))),
    ro(defaulted(f("IsDeleted", "Deleted", Kind::Boolean, 0))),
    compound(
        req(f("LastName", "Last Name", Kind::String, 80)),
        "Name",
        "LastName",
    ),
    compound(
        f("FirstName", "First Name", Kind::String, 40),
        "Name",
        "FirstName",
    ),
    compound(
        picklist(
            f("Salutation", "Salutation", Kind::Picklist, 40),
            SALUTATIONS,
        ),
        "Name",
        "Salutation",
    ),
    ro(defaulted(f("Name", "Full Name", Kind::String, 121))),
    f("Title", "Title", Kind::String, 128),
    req(f("Company", "Company", Kind::String, 255)),
    compound(
        f("Street", "Street", Kind::TextArea, 255),
        "Address",
        "Street",
    ),
    compound(f("City", "City", Kind::String, 40), "Address", "City"),
    compound(
        f("State", "State/Province", Kind::String, 80),
        "Address",
        "State",
    ),
    compound(
        f("PostalCode", "Zip/Postal Code", Kind::String, 20),
        "Address",
        "PostalCode",
    ),
    compound(
        f("Country", "Country", Kind::String, 80),
        "Address",
        "Country",
    ),
    f("Phone", "Phone", Kind::Phone, 40),
    f("MobilePhone", "Mobile Phone", Kind::Phone, 40),
    f("Fax", "Fax", Kind::Phone, 40),
    f("Email", "Email", Kind::Email, 80),
    picklist(
        f("LeadSource", "Lead Source", Kind::Picklist, 255),
        LEAD_SOURCES,
    ),
    defaulted(picklist(
        f("Status", "Status", Kind::Picklist, 255),
        LEAD_STATUSES,
    )),
    f("Description", "Description", Kind::TextArea, 32000),
    defaulted(f("DoNotCall", "Do Not Call", Kind::Boolean, 0)),
    defaulted(f("HasOptedOutOfEmail", "Email Opt Out", Kind::Boolean, 0)),
    defaulted(f("HasOptedOutOfFax", "Fax Opt Out", Kind::Boolean, 0)),
    {
        let mut field = defaulted(f("IsConverted", "Converted", Kind::Boolean, 0));
        field.updateable = false;
        field
    },
    ro(f("ConvertedDate", "Converted Date", Kind::Date, 0)),
    ro(f("LastActivityDate", "Last Activity", Kind::Date, 0)),
];

const TASK_HEAD: [Field; 18] = [
    ro(defaulted(f("Id", "Activity ID", Kind::Id, 18))),
    ro(defaulted(f("IsDeleted", "Deleted", Kind::Boolean, 0))),
    f("Subject", "Subject", Kind::Combobox, 255),
    defaulted(picklist(
        f("Status", "Status", Kind::Picklist, 255),
        TASK_STATUSES,
    )),
    defaulted(picklist(
        f("Priority", "Priority", Kind::Picklist, 255),
        PRIORITIES,
    )),
    reference(
        f("WhoId", "Name ID", Kind::Reference, 18),
        &["Contact", "Lead"],
        "Who",
    ),
    reference(
        f("WhatId", "Related To ID", Kind::Reference, 18),
        &["Account", "Opportunity"],
        "What",
    ),
    {
        let mut field = picklist(
            f("TaskSubtype", "Task Subtype", Kind::Picklist, 255),
            SUBTYPES,
        );
        field.updateable = false;
        field
    },
    picklist(f("CallType", "Call Type", Kind::Picklist, 255), CALL_TYPES),
    f("CallDisposition", "Call Result", Kind::String, 255),
    f("CallDurationInSeconds", "Call Duration", Kind::Int, 0),
    f("CallObject", "Call Object Identifier", Kind::String, 255),
    f("ActivityDate", "Due Date Only", Kind::Date, 0),
    f("Description", "Comments", Kind::TextArea, 32000),
    picklist(
        f("Type", "Type", Kind::Picklist, 255),
        &["Call", "Email", "Meeting", "Other"],
    ),
    ro(defaulted(f("IsClosed", "Closed", Kind::Boolean, 0))),
    ro(defaulted(f(
        "IsHighPriority",
        "High Priority",
        Kind::Boolean,
        0,
    ))),
    ro(f(
        "CompletedDateTime",
        "Completed Date/Time",
        Kind::DateTime,
        0,
    )),
];

const USER_FIELDS: [Field; 12] = [
    ro(defaulted(f("Id", "User ID", Kind::Id, 18))),
    ro(f("Username", "Username", Kind::String, 80)),
    ro(f("Name", "Full Name", Kind::String, 121)),
    ro(f("FirstName", "First Name", Kind::String, 40)),
    ro(f("LastName", "Last Name", Kind::String, 80)),
    ro(f("Email", "Email", Kind::Email, 128)),
    ro(f("Alias", "Alias", Kind::String, 8)),
    ro(f("IsActive", "Active", Kind::Boolean, 0)),
    ro(f("CreatedDate", "Created Date", Kind::DateTime, 0)),
    ro(f(
        "LastModifiedDate",
        "Last Modified Date",
        Kind::DateTime,
        0,
    )),
    ro(f("SystemModstamp", "System Modstamp", Kind::DateTime, 0)),
    ro(f("TimeZoneSidKey", "Time Zone", Kind::Picklist, 40)),
];

const fn concat<const A: usize, const B: usize, const C: usize, const N: usize>(
    a: [Field; A],
    b: [Field; B],
    c: [Field; C],
) -> [Field; N] {
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    let mut k = 0;
    while k < C {
        out[A + B + k] = c[k];
        k += 1;
    }
    out
}

static CONTACT_FIELDS: [Field; 33] =
    concat(CONTACT_HEAD, owner_writable(system_fields!()), CONTACT_TAIL);
static LEAD_FIELDS: [Field; 32] = concat(LEAD_HEAD, owner_writable(system_fields!()), []);
static TASK_FIELDS: [Field; 24] = concat(TASK_HEAD, owner_writable(system_fields!()), []);

/// The objects of the org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    Contact,
    Lead,
    Task,
    User,
}

impl Object {
    pub const ALL: [Object; 4] = [Object::Contact, Object::Lead, Object::Task, Object::User];
    /// The objects clients may write through REST.
    pub const WRITABLE: [Object; 3] = [Object::Contact, Object::Lead, Object::Task];

    pub fn name(self) -> &'static str {
        match self {
            Object::Contact => "Contact",
            Object::Lead => "Lead",
            Object::Task => "Task",
            Object::User => "User",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Object::Contact => "Contacts",
            Object::Lead => "Leads",
            Object::Task => "Tasks",
            Object::User => "Users",
        }
    }

    pub fn key_prefix(self) -> &'static str {
        match self {
            Object::Contact => ids::CONTACT_PREFIX,
            Object::Lead => ids::LEAD_PREFIX,
            Object::Task => ids::TASK_PREFIX,
            Object::User => ids::USER_PREFIX,
        }
    }

    /// Case-insensitive lookup of an object name.
    pub fn parse(name: &str) -> Option<Object> {
        Object::ALL
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(name))
    }

    /// The object an id belongs to, by key prefix.
    pub fn of_id(id: &str) -> Option<Object> {
        Object::ALL
            .into_iter()
            .find(|o| id.starts_with(o.key_prefix()))
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Object::Contact => &CONTACT_FIELDS,
            Object::Lead => &LEAD_FIELDS,
            Object::Task => &TASK_FIELDS,
            Object::User => &USER_FIELDS,
        }
    }

    /// Case-insensitive field lookup.
    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields()
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The relationship (e.g. `Owner`) by case-insensitive name: (field, target object).
    pub fn relationship(self, name: &str) -> Option<(&'static Field, Object)> {
        self.fields().iter().find_map(|f| {
            let rel = f.relationship?;
            if !rel.eq_ignore_ascii_case(name) || f.reference_to.len() != 1 {
                return None;
            }
            Object::parse(f.reference_to[0]).map(|target| (f, target))
        })
    }

    pub fn has_compound_name(self) -> bool {
        matches!(self, Object::Contact | Object::Lead)
    }

    /// The global-describe entry (`GET /sobjects`).
    pub fn global_entry(self, version: &str) -> Value {
        let writable = self != Object::User;
        let base = format!("/services/data/{version}/sobjects/{}", self.name());
        json!({
            "activateable": false, "associateEntityType": null, "associateParentEntity": null,
            "createable": writable, "custom": false, "customSetting": false, "deepCloneable": false,
            "deletable": writable, "deprecatedAndHidden": false, "feedEnabled": true,
            "hasSubtypes": false, "isInterface": false, "isSubtype": false,
            "keyPrefix": self.key_prefix(), "label": self.name(), "labelPlural": self.plural(),
            "layoutable": true, "mergeable": self != Object::Task && writable, "mruEnabled": true,
            "name": self.name(), "queryable": true, "replicateable": true, "retrieveable": true,
            "searchable": true, "triggerable": true, "undeletable": writable, "updateable": writable,
            "urls": {
                "sobject": base,
                "describe": format!("{base}/describe"),
                "rowTemplate": format!("{base}/{{ID}}"),
                "compactLayouts": format!("{base}/describe/compactLayouts"),
                "approvalLayouts": format!("{base}/describe/approvalLayouts"),
                "listviews": format!("{base}/listviews"),
                "quickActions": format!("{base}/quickActions"),
                "layouts": format!("{base}/describe/layouts"),
            }
        })
    }

    /// The full describe (`GET /sobjects/{name}/describe`).
    pub fn describe(self, version: &str, instance_url: &str) -> Value {
        let mut out = self.global_entry(version);
        let fields: Vec<Value> = self
            .fields()
            .iter()
            .map(|field| describe_field(self, field))
            .collect();
        if let Some(map) = out.as_object_mut() {
            let prefix = self.key_prefix();
            if let Some(urls) = map.get_mut("urls").and_then(Value::as_object_mut) {
                urls.insert(
                    "uiDetailTemplate".into(),
                    json!(format!("{instance_url}/{{ID}}")),
                );
                urls.insert(
                    "uiEditTemplate".into(),
                    json!(format!("{instance_url}/{{ID}}/e")),
                );
                urls.insert(
                    "uiNewRecord".into(),
                    json!(format!("{instance_url}/{prefix}/e")),
                );
            }
            for (key, value) in [
                ("actionOverrides", json!([])),
                ("childRelationships", json!([])),
                ("compactLayoutable", json!(true)),
                ("defaultImplementation", Value::Null),
                ("extendedBy", Value::Null),
                ("extendsInterfaces", Value::Null),
                ("fields", Value::Array(fields)),
                ("implementedBy", Value::Null),
                ("implementsInterfaces", Value::Null),
                ("listviewable", Value::Null),
                ("lookupLayoutable", Value::Null),
                ("namedLayoutInfos", json!([])),
                ("networkScopeFieldName", Value::Null),
                (
                    "recordTypeInfos",
                    json!([{"active":true,"available":true,"defaultRecordTypeMapping":true,
                        "developerName":"Master","master":true,"name":"Master",
                        "recordTypeId":"012000000000000AAA","urls":{"layout":
                        format!("/services/data/{version}/sobjects/{}/describe/layouts/012000000000000AAA", self.name())}}]),
                ),
                ("searchLayoutable", json!(true)),
                ("sobjectDescribeOption", json!("FULL")),
                (
                    "supportedScopes",
                    json!([{"label":format!("All {}", self.plural().to_lowercase()),"name":"everything"},
                           {"label":format!("My {}", self.plural().to_lowercase()),"name":"mine"}]),
                ),
            ] {
                map.insert(key.into(), value);
            }
        }
        out
    }
}

fn describe_field(object: Object, field: &Field) -> Value {
    let (kind, soap) = field.kind.describe_type();
    let textual = matches!(
        field.kind,
        Kind::String
            | Kind::TextArea
            | Kind::Picklist
            | Kind::Combobox
            | Kind::Phone
            | Kind::Email
            | Kind::Id
            | Kind::Reference
    );
    let length = if textual { field.length } else { 0 };
    let picklist: Vec<Value> = field
        .picklist
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let default = (field.name == "Status" && i == 0 && object != Object::User)
                || (field.name == "Priority" && *v == "Normal");
            json!({"active":true,"defaultValue":default,"label":v,"validFor":null,"value":v})
        })
        .collect();
    let is_name = field.name == "Name";
    json!({
        "aggregatable": field.kind != Kind::TextArea,
        "aiPredictionField": false,
        "autoNumber": false,
        "byteLength": if textual { length * 3 } else { 0 },
        "calculated": is_name,
        "calculatedFormula": null,
        "cascadeDelete": false,
        "caseSensitive": false,
        "compoundFieldName": field.compound,
        "controllerName": null,
        "createable": field.createable,
        "custom": false,
        "defaultValue": if field.kind == Kind::Boolean && field.name != "IsDeleted" { json!(false) } else { Value::Null },
        "defaultValueFormula": null,
        "defaultedOnCreate": !field.nillable && !field.required,
        "dependentPicklist": false,
        "deprecatedAndHidden": false,
        "digits": if field.kind == Kind::Int { 8 } else { 0 },
        "displayLocationInDecimal": false,
        "encrypted": false,
        "externalId": false,
        "extraTypeInfo": match (field.kind, is_name) {
            (_, true) => json!("personname"),
            (Kind::TextArea, _) => json!("plaintextarea"),
            _ => Value::Null,
        },
        "filterable": field.kind != Kind::TextArea || field.length <= 255,
        "filteredLookupInfo": null,
        "formulaTreatNullNumberAsZero": false,
        "groupable": !matches!(field.kind, Kind::TextArea | Kind::DateTime | Kind::Double),
        "highScaleNumber": false,
        "htmlFormatted": false,
        "idLookup": matches!(field.kind, Kind::Id | Kind::Email),
        "inlineHelpText": null,
        "label": field.label,
        "length": length,
        "mask": null,
        "maskType": null,
        "name": field.name,
        "nameField": is_name,
        "namePointing": field.reference_to.len() > 1,
        "nillable": field.nillable,
        "permissionable": field.nillable && field.createable,
        "picklistValues": picklist,
        "polymorphicForeignKey": field.reference_to.len() > 1,
        "precision": 0,
        "queryByDistance": false,
        "referenceTargetField": null,
        "referenceTo": field.reference_to,
        "relationshipName": field.relationship,
        "relationshipOrder": null,
        "restrictedDelete": false,
        "restrictedPicklist": matches!(field.name, "TaskSubtype" | "CallType"),
        "scale": 0,
        "searchPrefilterable": false,
        "soapType": soap,
        "sortable": field.kind != Kind::TextArea,
        "type": kind,
        "unique": false,
        "updateable": field.updateable,
        "writeRequiresMasterRead": false,
    })
}

/// The simulator's schema as seen by the SOQL binder.
pub struct SoqlSchema;

impl soql::Schema for SoqlSchema {
    fn object_name(&self, name: &str) -> Option<String> {
        Object::parse(name).map(|o| o.name().to_string())
    }

    fn field(&self, object: &str, field: &str) -> Option<(String, soql::FieldType)> {
        let object = Object::parse(object)?;
        let field = object.field(field)?;
        Some((field.name.to_string(), field.kind.soql_type()))
    }

    fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
        let object = Object::parse(object)?;
        let (field, target) = object.relationship(name)?;
        Some((
            field.relationship?.to_string(),
            target.name().to_string(),
            field.name.to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_are_complete() {
        assert!(
            Object::Contact
                .field("ownerid")
                .is_some_and(|f| f.createable)
        );
        assert!(Object::Lead.field("Company").is_some_and(|f| f.required));
        assert!(
            Object::Task
                .field("SystemModstamp")
                .is_some_and(|f| !f.updateable)
        );
        let (field, target) = Object::Contact
            .relationship("owner")
            .expect("owner relationship");
        assert_eq!((field.name, target), ("OwnerId", Object::User));
        let describe = Object::Contact.describe("v62.0", "https://x");
        assert_eq!(describe["keyPrefix"], "003");
        assert_eq!(describe["fields"][0].as_object().map(|m| m.len()), Some(57));
    }
}
