//! Evaluation semantics: operators, logic, nulls, datetimes, ordering, paging, projection.

mod common;

use common::*;
use serde_json::json;
use soql::{FieldType, NullsOrder, SortDirection};

const BASE: &str = "SELECT Id FROM Contact";

fn w(condition: &str) -> Vec<u32> {
    ids(&format!("{BASE} WHERE {condition} ORDER BY Id"))
}

#[test]
fn equality_is_case_insensitive_for_text() {
    assert_eq!(w("LastName = 'SMITH'"), [1, 2]);
    assert_eq!(w("Email = 'bob@example.com'"), [2]);
    assert_eq!(w("FirstName = 'ÉMILE'"), [5]);
    assert_eq!(w("LastName != 'smith'"), [3, 4, 5, 6]);
    assert_eq!(w("LastName <> 'smith'"), [3, 4, 5, 6]);
}

#[test]
fn numeric_comparisons() {
    assert_eq!(w("Calls__c > 3"), [2, 4]);
    assert_eq!(w("Calls__c >= 3"), [1, 2, 4, 5, 6]);
    assert_eq!(w("Calls__c < 3"), [3]);
    assert_eq!(w("Calls__c <= 3"), [1, 3, 5, 6]);
    assert_eq!(w("Calls__c = 3"), [1, 5, 6]);
    assert_eq!(w("Calls__c != 3"), [2, 3, 4]);
    assert_eq!(w("Score__c > 1.5"), [2, 5]);
    assert_eq!(w("Score__c < 0"), [4]);
    assert_eq!(w("Score__c = 1.5"), [1, 6]);
    assert_eq!(w("Score__c > 1"), [1, 2, 5, 6]);
    assert_eq!(w("Score__c >= -1.0"), [1, 2, 4, 5, 6]);
    // 10 > 9 numerically (a string comparison would say otherwise)
    assert_eq!(w("Calls__c > 9"), [2]);
}

#[test]
fn text_ordering_comparisons_are_case_insensitive() {
    assert_eq!(w("LastName < 'b'"), [4, 6]);
    assert_eq!(w("LastName >= 'SMITH'"), [1, 2, 5]);
    assert_eq!(w("LastName > 'smith'"), [5]);
    assert_eq!(w("LastName <= 'o\\'brien'"), [3, 4, 6]);
}

#[test]
fn booleans() {
    assert_eq!(w("DoNotCall = true"), [2, 5]);
    assert_eq!(w("DoNotCall = TRUE"), [2, 5]);
    assert_eq!(w("DoNotCall != true"), [1, 3, 4, 6]);
    assert_eq!(w("DoNotCall = false"), [1, 3, 4, 6]);
}

#[test]
fn dates() {
    assert_eq!(w("Birthdate < 1900-01-01"), [5]);
    assert_eq!(w("Birthdate = 1985-12-31"), [2]);
    assert_eq!(w("Birthdate > 1980-01-01"), [1, 2]);
    assert_eq!(w("Birthdate = null"), [3, 4, 6]);
}

#[test]
fn datetimes_compare_as_instants_across_offsets() {
    assert_eq!(w("CreatedDate > 2024-01-03T00:00:00Z"), [4, 5, 6]);
    assert_eq!(w("CreatedDate = 2024-01-03T01:00:00+01:00"), [3]);
    assert_eq!(w("CreatedDate = 2024-01-03T01:00:00.000+0100"), [3]);
    assert_eq!(w("CreatedDate >= 2024-01-02T19:00:00-05:00"), [3, 4, 5, 6]);
    assert_eq!(w("CreatedDate < 2024-01-02T00:00:00.001Z"), [1, 2]);
    assert_eq!(w("SystemModstamp = 2024-03-01T11:00:00+01:00"), [1, 5]);
    assert_eq!(
        w("SystemModstamp >= 2024-03-01T10:00:00.000+0000"),
        [1, 3, 5]
    );
    assert_eq!(w("SystemModstamp < 2024-03-01T00:00:00Z"), [4]);
    // 23:59:59.999 on Feb 29 is after 18:00 on Feb 29 in New York (= 23:00Z)
    assert_eq!(
        w("SystemModstamp > 2024-02-29T18:00:00-05:00 AND SystemModstamp < 2024-03-01T00:00:00Z"),
        [4]
    );
    assert_eq!(w("SystemModstamp = null"), [6]);
}

#[test]
fn like_patterns() {
    assert_eq!(w("Name LIKE 'ann%'"), [1, 6]);
    assert_eq!(w("Email LIKE '%@example.com'"), [1, 2, 4, 5, 6]);
    assert_eq!(w("LastName LIKE 'sm_th'"), [1, 2]);
    assert_eq!(w("LastName LIKE 'sm_h'"), Vec::<u32>::new());
    assert_eq!(w("LastName LIKE '%o%'"), [3, 4, 5]);
    assert_eq!(w("LastName LIKE '100\\% %'"), [4]);
    assert_eq!(w("LastName LIKE '100\\%%'"), [4]);
    assert_eq!(w("LastName LIKE '%\\_%'"), [4]);
    assert_eq!(w("LastName LIKE '%_%'"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(w("FirstName LIKE 'é%'"), [5]);
    assert_eq!(w("FirstName LIKE '%'"), [1, 2, 3, 5, 6]);
    assert_eq!(w("LastName LIKE 'o\\'%'"), [3]);
    assert_eq!(w("NOT FirstName LIKE 'a%'"), [2, 3, 4, 5]);
}

#[test]
fn string_escapes() {
    assert_eq!(w("LastName = 'O\\'Brien'"), [3]);
    assert_eq!(w("Name = 'carl o\\'brien'"), [3]);
    assert_eq!(w("LastName = '100\\% Pure\\_Co'"), [4]);
    assert_eq!(w("LastName = '\\u005Aola'"), [5]);
    assert_eq!(
        w("LastName = 'a\\nb\\tc\\\\d\\\"e\\r\\b\\f'"),
        Vec::<u32>::new()
    );
}

#[test]
fn in_and_not_in() {
    assert_eq!(w("LastName IN ('smith', 'ZOLA')"), [1, 2, 5]);
    assert_eq!(w("LastName in ('nobody')"), Vec::<u32>::new());
    assert_eq!(w("LastName NOT IN ('smith', 'zola')"), [3, 4, 6]);
    assert_eq!(w("Phone IN (null, '555-0003')"), [2, 3, 6]);
    assert_eq!(w("Phone NOT IN ('555-0001')"), [2, 3, 4, 5, 6]);
    assert_eq!(w("Phone NOT IN (null)"), [1, 3, 4, 5]);
    assert_eq!(w("Calls__c IN (0, 10)"), [2, 3]);
    assert_eq!(w("Birthdate IN (1990-05-01, 1840-04-02)"), [1, 5]);
    assert_eq!(
        w("CreatedDate IN (2024-01-01T00:00:00Z, 2024-01-02T02:00:00+02:00)"),
        [1, 2]
    );
}

#[test]
fn ids_match_in_15_and_18_character_forms() {
    assert_eq!(w("Id = '003000000000003'"), [3]);
    assert_eq!(w("Id IN ('003000000000001', '003000000000004AAA')"), [1, 4]);
    assert_eq!(w("OwnerId = '005000000000001'"), [1, 5]);
    assert_eq!(w("Id != '003000000000003AAA'"), [1, 2, 4, 5, 6]);
}

#[test]
fn null_semantics() {
    assert_eq!(w("Phone = null"), [2, 6]); // null and missing
    assert_eq!(w("Phone != null"), [1, 3, 4, 5]);
    assert_eq!(w("Phone = NULL"), [2, 6]);
    assert_eq!(w("Phone > '0'"), [1, 3, 4, 5]);
    assert_eq!(w("Phone < 'z'"), [1, 3, 4, 5]);
    assert_eq!(w("Phone != '555-0001'"), [2, 3, 4, 5, 6]);
    assert_eq!(w("Score__c < 100"), [1, 2, 4, 5, 6]);
    assert_eq!(w("Score__c >= -100"), [1, 2, 4, 5, 6]);
    assert_eq!(w("Phone < null"), Vec::<u32>::new());
    assert_eq!(w("AccountId = null"), [2, 3, 4, 5, 6]);
}

#[test]
fn and_or_chains_and_parenthesised_precedence() {
    assert_eq!(
        w("LastName = 'smith' AND DoNotCall = true AND Calls__c = 10"),
        [2]
    );
    assert_eq!(
        w("LastName = 'zola' OR LastName = 'adams' OR Calls__c = 0"),
        [3, 5, 6]
    );
    // Salesforce requires parentheses to mix AND and OR; both groupings work as written.
    assert_eq!(
        w("LastName = 'smith' OR (FirstName = 'carl' AND DoNotCall = false)"),
        [1, 2, 3]
    );
    assert_eq!(
        w("LastName = 'smith' OR (FirstName = 'carl' AND DoNotCall = true)"),
        [1, 2]
    );
    assert_eq!(
        w("(LastName = 'smith' OR FirstName = 'carl') AND DoNotCall = true"),
        [2]
    );
    assert_eq!(
        w("(LastName = 'smith' AND DoNotCall = true) OR (Calls__c = 3 AND Phone = null)"),
        [2, 6]
    );
    assert_eq!(w("((((LastName = 'zola'))))"), [5]);
    // ...and reject `A OR B AND C` like Salesforce does.
    let e = error(&format!(
        "{BASE} WHERE LastName = 'smith' OR FirstName = 'carl' AND DoNotCall = true"
    ));
    assert_eq!(e.error_code, soql::ErrorCode::MalformedQuery);
    assert!(
        e.message.ends_with("unexpected token: 'AND'"),
        "{}",
        e.message
    );
    let e = error(&format!(
        "{BASE} WHERE LastName = 'smith' AND FirstName = 'carl' OR DoNotCall = true"
    ));
    assert!(
        e.message.ends_with("unexpected token: 'OR'"),
        "{}",
        e.message
    );
}

#[test]
fn not() {
    assert_eq!(w("NOT LastName = 'smith'"), [3, 4, 5, 6]);
    assert_eq!(w("NOT (Phone = null OR DoNotCall = true)"), [1, 3, 4]);
    assert_eq!(w("(NOT DoNotCall = true) AND Calls__c = 3"), [1, 6]);
    assert_eq!(w("Calls__c = 3 AND (NOT FirstName = 'ann')"), [5]);
    assert_eq!(w("NOT (NOT (LastName = 'zola'))"), [5]);
    // NOT covers one condition; mixing needs parentheses, as in Salesforce.
    let e = error(&format!(
        "{BASE} WHERE NOT DoNotCall = true AND Calls__c = 3"
    ));
    assert!(
        e.message.ends_with("unexpected token: 'AND'"),
        "{}",
        e.message
    );
}

#[test]
fn relationship_fields_in_where() {
    assert_eq!(w("Owner.Name = 'jane admin'"), [1, 5]);
    assert_eq!(w("Owner.Name = null"), [3, 4]); // unknown user, null owner
    assert_eq!(w("Owner.Name != null"), [1, 2, 5, 6]);
    assert_eq!(w("Owner.Email LIKE 'bob@%'"), [2, 6]);
    assert_eq!(w("Account.Owner.Name LIKE 'bob%'"), [1]);
    assert_eq!(w("owner.isactive = true"), [1, 2, 5, 6]);
}

#[test]
fn order_by_text_is_case_insensitive_and_stable() {
    assert_eq!(
        ids(&format!("{BASE} ORDER BY LastName")),
        [4, 6, 3, 1, 2, 5]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY LastName ASC")),
        [4, 6, 3, 1, 2, 5]
    );
    // full ties (Smith/smith) keep input order in both directions
    assert_eq!(
        ids(&format!("{BASE} ORDER BY LastName DESC")),
        [5, 1, 2, 3, 6, 4]
    );
}

#[test]
fn order_by_several_keys() {
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Calls__c DESC, FirstName")),
        [2, 4, 1, 6, 5, 3]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Calls__c, Score__c DESC, Id DESC")),
        [3, 5, 6, 1, 4, 2]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY DoNotCall DESC, Id")),
        [2, 5, 1, 3, 4, 6]
    );
    assert_eq!(ids(&format!("{BASE} ORDER BY Id DESC")), [6, 5, 4, 3, 2, 1]);
}

#[test]
fn order_by_nulls_first_and_last() {
    assert_eq!(ids(&format!("{BASE} ORDER BY Phone")), [2, 6, 1, 3, 4, 5]);
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Phone NULLS FIRST")),
        [2, 6, 1, 3, 4, 5]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Phone NULLS LAST")),
        [1, 3, 4, 5, 2, 6]
    );
    // nulls sort first by default in both directions (SOQL reference: "By default, null
    // values are sorted first"); DESC does not imply NULLS LAST
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Phone DESC")),
        [2, 6, 5, 4, 3, 1]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Phone DESC NULLS FIRST")),
        [2, 6, 5, 4, 3, 1]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Phone DESC NULLS LAST")),
        [5, 4, 3, 1, 2, 6]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Score__c")),
        [3, 4, 1, 6, 2, 5]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Birthdate NULLS LAST")),
        [5, 2, 1, 3, 4, 6]
    );
    assert_eq!(
        ids(&format!(
            "{BASE} ORDER BY Phone NULLS LAST, Calls__c DESC NULLS FIRST"
        )),
        [1, 3, 4, 5, 2, 6]
    );
}

#[test]
fn order_by_desc_puts_nulls_first_unless_nulls_last() {
    // Score__c: 3 is null; Birthdate: 3, 4 and 6 are null
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Score__c DESC, Id")),
        [3, 5, 2, 1, 6, 4]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Score__c DESC NULLS LAST, Id")),
        [5, 2, 1, 6, 4, 3]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Birthdate DESC, Id")),
        [3, 4, 6, 1, 2, 5]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Birthdate DESC NULLS LAST, Id")),
        [1, 2, 5, 3, 4, 6]
    );
    // the same default with explicit ASC
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Birthdate ASC, Id")),
        [3, 4, 6, 5, 2, 1]
    );
}

#[test]
fn order_by_datetimes_and_relationships() {
    assert_eq!(
        ids(&format!("{BASE} ORDER BY SystemModstamp DESC, Id")),
        [6, 3, 1, 5, 2, 4]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY SystemModstamp, Id")),
        [6, 4, 2, 1, 5, 3]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Owner.Name NULLS LAST, Id")),
        [2, 6, 1, 5, 3, 4]
    );
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Owner.Name DESC, Id")),
        [3, 4, 1, 5, 2, 6]
    );
}

#[test]
fn limit_offset_and_total_size() {
    let r = run(&format!("{BASE} ORDER BY Id LIMIT 2"));
    assert_eq!(r.total_size, 6);
    assert_eq!(r.records.len(), 2);
    assert_eq!(ids(&format!("{BASE} ORDER BY Id LIMIT 2")), [1, 2]);
    assert_eq!(ids(&format!("{BASE} ORDER BY Id LIMIT 2 OFFSET 3")), [4, 5]);
    assert_eq!(ids(&format!("{BASE} ORDER BY Id OFFSET 4")), [5, 6]);
    assert_eq!(
        ids(&format!("{BASE} ORDER BY Id DESC LIMIT 10 OFFSET 5")),
        [1]
    );
    let r = run(&format!("{BASE} ORDER BY Id OFFSET 10"));
    assert_eq!((r.total_size, r.records.len()), (6, 0));
    let r = run(&format!("{BASE} WHERE LastName = 'smith' LIMIT 1"));
    assert_eq!((r.total_size, r.records.len()), (2, 1));
    let r = run(&format!("{BASE} LIMIT 0"));
    assert_eq!((r.total_size, r.records.len()), (6, 0));
    assert_eq!(ids(&format!("{BASE} OFFSET 2000")), Vec::<u32>::new());
    // without ORDER BY the input order is kept
    assert_eq!(ids(&format!("{BASE} LIMIT 3 OFFSET 1")), [2, 3, 4]);
}

#[test]
fn count() {
    let r = run("SELECT COUNT() FROM Contact");
    assert_eq!(r.total_size, 6);
    assert!(r.records.is_empty());
    assert_eq!(
        run("select count() from contact where LastName = 'smith'").total_size,
        2
    );
    assert_eq!(
        run("SELECT Count() FROM Contact WHERE Phone = null").total_size,
        2
    );
    assert_eq!(run("SELECT COUNT() FROM Contact LIMIT 1").total_size, 1);
    assert_eq!(
        run("SELECT COUNT() FROM Contact WHERE LastName = 'nobody'").total_size,
        0
    );
    assert!(bound("SELECT COUNT() FROM Contact").is_count);
    // a field may be called Count
    assert!(soql::parse("SELECT Count FROM Contact").is_ok_and(|q| !q.is_count));
}

#[test]
fn projection_shape_and_key_order() {
    let r = run(
        "SELECT Id, Name, Owner.Name, Phone, Owner.Email FROM Contact WHERE Id = '003000000000001AAA'",
    );
    assert_eq!(r.records.len(), 1);
    assert_eq!(
        serde_json::to_string(&r.records[0]).unwrap(),
        json!({
            "attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003000000000001AAA"},
            "Id": "003000000000001AAA",
            "Name": "Ann Smith",
            "Owner": {
                "attributes": {"type": "User", "url": "/services/data/v62.0/sobjects/User/005000000000001AAA"},
                "Name": "Jane Admin",
                "Email": "jane@example.com"
            },
            "Phone": "555-0001"
        })
        .to_string()
    );
}

#[test]
fn null_and_dangling_relationships_project_as_null() {
    let r = run(
        "SELECT Id, Owner.Name, Phone FROM Contact WHERE Id IN ('003000000000003AAA', '003000000000004AAA', '003000000000006AAA') ORDER BY Id",
    );
    assert_eq!(r.records[0]["Owner"], json!(null)); // owner id points nowhere
    assert_eq!(r.records[1]["Owner"], json!(null)); // owner id is null
    assert_eq!(r.records[2]["Owner"]["Name"], json!("Bob Rep"));
    assert_eq!(r.records[2]["Phone"], json!(null)); // missing field → null
    let keys: Vec<&String> = r.records[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["attributes", "Id", "Owner", "Phone"]);
}

#[test]
fn nested_relationships_project_as_nested_objects() {
    let r = run(
        "SELECT Account.Owner.Name, Account.Name, Id FROM Contact WHERE Id = '003000000000001AAA'",
    );
    assert_eq!(
        serde_json::to_string(&r.records[0]).unwrap(),
        json!({
            "attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003000000000001AAA"},
            "Account": {
                "attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/001000000000001AAA"},
                "Owner": {
                    "attributes": {"type": "User", "url": "/services/data/v62.0/sobjects/User/005000000000002AAA"},
                    "Name": "Bob Rep"
                },
                "Name": "Acme"
            },
            "Id": "003000000000001AAA"
        })
        .to_string()
    );
}

#[test]
fn keywords_and_names_are_case_insensitive_and_results_use_describe_casing() {
    let q = bound(
        "select id, NAME, owner.name from CONTACT where lastname = 'zola' order by CREATEDDATE desc nulls last limit 5",
    );
    assert_eq!(q.object, "Contact");
    assert_eq!(q.fields[0].path, ["Id"]);
    assert_eq!(q.fields[1].path, ["Name"]);
    assert_eq!(q.fields[2].path, ["Owner", "Name"]);
    assert_eq!(q.fields[2].relationships[0].object, "User");
    assert_eq!(q.fields[2].relationships[0].id_field, "OwnerId");
    assert_eq!(q.fields[2].field_type, Some(FieldType::String));
    assert_eq!(q.order_by[0].field.path, ["CreatedDate"]);
    assert_eq!(q.order_by[0].direction, SortDirection::Desc);
    assert_eq!(q.order_by[0].nulls, NullsOrder::Last);
    assert!(q.is_bound());
    let contacts = contacts();
    let r = soql::evaluate(&q, &contacts, &org(), "v62.0");
    assert_eq!(
        r.records,
        [json!({
            "attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003000000000005AAA"},
            "Id": "003000000000005AAA",
            "Name": "Émile Zola",
            "Owner": {
                "attributes": {"type": "User", "url": "/services/data/v62.0/sobjects/User/005000000000001AAA"},
                "Name": "Jane Admin"
            }
        })]
    );
}

#[test]
fn whitespace_and_newlines_are_insignificant() {
    assert_eq!(
        ids("SELECT\n  Id\r\nFROM\tContact\nWHERE Calls__c>3\nORDER BY Id\n"),
        [2, 4]
    );
    assert_eq!(
        ids("SELECT Owner . Name , Id FROM Contact WHERE(Calls__c=10)"),
        [2]
    );
}

#[test]
fn unbound_queries_are_evaluated_best_effort() {
    let q = soql::parse("SELECT Id, Owner.Name FROM Contact WHERE LastName = 'SMITH' AND Calls__c > 3.5 ORDER BY Calls__c DESC").unwrap();
    let contacts = contacts();
    let r = soql::evaluate(&q, &contacts, &org(), "62.0");
    assert_eq!(r.total_size, 1);
    assert_eq!(r.records[0]["Id"], json!("003000000000002AAA"));
    assert_eq!(r.records[0]["Owner"], json!(null));
}

#[test]
fn bind_is_idempotent() {
    let q = bound("SELECT Id, Owner.Name FROM Contact WHERE Owner.Name = 'Bob Rep' ORDER BY Id");
    let again = soql::bind(q.clone(), &TestSchema).unwrap();
    assert_eq!(q, again);
}

#[test]
fn select_then_project_equals_evaluate_and_write_json_matches_the_value() {
    let contacts = contacts();
    let org = org();
    for soql in [
        "SELECT Id, Name, Owner.Name, Phone, Owner.Email FROM Contact ORDER BY Id",
        "SELECT Account.Owner.Name, Account.Name, Id, Score__c, Calls__c, DoNotCall FROM Contact",
        "SELECT Id, Owner.Name, Phone, Birthdate FROM Contact WHERE Id IN ('003000000000003AAA', '003000000000004AAA') ORDER BY Id DESC",
        "SELECT Id, LastName FROM Contact ORDER BY LastName LIMIT 3 OFFSET 2",
        "SELECT Id FROM Contact LIMIT 2 OFFSET 10",
    ] {
        let query = bound(soql);
        let evaluated = soql::evaluate(&query, &contacts, &org, "v62.0");
        let selection = soql::select(&query, &contacts, &org);
        assert_eq!(selection.total_size, evaluated.total_size, "{soql}");
        assert_eq!(selection.records.len(), evaluated.records.len(), "{soql}");
        assert_eq!(selection.positions.len(), selection.records.len(), "{soql}");
        for (record, &position) in selection.records.iter().zip(&selection.positions) {
            assert!(std::ptr::eq(*record, &contacts[position]), "{soql}");
        }
        let projection = soql::Projection::new(&query, "62.0");
        for (record, expected) in selection.records.iter().zip(&evaluated.records) {
            assert_eq!(&projection.project(record, &org), expected, "{soql}");
            let mut bytes = Vec::new();
            projection
                .write_json(record, &org, &mut bytes)
                .expect("write");
            assert_eq!(
                String::from_utf8(bytes).expect("utf-8"),
                serde_json::to_string(expected).expect("serialize"),
                "{soql}"
            );
        }
    }
    // LIMIT 2 OFFSET 10 on six contacts: nothing selected, all six counted.
    let empty = soql::select(
        &bound("SELECT Id FROM Contact LIMIT 2 OFFSET 10"),
        &contacts,
        &org,
    );
    assert_eq!((empty.total_size, empty.records.len()), (6, 0));
}
