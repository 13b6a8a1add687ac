//! DS-01: a Data Source filter's SOQL and its evaluation on mirrored records agree.
//!
//! For hand-written and a few hundred seeded-random filters over Contact and Lead, the ids
//! that the simulator's SOQL engine (parse → bind → select) returns for
//! `SELECT Id FROM <Object> WHERE <ValidFilter::to_soql_where>` on the simulator's seeded
//! records must be exactly the ids of the records for which `ValidFilter::matches` is true.
//!
//! The seeded Contacts and Leads have no number fields and no date values, so the test adds
//! two number columns the real objects have (`AnnualRevenue`, a double, and
//! `NumberOfEmployees`, an int) and fills `LastActivityDate` on a copy of the records; the
//! engine sees the same columns through a schema that extends the simulator's.

use std::collections::BTreeSet;

use filters::{
    Combine, Condition, FieldInfo, FieldKind, Filter, FilterItem, MAX_CONDITIONS, MAX_DEPTH, Op,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde_json::{Map, Value, json};
use sim::schema::{Object, SoqlSchema};

type Record = Map<String, Value>;

/// Columns the test adds to both objects: (name, label, soql type, filter kind).
const EXTRA: [(&str, &str, soql::FieldType, FieldKind); 2] = [
    (
        "AnnualRevenue",
        "Annual Revenue",
        soql::FieldType::Double,
        FieldKind::Number,
    ),
    (
        "NumberOfEmployees",
        "Employees",
        soql::FieldType::Int,
        FieldKind::Integer,
    ),
];

/// The simulator's schema plus [`EXTRA`].
struct TestSchema;

impl soql::Schema for TestSchema {
    fn object_name(&self, name: &str) -> Option<String> {
        SoqlSchema.object_name(name)
    }

    fn field(&self, object: &str, field: &str) -> Option<(String, soql::FieldType)> {
        SoqlSchema.field(object, field).or_else(|| {
            EXTRA
                .iter()
                .find(|(name, ..)| name.eq_ignore_ascii_case(field))
                .map(|(name, _, soql_type, _)| (name.to_string(), *soql_type))
        })
    }

    fn relationship(&self, object: &str, name: &str) -> Option<(String, String, String)> {
        SoqlSchema.relationship(object, name)
    }
}

/// Filters never follow relationships.
struct NoRelated;

impl soql::Related for NoRelated {
    fn record(&self, _object: &str, _id: &str) -> Option<&soql::Record> {
        None
    }
}

/// The object's filterable fields from its describe (as the server will build them), plus
/// [`EXTRA`].
fn field_infos(object: Object) -> Vec<FieldInfo> {
    let describe = object.describe("v62.0", "https://sim.example");
    let mut infos: Vec<FieldInfo> = describe["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["filterable"] == json!(true))
        .filter_map(|f| {
            let kind = FieldKind::from_describe_type(f["type"].as_str()?)?;
            Some(FieldInfo::new(
                f["name"].as_str()?,
                f["label"].as_str()?,
                kind,
            ))
        })
        .collect();
    infos.extend(
        EXTRA
            .iter()
            .map(|(name, label, _, kind)| FieldInfo::new(*name, *label, *kind)),
    );
    infos
}

/// The simulator's seeded records of `object`, with the [`EXTRA`] columns and
/// `LastActivityDate` filled (null for about one record in eight).
fn records(sim: &sim::Simulator, object: Object, rng: &mut StdRng) -> Vec<Record> {
    let mut records = sim.records(object);
    for record in &mut records {
        let revenue = match rng.gen_range(0..8) {
            0 => Value::Null,
            1 => json!(rng.gen_range(-5..5)),
            2 => json!(f64::from(rng.gen_range(0..40)) * 0.25),
            _ => json!(rng.gen_range(0..200) * 5000),
        };
        let employees = match rng.gen_range(0..8) {
            0 => Value::Null,
            _ => json!(rng.gen_range(0..50)),
        };
        let activity = match rng.gen_range(0..8) {
            0 => Value::Null,
            _ => json!(format!(
                "202{}-{:02}-{:02}",
                rng.gen_range(3..6),
                rng.gen_range(1..13),
                rng.gen_range(1..29)
            )),
        };
        record.insert("AnnualRevenue".into(), revenue);
        record.insert("NumberOfEmployees".into(), employees);
        record.insert("LastActivityDate".into(), activity);
    }
    records
}

/// Strings built to break out of a SOQL literal or pattern.
const HOSTILE: &[&str] = &[
    "' OR Id != null OR Name = '",
    "\\' OR LastName != '",
    "O'Brien",
    "o\\'brien",
    "%",
    "_",
    "\\",
    "\"",
    "100% _x_",
    "a\nb\r\tc",
    "') OR (Id != null",
];

/// Everything the generator knows about one object.
struct Org {
    object: Object,
    fields: Vec<FieldInfo>,
    records: Vec<Record>,
}

impl Org {
    /// Distinct non-null values of `field` in the records, as text.
    fn values(&self, field: &str) -> Vec<String> {
        let set: BTreeSet<String> = self
            .records
            .iter()
            .filter_map(|r| match r.get(field)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect();
        set.into_iter().collect()
    }

    /// The ids the SOQL engine returns for the filter's WHERE clause.
    fn soql_ids(&self, where_clause: Option<&str>) -> BTreeSet<String> {
        let text = match where_clause {
            Some(w) => format!("SELECT Id FROM {} WHERE {w}", self.object.name()),
            None => format!("SELECT Id FROM {}", self.object.name()),
        };
        let query = soql::parse(&text)
            .and_then(|q| soql::bind(q, &TestSchema))
            .unwrap_or_else(|e| panic!("the engine refused {text}: {e}"));
        soql::select(&query, &self.records, &NoRelated)
            .records
            .into_iter()
            .map(id_of)
            .collect()
    }

    /// Checks one filter; returns how many records matched.
    fn agree(&self, filter: &Filter) -> usize {
        let valid = filter
            .validate(self.object.name(), &self.fields)
            .unwrap_or_else(|e| panic!("{e}\n{}", filter.to_json()));
        let from_soql = self.soql_ids(valid.to_soql_where());
        let from_matches: BTreeSet<String> = self
            .records
            .iter()
            .filter(|r| valid.matches(r))
            .map(id_of)
            .collect();
        if from_soql != from_matches {
            let differing = from_soql.symmetric_difference(&from_matches).next();
            let record = self.records.iter().find(|r| Some(&id_of(r)) == differing);
            panic!(
                "disagreement on {}\nfilter: {}\nwhere: {:?}\nsoql: {} ids, matches: {} ids\nfirst differing record: {}",
                self.object.name(),
                filter.to_json(),
                valid.to_soql_where(),
                from_soql.len(),
                from_matches.len(),
                record.map(|r| Value::Object(r.clone())).unwrap_or_default()
            );
        }
        from_soql.len()
    }
}

fn id_of(record: &Record) -> String {
    record
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn orgs() -> Vec<Org> {
    let sim = sim::Simulator::new(sim::SimConfig::default());
    let mut rng = StdRng::seed_from_u64(7);
    [Object::Contact, Object::Lead]
        .into_iter()
        .map(|object| Org {
            object,
            fields: field_infos(object),
            records: records(&sim, object, &mut rng),
        })
        .collect()
}

fn c(field: &str, op: Op, value: &str) -> FilterItem {
    FilterItem::Condition(Condition::new(field, op, value))
}

fn list(field: &str, op: Op, values: &[&str]) -> FilterItem {
    FilterItem::Condition(Condition::list(field, op, values.iter().copied()))
}

fn all(items: Vec<FilterItem>) -> Filter {
    Filter {
        combine: Combine::All,
        items,
    }
}

fn any(items: Vec<FilterItem>) -> Filter {
    Filter {
        combine: Combine::Any,
        items,
    }
}

#[test]
fn ds_01_hand_written_filters_agree_with_soql_on_the_simulator_data() {
    for org in orgs() {
        let country = if org.object == Object::Lead {
            "Country"
        } else {
            "MailingCountry"
        };
        let state = if org.object == Object::Lead {
            "State"
        } else {
            "MailingState"
        };
        let owner = org.values("OwnerId").into_iter().next().unwrap_or_default();
        let owner15 = owner.get(..15).unwrap_or_default().to_string();
        let first_id = org.values("Id").into_iter().next().unwrap_or_default();
        let mut filters = vec![
            Filter::default(),
            all(vec![c(country, Op::Equals, "united states")]),
            all(vec![c(country, Op::NotEquals, "GERMANY")]),
            all(vec![c("LastName", Op::Equals, "o'brien")]),
            all(vec![c("LastName", Op::StartsWith, "VAN ")]),
            all(vec![c("LastName", Op::Contains, "ü")]),
            all(vec![c("FirstName", Op::Contains, "É")]),
            all(vec![c("FirstName", Op::IsEmpty, "")]),
            all(vec![c("Email", Op::IsNotEmpty, "")]),
            all(vec![c(state, Op::IsEmpty, "")]),
            all(vec![c(state, Op::NotEquals, "CA")]),
            all(vec![list(state, Op::NotIn, &["CA", "ny"])]),
            all(vec![c("Salutation", Op::NotEquals, "Mr.")]),
            all(vec![list("Salutation", Op::In, &["mr.", "DR."])]),
            all(vec![c("Phone", Op::StartsWith, "+1 ")]),
            all(vec![c("Phone", Op::Contains, "(0)")]),
            all(vec![list("Phone", Op::In, &["n/a", "TBD", "123"])]),
            all(vec![c("DoNotCall", Op::Equals, "true")]),
            all(vec![c("HasOptedOutOfEmail", Op::NotEquals, "TRUE")]),
            all(vec![c("OwnerId", Op::Equals, &owner)]),
            all(vec![c("OwnerId", Op::Equals, &owner15)]),
            all(vec![c("OwnerId", Op::NotEquals, &owner15.to_lowercase())]),
            all(vec![list("Id", Op::In, &[&first_id, "00Q000000000000"])]),
            all(vec![c("OwnerId", Op::IsEmpty, "")]),
            all(vec![c(
                "CreatedDate",
                Op::GreaterOrEqual,
                "2025-06-01T00:00:00Z",
            )]),
            all(vec![c(
                "CreatedDate",
                Op::LessThan,
                "2025-06-01T02:00:00+02:00",
            )]),
            all(vec![c(
                "SystemModstamp",
                Op::NotEquals,
                "2025-03-01T00:00:00-05:00",
            )]),
            all(vec![c("LastActivityDate", Op::LessOrEqual, "2024-06-30")]),
            all(vec![list(
                "LastActivityDate",
                Op::NotIn,
                &["2024-01-01", "2025-05-05"],
            )]),
            all(vec![c("LastActivityDate", Op::IsEmpty, "")]),
            all(vec![c("AnnualRevenue", Op::GreaterThan, "-1.5")]),
            all(vec![c("AnnualRevenue", Op::Equals, "2.25")]),
            all(vec![c("AnnualRevenue", Op::NotEquals, "0")]),
            all(vec![list("AnnualRevenue", Op::In, &["0", "5000", "-3"])]),
            all(vec![c("NumberOfEmployees", Op::LessThan, "10")]),
            all(vec![list("NumberOfEmployees", Op::NotIn, &["1", "2", "3"])]),
            any(vec![
                c("LeadSource", Op::Equals, "web"),
                all(vec![
                    c("Email", Op::IsNotEmpty, ""),
                    any(vec![
                        c("Title", Op::StartsWith, "vp"),
                        c("AnnualRevenue", Op::GreaterOrEqual, "500000"),
                    ])
                    .into(),
                ])
                .into(),
            ]),
        ];
        for &hostile in HOSTILE {
            filters.push(all(vec![c("LastName", Op::Equals, hostile)]));
            filters.push(all(vec![c("LastName", Op::NotEquals, hostile)]));
            filters.push(all(vec![c("Title", Op::Contains, hostile)]));
            filters.push(any(vec![
                c("FirstName", Op::StartsWith, hostile),
                list("Email", Op::NotIn, &[hostile, "x"]),
            ]));
        }
        for filter in &filters {
            org.agree(filter);
        }
    }
}

/// Generates random valid filters whose values come from the data (so they match).
struct Generator<'a> {
    org: &'a Org,
    rng: StdRng,
    conditions: usize,
    /// The record most values of the current filter come from, so that conditions joined
    /// with AND still match something.
    anchor: Option<&'a Record>,
}

impl Generator<'_> {
    fn filter(&mut self) -> Filter {
        self.conditions = 0;
        self.anchor = self.org.records.choose(&mut self.rng);
        self.group(1)
    }

    fn group(&mut self, depth: usize) -> Filter {
        let combine = if self.rng.gen_bool(0.5) {
            Combine::All
        } else {
            Combine::Any
        };
        let count = self.rng.gen_range(1..=3);
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            if self.conditions >= MAX_CONDITIONS {
                break;
            }
            if depth < MAX_DEPTH && self.rng.gen_bool(0.25) {
                items.push(FilterItem::Group(self.group(depth + 1)));
            } else {
                self.conditions += 1;
                items.push(FilterItem::Condition(self.condition()));
            }
        }
        if items.is_empty() {
            self.conditions += 1;
            items.push(FilterItem::Condition(self.condition()));
        }
        Filter { combine, items }
    }

    fn condition(&mut self) -> Condition {
        let fields = &self.org.fields;
        let info = &fields[self.rng.gen_range(0..fields.len())];
        let ops: Vec<Op> = Op::ALL
            .into_iter()
            .filter(|op| info.kind.allows(*op))
            .collect();
        let op = ops[self.rng.gen_range(0..ops.len())];
        // Field names in any casing: validation restores the describe casing.
        let field = match self.rng.gen_range(0..4) {
            0 => info.name.to_lowercase(),
            1 => info.name.to_uppercase(),
            _ => info.name.clone(),
        };
        match op {
            Op::IsEmpty | Op::IsNotEmpty => Condition::new(field, op, ""),
            Op::In | Op::NotIn => {
                let count = self.rng.gen_range(1..=5);
                let values: Vec<String> = (0..count).map(|_| self.value(info, op)).collect();
                Condition::list(field, op, values)
            }
            _ => {
                let value = self.value(info, op);
                Condition::new(field, op, value)
            }
        }
    }

    fn value(&mut self, info: &FieldInfo, op: Op) -> String {
        let anchored = self
            .anchor
            .and_then(|r| r.get(&info.name))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .filter(|_| self.rng.gen_bool(0.6));
        let from_data = anchored.or_else(|| {
            let data = self.org.values(&info.name);
            data.choose(&mut self.rng).cloned()
        });
        let rng = &mut self.rng;
        match info.kind {
            FieldKind::Text => {
                let base = match from_data {
                    Some(v) if rng.gen_bool(0.85) => v,
                    _ => HOSTILE[rng.gen_range(0..HOSTILE.len())].to_string(),
                };
                let chars: Vec<char> = base.chars().collect();
                let piece = match op {
                    Op::StartsWith => {
                        let end = rng.gen_range(1..=chars.len().max(1));
                        chars[..end.min(chars.len())].iter().collect()
                    }
                    Op::Contains => {
                        let start = rng.gen_range(0..chars.len().max(1));
                        let end = rng.gen_range(start..=chars.len()).max(start + 1);
                        chars[start.min(chars.len())..end.min(chars.len())]
                            .iter()
                            .collect()
                    }
                    _ => base.clone(),
                };
                let piece = if piece.trim().is_empty() { base } else { piece };
                match rng.gen_range(0..4) {
                    0 => piece.to_uppercase(),
                    1 => piece.to_lowercase(),
                    _ => piece,
                }
            }
            FieldKind::Id => {
                let id = from_data.unwrap_or_else(|| "003000000000000AAA".into());
                match rng.gen_range(0..4) {
                    0 => id.get(..15).unwrap_or_default().to_string(),
                    1 => id.to_lowercase(),
                    _ => id,
                }
            }
            FieldKind::Boolean => rng.gen_bool(0.5).to_string(),
            FieldKind::Integer => match from_data {
                Some(v) if rng.gen_bool(0.7) => v,
                _ => rng.gen_range(-5..60).to_string(),
            },
            FieldKind::Number => match from_data {
                Some(v) if rng.gen_bool(0.7) => v,
                _ => format!("{}.{}", rng.gen_range(-5..20), rng.gen_range(0..100)),
            },
            FieldKind::Date => match from_data {
                Some(v) if rng.gen_bool(0.7) => v,
                _ => format!(
                    "202{}-{:02}-{:02}",
                    rng.gen_range(3..6),
                    rng.gen_range(1..13),
                    rng.gen_range(1..29)
                ),
            },
            FieldKind::DateTime => match from_data {
                // Records hold `2025-03-01T10:00:00.000+0000`: the same instant, as typed.
                Some(v) if rng.gen_bool(0.7) => {
                    format!("{}Z", v.get(..19).unwrap_or_default())
                }
                _ => format!(
                    "2025-{:02}-{:02}T{:02}:{:02}:00{}",
                    rng.gen_range(1..13),
                    rng.gen_range(1..29),
                    rng.gen_range(0..24),
                    rng.gen_range(0..60),
                    ["Z", "+02:00", "-0530", "+14:00"][rng.gen_range(0..4)]
                ),
            },
        }
    }
}

#[test]
fn ds_01_random_filters_agree_with_soql_on_the_simulator_data() {
    const PER_OBJECT: usize = 400;
    for org in orgs() {
        let mut generator = Generator {
            org: &org,
            rng: StdRng::seed_from_u64(2025),
            conditions: 0,
            anchor: None,
        };
        let total = org.records.len();
        let (mut none, mut every, mut selective) = (0, 0, 0);
        for _ in 0..PER_OBJECT {
            let filter = generator.filter();
            match org.agree(&filter) {
                0 => none += 1,
                n if n == total => every += 1,
                _ => selective += 1,
            }
        }
        eprintln!(
            "{}: {selective} filters matched some records, {none} none, {every} all",
            org.object.name()
        );
        // Values come from the data, so many filters split the records (many fields are
        // constant in the seed, e.g. IsDeleted or Fax, so some match all or none).
        assert!(
            selective * 3 > PER_OBJECT && none > 0 && every > 0,
            "{}: only {selective} of {PER_OBJECT} filters matched some but not all records",
            org.object.name()
        );
    }
}
