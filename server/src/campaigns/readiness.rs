//! Whether a campaign record can be dialed, and if not, the reason an administrator sees
//! first (the order of [`Readiness`]'s variants).

use app::types::Readiness;
use serde_json::{Map, Value};

use super::phones::Phone;

/// The readiness of a record that still matches its Link (or `matching == false` if it
/// matches none any more).
pub fn assess(
    deleted: bool,
    matching: bool,
    fields: &Map<String, Value>,
    phones: &[Phone],
) -> Readiness {
    if deleted {
        Readiness::Deleted
    } else if !matching {
        Readiness::NotMatching
    } else if is_true(fields, "IsConverted") {
        Readiness::Converted
    } else if is_true(fields, "DoNotCall") {
        Readiness::DoNotCall
    } else if !phones.iter().any(Phone::is_valid) {
        Readiness::NoValidPhone
    } else {
        Readiness::Ready
    }
}

/// The field's value, looked up ignoring case as Salesforce names are.
pub fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).or_else(|| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn is_true(fields: &Map<String, Value>, name: &str) -> bool {
    match field(fields, name) {
        Some(Value::Bool(value)) => *value,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn valid() -> Vec<Phone> {
        vec![Phone {
            slot: "Primary".into(),
            raw: "415 555 2671".into(),
            e164: Some("+14155552671".into()),
        }]
    }

    #[test]
    fn a_matching_record_with_a_valid_phone_is_ready() {
        assert_eq!(
            assess(false, true, &fields(json!({"DoNotCall": false})), &valid()),
            Readiness::Ready
        );
    }

    #[test]
    fn each_reason_in_its_order() {
        let blocked = fields(json!({"DoNotCall": true, "IsConverted": true}));
        assert_eq!(assess(true, false, &blocked, &[]), Readiness::Deleted);
        assert_eq!(assess(false, false, &blocked, &[]), Readiness::NotMatching);
        assert_eq!(assess(false, true, &blocked, &[]), Readiness::Converted);
        assert_eq!(
            assess(false, true, &fields(json!({"donotcall": "true"})), &valid()),
            Readiness::DoNotCall
        );
        let invalid = vec![Phone {
            slot: "Primary".into(),
            raw: "12".into(),
            e164: None,
        }];
        assert_eq!(
            assess(false, true, &Map::new(), &invalid),
            Readiness::NoValidPhone
        );
        assert_eq!(
            assess(false, true, &Map::new(), &[]),
            Readiness::NoValidPhone
        );
    }
}
