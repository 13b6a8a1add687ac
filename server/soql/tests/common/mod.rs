//! A small org for the tests: Contact, Lead, Account and User with a few relationships.
#![allow(dead_code)]

use std::collections::HashMap;

use serde_json::{Value, json};
use soql::{Evaluated, FieldType, Query, Record, Related, Schema, SoqlError};

pub struct TestSchema;

const OBJECTS: &[&str] = &["Contact", "Lead", "Account", "User"];

fn fields(object: &str) -> &'static [(&'static str, FieldType)] {
    use FieldType::*;
    match object {
        "Contact" | "Lead" => &[
            ("Id", Id),
            ("FirstName", String),
            ("LastName", String),
            ("Name", String),
            ("Phone", String),
            ("Email", String),
            ("AccountId", Reference),
            ("OwnerId", Reference),
            ("DoNotCall", Boolean),
            ("Calls__c", Int),
            ("Score__c", Double),
            ("Birthdate", Date),
            ("CreatedDate", DateTime),
            ("SystemModstamp", DateTime),
        ],
        "Account" => &[("Id", Id), ("Name", String), ("OwnerId", Reference)],
        "User" => &[
            ("Id", Id),
            ("Name", String),
            ("Email", String),
            ("IsActive", Boolean),
        ],
        _ => &[],
    }
}

impl Schema for TestSchema {
    fn object_name(&self, name: &str) -> Option<String> {
        OBJECTS
            .iter()
            .find(|o| o.eq_ignore_ascii_case(name))
            .map(|o| o.to_string())
    }

    fn field(&self, object: &str, field: &str) -> Option<(String, FieldType)> {
        fields(object)
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map(|(f, t)| (f.to_string(), *t))
    }

    fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
        let rels: &[(&str, &str, &str)] = match object {
            "Contact" | "Lead" => &[
                ("Owner", "User", "OwnerId"),
                ("Account", "Account", "AccountId"),
            ],
            "Account" => &[("Owner", "User", "OwnerId")],
            _ => &[],
        };
        rels.iter()
            .find(|(r, _, _)| r.eq_ignore_ascii_case(name))
            .map(|(r, t, f)| (r.to_string(), t.to_string(), f.to_string()))
    }
}

#[derive(Default)]
pub struct Org {
    /// object → id → record
    pub related: HashMap<String, HashMap<String, Record>>,
}

impl Org {
    fn insert(&mut self, object: &str, id: &str, record: Record) {
        self.related
            .entry(object.to_string())
            .or_default()
            .insert(id.to_string(), record);
    }
}

impl Related for Org {
    fn record(&self, object: &str, id: &str) -> Option<&Record> {
        self.related.get(object)?.get(id)
    }
}

pub fn record(value: Value) -> Record {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

pub fn org() -> Org {
    let mut org = Org::default();
    for (id, name, email) in [
        ("005000000000001AAA", "Jane Admin", "jane@example.com"),
        ("005000000000002AAA", "Bob Rep", "bob@example.com"),
    ] {
        org.insert(
            "User",
            id,
            record(json!({"Id": id, "Name": name, "Email": email, "IsActive": true})),
        );
    }
    org.insert(
        "Account",
        "001000000000001AAA",
        record(
            json!({"Id": "001000000000001AAA", "Name": "Acme", "OwnerId": "005000000000002AAA"}),
        ),
    );
    org
}

/// Six contacts with a mix of nulls, cases and timezones.
pub fn contacts() -> Vec<Record> {
    vec![
        record(json!({
            "Id": "003000000000001AAA", "FirstName": "Ann", "LastName": "Smith", "Name": "Ann Smith",
            "Phone": "555-0001", "Email": "ann@example.com", "OwnerId": "005000000000001AAA",
            "AccountId": "001000000000001AAA", "DoNotCall": false, "Calls__c": 3, "Score__c": 1.5,
            "Birthdate": "1990-05-01", "CreatedDate": "2024-01-01T00:00:00.000+0000",
            "SystemModstamp": "2024-03-01T10:00:00.000+0000"
        })),
        record(json!({
            "Id": "003000000000002AAA", "FirstName": "bob", "LastName": "smith", "Name": "bob smith",
            "Phone": null, "Email": "BOB@EXAMPLE.COM", "OwnerId": "005000000000002AAA",
            "AccountId": null, "DoNotCall": true, "Calls__c": 10, "Score__c": 2.25,
            "Birthdate": "1985-12-31", "CreatedDate": "2024-01-02T00:00:00.000+0000",
            "SystemModstamp": "2024-03-01T09:30:00.000+0000"
        })),
        record(json!({
            "Id": "003000000000003AAA", "FirstName": "Carl", "LastName": "O'Brien", "Name": "Carl O'Brien",
            "Phone": "555-0003", "Email": null, "OwnerId": "005000000000009AAA",
            "DoNotCall": false, "Calls__c": 0, "Score__c": null,
            "Birthdate": null, "CreatedDate": "2024-01-03T00:00:00.000+0000",
            "SystemModstamp": "2024-03-02T00:00:00.000+0000"
        })),
        record(json!({
            "Id": "003000000000004AAA", "FirstName": null, "LastName": "100% Pure_Co", "Name": "100% Pure_Co",
            "Phone": "555-0004", "Email": "pure@example.com", "OwnerId": null,
            "DoNotCall": false, "Calls__c": 7, "Score__c": -1,
            "CreatedDate": "2024-01-04T00:00:00.000+0000",
            "SystemModstamp": "2024-02-29T23:59:59.999+0000"
        })),
        record(json!({
            "Id": "003000000000005AAA", "FirstName": "Émile", "LastName": "Zola", "Name": "Émile Zola",
            "Phone": "555-0005", "Email": "emile@example.com", "OwnerId": "005000000000001AAA",
            "DoNotCall": true, "Calls__c": 3, "Score__c": 9.75, "Birthdate": "1840-04-02",
            "CreatedDate": "2024-01-05T00:00:00.000+0000",
            "SystemModstamp": "2024-03-01T10:00:00.000+0000"
        })),
        record(json!({
            "Id": "003000000000006AAA", "FirstName": "ann", "LastName": "Adams", "Name": "ann Adams",
            "Email": "Ann@Example.com", "OwnerId": "005000000000002AAA",
            "DoNotCall": false, "Calls__c": 3, "Score__c": 1.5,
            "CreatedDate": "2024-01-06T00:00:00.000+0000"
        })),
    ]
}

pub fn bound(soql: &str) -> Query {
    let query = soql::parse(soql).unwrap_or_else(|e| panic!("parse {soql}: {e}"));
    soql::bind(query, &TestSchema).unwrap_or_else(|e| panic!("bind {soql}: {e}"))
}

pub fn run(soql: &str) -> Evaluated {
    let contacts = contacts();
    soql::evaluate(&bound(soql), &contacts, &org(), "62.0")
}

/// The ids (last 3 digits before the suffix) of the result, in order.
pub fn ids(soql: &str) -> Vec<u32> {
    run(soql)
        .records
        .iter()
        .map(|r| {
            let id = r["Id"].as_str().unwrap_or_else(|| panic!("no Id in {r}"));
            id[12..15].parse().unwrap()
        })
        .collect()
}

pub fn error(soql: &str) -> SoqlError {
    match soql::parse(soql).and_then(|q| soql::bind(q, &TestSchema)) {
        Ok(q) => panic!("expected an error for {soql:?}, got {q:?}"),
        Err(e) => e,
    }
}
