//! Phone numbers as a dialer needs them: E.164, read with the campaign's region when a
//! number has no country code. Parsing and validation are libphonenumber's rules (the
//! `phonenumber` crate); a number it cannot read or does not consider valid is kept as
//! written and flagged, never dropped.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One mapped phone of a campaign record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// The campaign's phone slot.
    pub slot: String,
    /// As Salesforce had it.
    pub raw: String,
    /// E.164 form, when the number is valid.
    pub e164: Option<String>,
}

impl Phone {
    pub fn is_valid(&self) -> bool {
        self.e164.is_some()
    }
}

/// Normalizes numbers, remembering each answer: the same number appears on many records
/// (and on the same record in every campaign it reaches).
#[derive(Default)]
pub struct PhoneNormalizer {
    /// Answers by region, then by number as written (looked up without allocating).
    seen: HashMap<String, HashMap<String, Option<String>>>,
}

impl PhoneNormalizer {
    /// The E.164 form of `raw` read in `region` (ISO 3166, e.g. `US`), or `None` if it is not
    /// a valid number.
    pub fn e164(&mut self, raw: &str, region: &str) -> Option<String> {
        if let Some(known) = self.seen.get(region).and_then(|answers| answers.get(raw)) {
            return known.clone();
        }
        let answer = normalize(raw, region);
        self.seen
            .entry(region.to_owned())
            .or_default()
            .insert(raw.to_owned(), answer.clone());
        answer
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.seen.values().map(HashMap::len).sum()
    }
}

/// How many compiled rules (regular expressions) of libphonenumber's metadata stay in memory.
/// The crate keeps 100, fewer than the numbers of eight countries use between them (about
/// 220): with a mix of countries it recompiled rules for nearly every number, about 0.8 ms
/// each instead of 8 µs. A thousand hold the rules of some 35 countries at once; a rule takes
/// about 0.2 MB once compiled, and only the rules in use are compiled.
pub const COMPILED_RULES_KEPT: usize = 1_000;

/// Widens the phone library's cache of compiled rules to [`COMPILED_RULES_KEPT`], once.
fn keep_compiled_rules() {
    static WIDENED: std::sync::Once = std::sync::Once::new();
    WIDENED.call_once(|| match phonenumber::metadata::DATABASE.cache().lock() {
        Ok(mut cache) => cache.set_capacity(COMPILED_RULES_KEPT),
        Err(_) => tracing::warn!(
            "the phone library's rule cache is unusable; numbers are read more slowly"
        ),
    });
}

/// The E.164 form of `raw` read in `region`, or `None` if it is not a valid number.
pub fn normalize(raw: &str, region: &str) -> Option<String> {
    keep_compiled_rules();
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 64 {
        return None;
    }
    // A number with its country code is read without the campaign's region: the crate
    // otherwise judges it against the region's rules.
    let country = if raw.starts_with('+') {
        None
    } else {
        region.parse::<phonenumber::country::Id>().ok()
    };
    let number = phonenumber::parse(country, raw).ok()?;
    phonenumber::is_valid(&number)
        .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Whether `region` is a region the phone library knows.
pub fn is_known_region(region: &str) -> bool {
    region.len() == 2 && region.parse::<phonenumber::country::Id>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_are_read_in_the_campaigns_region() {
        assert_eq!(
            normalize("(415) 555-2671", "US").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            normalize("020 7946 0018", "GB").as_deref(),
            Some("+442079460018")
        );
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(
            normalize("+44 20 7946 0018", "US").as_deref(),
            Some("+442079460018")
        );
    }

    #[test]
    fn international_numbers_of_other_regions_are_valid() {
        for (raw, e164) in [
            ("+33 1 76 76 96 88", "+33176769688"),
            ("+33 1 24 11 48 59", "+33124114859"),
            ("+44 (0)7703 360099", "+447703360099"),
        ] {
            for region in ["US", "FR", "GB"] {
                assert_eq!(
                    normalize(raw, region).as_deref(),
                    Some(e164),
                    "{raw} in {region}"
                );
            }
        }
    }

    #[test]
    fn invalid_or_garbage_numbers_are_flagged_not_guessed() {
        for raw in [
            "",
            "   ",
            "12",
            "555-0100",
            "call me",
            "+1 000 000 0000",
            &"9".repeat(80),
        ] {
            assert_eq!(normalize(raw, "US"), None, "{raw:?}");
        }
    }

    #[test]
    fn an_unknown_region_only_reads_international_numbers() {
        assert_eq!(normalize("(415) 555-2671", "XX"), None);
        assert_eq!(
            normalize("+1 415 555 2671", "XX").as_deref(),
            Some("+14155552671")
        );
        assert!(is_known_region("US"));
        assert!(!is_known_region("XX"));
        assert!(!is_known_region("USA"));
    }

    #[test]
    fn the_rules_of_many_countries_stay_compiled() {
        // Numbers of the eight countries the simulator seeds, read in one region, as a
        // campaign reads them: their rules fit in the cache, so none is compiled twice.
        let sample = [
            "+1 415-555-2671",
            "(212) 555-0188",
            "+44 20 7946 0018",
            "020 7946 0018",
            "+44 (0)7703 360099",
            "+49 30 1234567",
            "030 1234567",
            "0049 (0)89 1234-56",
            "+33 1 76 76 96 88",
            "01.76.76.96.88",
            "+33176769688",
            "+81 3-1234-5678",
            "+91 98765 43210",
            "+34 91 123 45 67",
            "+39 02 12345678",
        ];
        for raw in sample {
            normalize(raw, "US");
        }
        let cache = phonenumber::metadata::DATABASE.cache();
        let cache = cache.lock().expect("the rule cache");
        assert_eq!(cache.capacity(), COMPILED_RULES_KEPT);
        assert!(
            cache.len() > 100,
            "the sample uses more rules than the crate's default cache of 100 holds ({})",
            cache.len()
        );
        assert!(cache.len() < COMPILED_RULES_KEPT, "{} rules", cache.len());
    }

    #[test]
    fn the_normalizer_remembers_answers_per_region() {
        let mut normalizer = PhoneNormalizer::default();
        assert_eq!(
            normalizer.e164("415 555 2671", "US").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            normalizer.e164("415 555 2671", "US").as_deref(),
            Some("+14155552671")
        );
        assert_eq!(normalizer.remembered(), 1);
        normalizer.e164("415 555 2671", "GB");
        assert_eq!(normalizer.remembered(), 2);
    }
}
