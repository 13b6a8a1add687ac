//! Errors: codes, Salesforce's message layout, and a table of malformed queries.

mod common;

use common::*;
use soql::ErrorCode::{self, InvalidField, InvalidType, MalformedQuery};

#[test]
fn malformed_queries_table() {
    let deep = format!(
        "SELECT Id FROM Contact WHERE {}Name = 'x'{}",
        "(".repeat(65),
        ")".repeat(65)
    );
    let cases: &[(&str, &str)] = &[
        ("", "unexpected token: <EOF>"),
        ("   ", "unexpected token: <EOF>"),
        ("SELECT", "unexpected token: <EOF>"),
        ("SELECT Id", "unexpected token: <EOF>"),
        ("SELECT Id FROM", "unexpected token: <EOF>"),
        ("SELECT FROM Contact", "unexpected token: 'FROM'"),
        ("SELECT Id, FROM Contact", "unexpected token: 'FROM'"),
        ("SELECT Id Name FROM Contact", "unexpected token: 'Name'"),
        ("SELECT * FROM Contact", "unexpected token: '*'"),
        ("SELECT Id. FROM Contact", "unexpected token: 'FROM'"),
        ("SELECT Owner..Name FROM Contact", "unexpected token: '.'"),
        ("SELECT Id FROM Contact;", "unexpected token: ';'"),
        ("SELECT Id FROM Contact c", "unexpected token: 'c'"),
        ("DELETE FROM Contact", "unexpected token: 'DELETE'"),
        ("SELECT Id FROM Contact WHERE", "unexpected token: <EOF>"),
        (
            "SELECT Id FROM Contact WHERE Name",
            "unexpected token: <EOF>",
        ),
        (
            "SELECT Id FROM Contact WHERE Name =",
            "unexpected token: <EOF>",
        ),
        (
            "SELECT Id FROM Contact WHERE Name == 'x'",
            "unexpected token: '='",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = 'x",
            "mismatched character '<EOF>' expecting '''",
        ),
        (
            r"SELECT Id FROM Contact WHERE Name = 'a\qb'",
            r"Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = \"x\"",
            "unexpected token: '\"'",
        ),
        (
            "SELECT Id FROM Contact WHERE (Name = 'x'",
            "unexpected token: <EOF>",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = 'x')",
            "unexpected token: ')'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = 'x' AND",
            "unexpected token: <EOF>",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = 'x' Phone = 'y'",
            "unexpected token: 'Phone'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = 'x' OR Phone = null AND Email = null",
            "unexpected token: 'AND'",
        ),
        (
            "SELECT Id FROM Contact WHERE NOT Name = 'x' OR Phone = null",
            "unexpected token: 'OR'",
        ),
        (
            "SELECT Id FROM Contact WHERE NOT NOT Name = 'x'",
            "unexpected token: 'NOT'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name IN ()",
            "unexpected token: ')'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name IN 'x'",
            "unexpected token: ''x''",
        ),
        (
            "SELECT Id FROM Contact WHERE Name IN ('x',)",
            "unexpected token: ')'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name NOT LIKE 'x'",
            "unexpected token: 'LIKE'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name LIKE 5",
            "unexpected token: '5'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = Phone",
            "unexpected token: 'Phone'",
        ),
        (
            "SELECT Id FROM Contact WHERE Name = :name",
            "unexpected token: ':'",
        ),
        (
            "SELECT Id FROM Contact WHERE Calls__c = 1e5",
            "unexpected token: 'e5'",
        ),
        (
            "SELECT Id FROM Contact WHERE FIRST = 'x'",
            "unexpected token: 'FIRST'",
        ),
        (
            "SELECT Id FROM Contact WHERE Id IN (SELECT ContactId FROM Task)",
            "unexpected token: 'SELECT'",
        ),
        (
            "SELECT Id FROM Contact WHERE CreatedDate > 2024-13-01T00:00:00Z",
            "unexpected token: '2024-13-01T00:00:00Z'",
        ),
        (
            "SELECT Id FROM Contact WHERE Birthdate > 2024-02-30",
            "unexpected token: '2024-02-30'",
        ),
        (
            "SELECT Id FROM Contact WHERE CreatedDate > 2024-01-01T00:00:00",
            "unexpected token: '2024-01-01T00:00:00'",
        ),
        (
            "SELECT Id FROM Contact ORDER Name",
            "unexpected token: 'ORDER'",
        ),
        ("SELECT Id FROM Contact ORDER BY", "unexpected token: <EOF>"),
        (
            "SELECT Id FROM Contact ORDER BY Name,",
            "unexpected token: <EOF>",
        ),
        (
            "SELECT Id FROM Contact ORDER BY Name NULLS",
            "unexpected token: <EOF>",
        ),
        (
            "SELECT Id FROM Contact ORDER BY Name NULLS MIDDLE",
            "unexpected token: 'MIDDLE'",
        ),
        (
            "SELECT Id FROM Contact ORDER BY Name DESC ASC",
            "unexpected token: 'ASC'",
        ),
        ("SELECT Id FROM Contact LIMIT", "unexpected token: <EOF>"),
        ("SELECT Id FROM Contact LIMIT -1", "unexpected token: '-1'"),
        (
            "SELECT Id FROM Contact LIMIT 1.5",
            "unexpected token: '1.5'",
        ),
        (
            "SELECT Id FROM Contact LIMIT 99999999999999999999999",
            "unexpected token: '99999999999999999999999'",
        ),
        (
            "SELECT Id FROM Contact LIMIT 1 LIMIT 2",
            "unexpected token: 'LIMIT'",
        ),
        (
            "SELECT Id FROM Contact OFFSET 5 LIMIT 1",
            "unexpected token: 'LIMIT'",
        ),
        (
            "SELECT Id FROM Contact LIMIT 10 WHERE Name = 'x'",
            "unexpected token: 'WHERE'",
        ),
        (
            "SELECT COUNT(Id) FROM Contact",
            "unexpected token: 'Id' (this simulator supports COUNT() without arguments only)",
        ),
        ("SELECT COUNT(), Id FROM Contact", "unexpected token: ','"),
        (
            "SELECT COUNT( FROM Contact",
            "unexpected token: 'FROM' (this simulator supports COUNT() without arguments only)",
        ),
        ("SELECT Name() FROM Contact", "unexpected token: '('"),
        (
            "SELECT Id FROM Contact WHERE Name = 'é' AND ¿ = 1",
            "unexpected token: '¿'",
        ),
        (
            &deep,
            "unexpected token: '(' (conditions nest deeper than 64 levels)",
        ),
    ];
    assert!(cases.len() >= 25);
    for (soql, description) in cases {
        let e = error(soql);
        assert_eq!(e.error_code, MalformedQuery, "{soql}: {}", e.message);
        assert!(
            e.message.ends_with(&format!("\n{description}")),
            "{soql}: got {:?}, want …{description:?}",
            e.message
        );
        assert!(
            e.message.starts_with('\n') && e.message.contains("\nERROR at Row:"),
            "{soql}"
        );
        assert_eq!(ErrorCode::MalformedQuery.as_str(), "MALFORMED_QUERY");
    }
}

#[test]
fn offset_above_2000_is_number_outside_valid_range() {
    for soql in [
        "SELECT Id FROM Contact OFFSET 2001",
        "SELECT Id FROM Contact ORDER BY Id LIMIT 5 OFFSET 99999",
    ] {
        let e = error(soql);
        assert_eq!(e.error_code, ErrorCode::NumberOutsideValidRange, "{soql}");
        assert_eq!(e.error_code.as_str(), "NUMBER_OUTSIDE_VALID_RANGE");
        assert_eq!(e.message, "Maximum SOQL offset allowed is 2000");
    }
    // 2000 itself is allowed
    assert!(soql::parse("SELECT Id FROM Contact OFFSET 2000").is_ok());
}

#[test]
fn malformed_message_layout_points_at_the_token() {
    assert_eq!(
        error("SELECT Id, FROM Contact").message,
        "\nSELECT Id, FROM Contact\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'From'".replace("'From'", "'FROM'")
    );
    assert_eq!(
        error("SELECT Id FROM").message,
        "\nSELECT Id FROM\n              ^\nERROR at Row:1:Column:15\nunexpected token: <EOF>"
    );
    assert_eq!(
        error("SELECT Id\nFROM Contact\nWHERE Name = 'x' Phone = 'y'").message,
        "\nWHERE Name = 'x' Phone = 'y'\n                 ^\nERROR at Row:3:Column:18\nunexpected token: 'Phone'"
    );
}

#[test]
fn long_queries_show_a_window_around_the_error() {
    let soql =
        "SELECT Id, FirstName, LastName, Name, Phone, Email, AccountId, OwnerId, From Contact";
    let e = error(soql);
    let lines: Vec<&str> = e.message.split('\n').collect();
    assert_eq!(lines[0], "");
    assert!(lines[1].len() < soql.len() && lines[1].contains("From Contact"));
    let caret = lines[2].len() - 1;
    assert_eq!(&lines[1][caret..caret + 4], "From");
    assert_eq!(lines[3], "ERROR at Row:1:Column:73");
    assert_eq!(lines[4], "unexpected token: 'From'");
}

#[test]
fn invalid_type_matches_the_real_capture() {
    let e = error("select count() from XYZZY");
    assert_eq!(e.error_code, InvalidType);
    assert_eq!(InvalidType.as_str(), "INVALID_TYPE");
    assert_eq!(
        e.message,
        "\nselect count() from XYZZY\n                    ^\nERROR at Row:1:Column:21\nsObject type 'XYZZY' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    );
    // the object is checked before the fields
    assert_eq!(error("SELECT Foo FROM Bar").error_code, InvalidType);
}

const HINT: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

#[test]
fn invalid_field_in_select_where_and_order_by() {
    let e = error("SELECT Id, Foo FROM contact");
    assert_eq!(e.error_code, InvalidField);
    assert_eq!(InvalidField.as_str(), "INVALID_FIELD");
    assert_eq!(
        e.message,
        format!(
            "\nSELECT Id, Foo FROM contact\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Contact'. {HINT}"
        )
    );
    let e = error("SELECT Id FROM Contact WHERE Bar__c = 1");
    assert_eq!(e.error_code, InvalidField);
    assert!(
        e.message
            .contains("ERROR at Row:1:Column:30\nNo such column 'Bar__c' on entity 'Contact'."),
        "{}",
        e.message
    );
    let e = error("SELECT Id FROM Contact WHERE Name = 'x' ORDER BY Baz DESC");
    assert_eq!(e.error_code, InvalidField);
    assert!(
        e.message
            .contains("No such column 'Baz' on entity 'Contact'."),
        "{}",
        e.message
    );
    let e = error("SELECT Owner.Foo FROM Contact");
    assert!(
        e.message
            .ends_with(&format!("No such column 'Foo' on entity 'User'. {HINT}")),
        "{}",
        e.message
    );
    let e = error("SELECT Ownr.Name FROM Contact");
    assert_eq!(e.error_code, InvalidField);
    assert!(e.message.ends_with("Didn't understand relationship 'Ownr' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."), "{}", e.message);
    // a relationship name is not a column
    assert_eq!(error("SELECT Owner FROM Contact").error_code, InvalidField);
}

#[test]
fn literal_type_mismatches_are_invalid_field() {
    let cases = [
        (
            "DoNotCall = 'true'",
            "value of filter criterion for field 'DoNotCall' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "Name = 5",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "Name = true",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "CreatedDate > 2024-01-01",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "CreatedDate > '2024-01-01T00:00:00Z'",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "Birthdate = 2024-01-01T00:00:00Z",
            "value of filter criterion for field 'Birthdate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "Calls__c = 1.5",
            "value of filter criterion for field 'Calls__c' must be of type int and should not be enclosed in quotes",
        ),
        (
            "Score__c = 'x'",
            "value of filter criterion for field 'Score__c' must be of type double and should not be enclosed in quotes",
        ),
        (
            "Id = 5",
            "value of filter criterion for field 'Id' must be of type id and should be enclosed in quotes",
        ),
        (
            "DoNotCall LIKE 'x'",
            "value of filter criterion for field 'DoNotCall' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "Name IN ('a', 1)",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "owner.isactive = 'yes'",
            "value of filter criterion for field 'Owner.IsActive' must be of type boolean and should not be enclosed in quotes",
        ),
    ];
    for (condition, description) in cases {
        let soql = format!("SELECT Id FROM Contact WHERE {condition}");
        let e = error(&soql);
        assert_eq!(e.error_code, InvalidField, "{soql}");
        assert!(
            e.message.ends_with(&format!("\n{description}")),
            "{soql}: {}",
            e.message
        );
        assert!(
            e.message.contains("ERROR at Row:1:Column:30\n"),
            "{soql}: {}",
            e.message
        );
    }
}

#[test]
fn duplicate_fields_are_rejected() {
    let e = error("SELECT Id, Name, id FROM Contact");
    assert_eq!(e.error_code, MalformedQuery);
    assert!(
        e.message
            .ends_with("ERROR at Row:1:Column:18\nduplicate field selected: Id"),
        "{}",
        e.message
    );
    assert_eq!(
        error("SELECT Owner.Name, owner.NAME FROM Contact").error_code,
        MalformedQuery
    );
    // the same name under different parents is fine
    assert!(
        soql::bind(
            soql::parse("SELECT Name, Owner.Name, Account.Name FROM Contact").unwrap(),
            &TestSchema
        )
        .is_ok()
    );
}

#[test]
fn display_includes_the_code() {
    let e = error("SELECT");
    assert_eq!(e.to_string(), format!("MalformedQuery: {}", e.message));
}
