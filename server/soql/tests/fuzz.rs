//! Property-style robustness: many random inputs, never a panic or a stack overflow.

mod common;

use common::*;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOKENS: &[&str] = &[
    "SELECT",
    "select",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "COUNT",
    "COUNT()",
    "null",
    "true",
    "false",
    "Id",
    "Name",
    "LastName",
    "Phone",
    "Owner",
    ".",
    "Owner.Name",
    "Account.Owner.Name",
    "Contact",
    "contact",
    "User",
    "Foo",
    "DoNotCall",
    "Calls__c",
    "Score__c",
    "CreatedDate",
    "Birthdate",
    ",",
    "(",
    ")",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "'x'",
    "'a%'",
    "'\\''",
    "'\\q'",
    "'",
    "\\",
    "0",
    "-1",
    "1.5",
    "2000",
    "2001",
    "99999999999999999999",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.000+0000",
    "2024-13-45T99:00:00Z",
    "2024-01-01T",
    "*",
    ";",
    ":",
    "é",
    "\n",
    "\t",
    " ",
    "",
];

const SEEDS: &[&str] = &[
    "SELECT Id, Name, Owner.Name FROM Contact WHERE LastName = 'smith' ORDER BY Name DESC NULLS LAST LIMIT 10 OFFSET 2",
    "SELECT COUNT() FROM Lead WHERE (Phone != null OR Email LIKE '%@x.com') AND DoNotCall = false",
    "SELECT Id FROM Contact WHERE CreatedDate > 2024-01-01T00:00:00Z AND Calls__c IN (1, 2, 3)",
    "SELECT Id FROM Contact WHERE NOT (Birthdate = 2024-01-31 OR Score__c >= 1.5) ORDER BY Id",
    "SELECT Id FROM Contact WHERE Name NOT IN ('a\\'b', 'c\\\\d') ORDER BY Owner.Name, Id",
];

fn exercise(input: &str, contacts: &[soql::Record], org: &Org) -> bool {
    let Ok(query) = soql::parse(input) else {
        return false;
    };
    // Unbound evaluation must not panic either.
    let _ = soql::evaluate(&query, contacts, org, "62.0");
    if let Ok(bound) = soql::bind(query, &TestSchema) {
        let _ = soql::evaluate(&bound, contacts, org, "62.0");
    }
    true
}

#[test]
fn random_bytes_never_panic() {
    let (contacts, org) = (contacts(), org());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(4) {
                0 => rng.next() as u8,
                _ => b" ()',.=<>!%_\\-+:0123456789SELECTFROMWHEREIdName"[rng.below(47)],
            })
            .collect();
        let input = String::from_utf8_lossy(&bytes);
        exercise(&input, &contacts, &org);
    }
}

#[test]
fn random_token_strings_never_panic() {
    let (contacts, org) = (contacts(), org());
    let mut rng = Rng(42);
    let mut parsed = 0;
    for i in 0..30_000 {
        let mut input = String::new();
        if i % 2 == 0 {
            input.push_str("SELECT ");
        }
        for _ in 0..rng.below(24) {
            input.push_str(rng.pick(TOKENS));
            if rng.below(3) != 0 {
                input.push(' ');
            }
        }
        if exercise(&input, &contacts, &org) {
            parsed += 1;
        }
    }
    // almost all of these are garbage; that is the point
    assert!(parsed < 30_000);
}

const FIELDS: &[&str] = &[
    "Id",
    "name",
    "LastName",
    "Phone",
    "Email",
    "OwnerId",
    "Owner.Name",
    "owner.email",
    "Account.Owner.Name",
    "DoNotCall",
    "Calls__c",
    "Score__c",
    "Birthdate",
    "CreatedDate",
    "SystemModstamp",
    "Nope",
];
const VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "3",
    "-1",
    "1.5",
    "'smith'",
    "'a%'",
    "'%_%'",
    "'O\\'Brien'",
    "2024-01-01",
    "1990-05-01",
    "2024-01-03T01:00:00+01:00",
    "2024-03-01T10:00:00.000+0000",
];
const OPS: &[&str] = &[
    "=", "!=", "<>", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN",
];

fn condition(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth > 4 { 1 } else { 4 }) {
        0 => {
            let (field, op) = (rng.pick(FIELDS), rng.pick(OPS));
            if op.ends_with("IN") {
                let values: Vec<&str> = (0..1 + rng.below(3)).map(|_| rng.pick(VALUES)).collect();
                format!("{field} {op} ({})", values.join(", "))
            } else if op == "LIKE" {
                format!(
                    "{field} LIKE {}",
                    rng.pick(&["'smith'", "'a%'", "'%_%'", "'\\%'"])
                )
            } else {
                format!("{field} {op} {}", rng.pick(VALUES))
            }
        }
        1 => format!("NOT ({})", condition(rng, depth + 1)),
        k => {
            let joiner = if k == 2 { " AND " } else { " OR " };
            let parts: Vec<String> = (0..2 + rng.below(2))
                .map(|_| format!("({})", condition(rng, depth + 1)))
                .collect();
            parts.join(joiner)
        }
    }
}

#[test]
fn generated_queries_bind_and_evaluate_without_panics() {
    let (contacts, org) = (contacts(), org());
    let mut rng = Rng(2024);
    let (mut bound_ok, mut total) = (0, 0);
    for _ in 0..20_000 {
        let select = if rng.below(8) == 0 {
            "COUNT()".to_string()
        } else {
            let mut fields: Vec<&str> = (0..1 + rng.below(4)).map(|_| rng.pick(FIELDS)).collect();
            fields.dedup();
            fields.join(", ")
        };
        let mut soql = format!(
            "SELECT {select} FROM {}",
            rng.pick(&["Contact", "lead", "Contact"])
        );
        if rng.below(4) != 0 {
            soql.push_str(&format!(" WHERE {}", condition(&mut rng, 0)));
        }
        if rng.below(2) == 0 {
            let items: Vec<String> = (0..1 + rng.below(3))
                .map(|_| {
                    format!(
                        "{} {} {}",
                        rng.pick(FIELDS),
                        rng.pick(&["", "ASC", "DESC"]),
                        rng.pick(&["", "NULLS FIRST", "NULLS LAST"])
                    )
                })
                .collect();
            soql.push_str(&format!(" ORDER BY {}", items.join(", ")));
        }
        if rng.below(3) == 0 {
            soql.push_str(&format!(" LIMIT {}", rng.below(8)));
        }
        if rng.below(3) == 0 {
            soql.push_str(&format!(" OFFSET {}", rng.below(8)));
        }
        let query = soql::parse(&soql).unwrap_or_else(|e| panic!("{soql}: {e}"));
        total += 1;
        if let Ok(q) = soql::bind(query, &TestSchema) {
            bound_ok += 1;
            let r = soql::evaluate(&q, &contacts, &org, "62.0");
            assert!(r.total_size <= contacts.len());
            assert!(r.records.len() <= r.total_size);
        }
    }
    println!("{bound_ok} of {total} generated queries bound and were evaluated");
    assert!(bound_ok > total / 20, "{bound_ok} of {total} bound");
}

#[test]
fn mutated_valid_queries_never_panic() {
    let (contacts, org) = (contacts(), org());
    let mut rng = Rng(7);
    for seed in SEEDS {
        assert!(exercise(seed, &contacts, &org), "seed must parse: {seed}");
    }
    for _ in 0..30_000 {
        let mut chars: Vec<char> = rng.pick(SEEDS).chars().collect();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(chars.len() + 1);
            match rng.below(4) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => {
                    let token: Vec<char> = rng.pick(TOKENS).chars().collect();
                    chars.splice(at..at, token);
                }
                2 if at + 1 < chars.len() => chars.swap(at, at + 1),
                _ => chars.truncate(at),
            }
        }
        let input: String = chars.into_iter().collect();
        exercise(&input, &contacts, &org);
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    for depth in [64usize, 65, 1_000, 100_000] {
        let soql = format!(
            "SELECT Id FROM Contact WHERE {}Name = 'x'{}",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let result = soql::parse(&soql);
        if depth <= soql::MAX_NESTING_DEPTH {
            assert!(result.is_ok(), "depth {depth}");
        } else {
            let e = result.expect_err("too deep");
            assert_eq!(e.error_code, soql::ErrorCode::MalformedQuery);
        }
    }
    // unbalanced openers only
    assert!(
        soql::parse(&format!(
            "SELECT Id FROM Contact WHERE {}",
            "(".repeat(200_000)
        ))
        .is_err()
    );
    assert!(
        soql::parse(&format!(
            "SELECT Id FROM Contact WHERE {}",
            "NOT (".repeat(200_000)
        ))
        .is_err()
    );
}

#[test]
fn huge_inputs_are_handled() {
    let list: Vec<String> = (0..50_000).map(|i| format!("'v{i}'")).collect();
    let soql = format!("SELECT Id FROM Contact WHERE Name IN ({})", list.join(","));
    let q = soql::bind(soql::parse(&soql).unwrap(), &TestSchema).unwrap();
    assert_eq!(
        soql::evaluate(&q, &contacts(), &org(), "62.0").total_size,
        0
    );
    let long_string = format!(
        "SELECT Id FROM Contact WHERE Name = '{}'",
        "a".repeat(1_000_000)
    );
    assert!(soql::parse(&long_string).is_ok());
    let chain = vec!["Name = 'x'"; 10_000].join(" OR ");
    assert!(soql::parse(&format!("SELECT Id FROM Contact WHERE {chain}")).is_ok());
}
