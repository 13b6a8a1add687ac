//! Deterministic seed data: realistic names, countries, owners and phone numbers in several
//! formats (some invalid or missing). The same seed always yields the same org.

use rand::{Rng, rngs::StdRng, seq::SliceRandom};
use serde_json::{Map, Value, json};

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "Sophie",
    "Lukas",
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Mia",
    "Hannah",
    "Léa",
    "Hugo",
    "Chloé",
    "Mateo",
    "Lucía",
    "Sofía",
    "Giulia",
    "Marco",
    "Aiko",
    "Haruto",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Zoë",
    "Jürgen",
    "Björn",
    "Siobhán",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Martin",
    "Bernard",
    "Dubois",
    "Rossi",
    "Russo",
    "Ferrari",
    "García",
    "Fernández",
    "López",
    "Tanaka",
    "Suzuki",
    "Patel",
    "Sharma",
    "O'Brien",
    "Murphy",
    "van der Berg",
    "Nowak",
    "Kowalski",
    "Andersson",
    "Nguyen",
];
const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella GmbH",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent SA",
    "Hooli",
    "Vandelay Industries",
    "Tyrell Corp",
    "Cyberdyne Systems",
    "Wonka Ltd",
    "Aperture Science",
];
const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "VP Sales",
    "Office Manager",
    "Buyer",
    "Head of IT",
    "Account Manager",
    "Director",
];
const SALUTATIONS: &[&str] = &["Mr.", "Ms.", "Mrs.", "Dr."];
const SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];

/// (country, cities, phone formatter)
struct Country {
    name: &'static str,
    cities: &'static [(&'static str, &'static str, &'static str)],
}

const COUNTRIES: &[Country] = &[
    Country {
        name: "United States",
        cities: &[
            ("San Francisco", "CA", "94105"),
            ("New York", "NY", "10001"),
            ("Austin", "TX", "73301"),
        ],
    },
    Country {
        name: "United Kingdom",
        cities: &[("London", "", "EC1A 1BB"), ("Manchester", "", "M1 1AE")],
    },
    Country {
        name: "Germany",
        cities: &[("Berlin", "", "10115"), ("München", "BY", "80331")],
    },
    Country {
        name: "France",
        cities: &[("Paris", "", "75001"), ("Lyon", "", "69001")],
    },
    Country {
        name: "Spain",
        cities: &[("Madrid", "", "28001")],
    },
    Country {
        name: "Italy",
        cities: &[("Milano", "MI", "20121")],
    },
    Country {
        name: "Japan",
        cities: &[("Tokyo", "", "100-0001")],
    },
    Country {
        name: "India",
        cities: &[("Bengaluru", "KA", "560001")],
    },
];

/// The countries seeded people live in, by the names [`phone`] takes.
pub fn country_names() -> impl Iterator<Item = &'static str> {
    COUNTRIES.iter().map(|c| c.name)
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// A phone number for `country`: valid in one of several formats, sometimes invalid or missing.
pub fn phone(rng: &mut StdRng, country: &str) -> Value {
    let roll = rng.gen_range(0..100);
    if roll < 8 {
        return Value::Null;
    }
    if roll < 13 {
        let junk = [
            "n/a",
            "123",
            "555-CALL-NOW",
            "+1 (415) 555",
            "tbd",
            "0000000000000000000",
        ];
        return json!(junk[rng.gen_range(0..junk.len())]);
    }
    let style = rng.gen_range(0..3);
    let number = match country {
        "United States" => {
            let (a, b, c) = (
                format!("{}{}", rng.gen_range(2..10), digits(rng, 2)),
                digits(rng, 3),
                digits(rng, 4),
            );
            match style {
                0 => format!("+1 {a}-{b}-{c}"),
                1 => format!("({a}) {b}-{c}"),
                _ => format!("{a}.{b}.{c}"),
            }
        }
        "United Kingdom" => match style {
            0 => format!("+44 20 {} {}", digits(rng, 4), digits(rng, 4)),
            1 => format!("020 {} {}", digits(rng, 4), digits(rng, 4)),
            _ => format!("+44 (0)7{} {}", digits(rng, 3), digits(rng, 6)),
        },
        "Germany" => match style {
            0 => format!("+49 30 {}", digits(rng, 7)),
            1 => format!("030 {}", digits(rng, 7)),
            _ => format!("0049 (0)89 {}-{}", digits(rng, 4), digits(rng, 2)),
        },
        "France" => match style {
            0 => format!(
                "+33 1 {} {} {} {}",
                digits(rng, 2),
                digits(rng, 2),
                digits(rng, 2),
                digits(rng, 2)
            ),
            1 => format!(
                "01.{}.{}.{}.{}",
                digits(rng, 2),
                digits(rng, 2),
                digits(rng, 2),
                digits(rng, 2)
            ),
            _ => format!("+33{}", digits(rng, 9)),
        },
        "Japan" => format!("+81 3-{}-{}", digits(rng, 4), digits(rng, 4)),
        "India" => format!("+91 {} {}", digits(rng, 5), digits(rng, 5)),
        "Spain" => format!(
            "+34 91 {} {} {}",
            digits(rng, 3),
            digits(rng, 2),
            digits(rng, 2)
        ),
        _ => format!("+39 02 {}", digits(rng, 8)),
    };
    json!(number)
}

fn email(first: &str, last: &str, company: &str) -> String {
    let clean = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    format!(
        "{}.{}@{}.example.com",
        clean(first),
        clean(last),
        clean(company)
    )
}

/// The writable fields of a seeded Contact (or, with `lead`, a Lead).
pub fn person(rng: &mut StdRng, lead: bool, owner_ids: &[String]) -> Map<String, Value> {
    let first = *FIRST.choose(rng).unwrap_or(&"Alex");
    let last = *LAST.choose(rng).unwrap_or(&"Doe");
    let company = *COMPANIES.choose(rng).unwrap_or(&"Acme Corp");
    let country = &COUNTRIES[rng.gen_range(0..COUNTRIES.len())];
    let (city, state, zip) = country.cities[rng.gen_range(0..country.cities.len())];
    let mut m = Map::new();
    m.insert(
        "FirstName".into(),
        if rng.gen_bool(0.03) {
            Value::Null
        } else {
            json!(first)
        },
    );
    m.insert("LastName".into(), json!(last));
    m.insert(
        "Salutation".into(),
        if rng.gen_bool(0.5) {
            json!(SALUTATIONS[rng.gen_range(0..SALUTATIONS.len())])
        } else {
            Value::Null
        },
    );
    m.insert(
        "Title".into(),
        json!(TITLES[rng.gen_range(0..TITLES.len())]),
    );
    m.insert("Phone".into(), phone(rng, country.name));
    m.insert("MobilePhone".into(), phone(rng, country.name));
    m.insert(
        "Email".into(),
        if rng.gen_bool(0.1) {
            Value::Null
        } else {
            json!(email(first, last, company))
        },
    );
    m.insert(
        "LeadSource".into(),
        json!(SOURCES[rng.gen_range(0..SOURCES.len())]),
    );
    m.insert("DoNotCall".into(), json!(rng.gen_bool(0.05)));
    m.insert("HasOptedOutOfEmail".into(), json!(rng.gen_bool(0.1)));
    let state = if state.is_empty() {
        Value::Null
    } else {
        json!(state)
    };
    if lead {
        m.insert("Company".into(), json!(company));
        m.insert("City".into(), json!(city));
        m.insert("State".into(), state);
        m.insert("PostalCode".into(), json!(zip));
        m.insert("Country".into(), json!(country.name));
        let statuses = crate::schema::LEAD_STATUSES;
        m.insert("Status".into(), json!(statuses[rng.gen_range(0..2)]));
    } else {
        m.insert(
            "Department".into(),
            json!(["Sales", "IT", "Finance", "Operations"][rng.gen_range(0..4)]),
        );
        m.insert(
            "HomePhone".into(),
            if rng.gen_bool(0.2) {
                phone(rng, country.name)
            } else {
                Value::Null
            },
        );
        m.insert("MailingCity".into(), json!(city));
        m.insert("MailingState".into(), state);
        m.insert("MailingPostalCode".into(), json!(zip));
        m.insert("MailingCountry".into(), json!(country.name));
    }
    if let Some(owner) = owner_ids.choose(rng) {
        m.insert("OwnerId".into(), json!(owner));
    }
    m
}

/// A simulated user: (username, password, first name, last name).
pub fn user(index: usize) -> (String, String, String, String) {
    let first = [
        "Ada", "Grace", "Alan", "Barbara", "Ken", "Margaret", "Dennis", "Frances",
    ];
    let last = [
        "Admin", "Hopper", "Turing", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen",
    ];
    let username = if index == 0 {
        "admin@orgsync-sim.example".to_string()
    } else {
        format!("agent{index}@orgsync-sim.example")
    };
    (
        username,
        format!("sim-password-{index}"),
        first[index % first.len()].to_string(),
        last[index % last.len()].to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn same_seed_same_people() {
        let owners = vec!["005x".to_string()];
        let a: Vec<_> = (0..20)
            .scan(StdRng::seed_from_u64(7), |rng, _| {
                Some(person(rng, false, &owners))
            })
            .collect();
        let b: Vec<_> = (0..20)
            .scan(StdRng::seed_from_u64(7), |rng, _| {
                Some(person(rng, false, &owners))
            })
            .collect();
        assert_eq!(a, b);
    }
}
