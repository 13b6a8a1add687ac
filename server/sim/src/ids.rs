//! Salesforce record ids: 15-char case-sensitive ids, the 3-char case-safe suffix that makes
//! them 18 chars, key prefixes per object, and parsing of untrusted ids.

/// Key prefixes of the objects the simulator knows.
pub const CONTACT_PREFIX: &str = "003";
pub const LEAD_PREFIX: &str = "00Q";
pub const TASK_PREFIX: &str = "00T";
pub const USER_PREFIX: &str = "005";
pub const ORG_PREFIX: &str = "00D";
pub const QUERY_LOCATOR_PREFIX: &str = "01g";

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The 3-char case-safe suffix of a 15-char id.
pub fn suffix(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(SUFFIX_CHARS[bits & 31])
        })
        .collect()
}

/// Builds the 18-char id for `prefix` and a sequence number (`prefix` + 2-char pod + 10-char
/// base62 number + suffix).
pub fn make_id(prefix: &str, number: u64) -> String {
    let mut digits = [b'0'; 10];
    let mut n = number;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let mut id15 = String::with_capacity(18);
    id15.push_str(prefix);
    id15.push_str("8d");
    id15.extend(digits.iter().map(|b| char::from(*b)));
    let sfx = suffix(&id15);
    id15 + &sfx
}

/// Normalises an untrusted 15- or 18-char id to 18 chars; `None` when it is not an id
/// (wrong length, non-alphanumeric, or an 18-char id whose suffix does not match).
pub fn normalize(id: &str) -> Option<String> {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match id.len() {
        15 => Some(format!("{id}{}", suffix(id))),
        18 => {
            let (head, tail) = id.split_at(15);
            // Salesforce accepts the suffix case-insensitively.
            suffix(head)
                .eq_ignore_ascii_case(tail)
                .then(|| format!("{head}{}", suffix(head)))
        }
        _ => None,
    }
}

/// A random base62 string of `len` chars.
pub fn random_token(rng: &mut impl rand::Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_matches_known_ids() {
        // Known real pairs (15 → 18).
        assert_eq!(suffix("0035g00000ABCDe"), "AAP");
        assert_eq!(suffix("001D000000IRFma"), "IAH");
    }

    #[test]
    fn ids_round_trip() {
        let id = make_id(CONTACT_PREFIX, 12345);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("003"));
        assert_eq!(normalize(&id[..15]), Some(id.clone()));
        assert_eq!(normalize(&id), Some(id.clone()));
        assert_eq!(normalize("not-an-id"), None);
        assert_eq!(normalize("003"), None);
    }
}
