//! Phone numbers as a dialer needs them: E.164, read with the campaign's region when a
//! number has no country code. Parsing and validation are libphonenumber's rules (the
//! `rlibphonenumber` crate); a number it cannot read or does not consider valid is kept as
//! written and flagged, never dropped.

use std::collections::HashMap;

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, Region};
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

/// The E.164 form of `raw` read in `region`, or `None` if it is not a valid number.
///
/// libphonenumber's rules, through the `rlibphonenumber` port rather than the `phonenumber`
/// crate: its metadata is newer (numbers in the US area codes 273, 472 and 983 that the older
/// metadata refused are valid), it reads a number in about 4 µs instead of 22, and its compiled
/// rules are shared between threads without one lock around every match.
pub fn normalize(raw: &str, region: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 64 {
        return None;
    }
    // An unknown region reads only numbers written with their country code.
    let number = PhoneNumber::parse(raw, known_region(region)).ok()?;
    number
        .is_valid()
        .then(|| number.format_as(PhoneNumberFormat::E164).into_owned())
}

/// Whether `region` is a region the phone library knows.
pub fn is_known_region(region: &str) -> bool {
    known_region(region).is_some()
}

/// `region` as the phone library's region, when it has numbering rules for it. Any two letters
/// parse as a `Region`; only those with metadata are real.
fn known_region(region: &str) -> Option<Region> {
    let region = region.parse::<Region>().ok()?;
    PHONE_NUMBER_UTIL
        .get_country_code_for_region(region)
        .is_some()
        .then_some(region)
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
    fn hostile_text_from_salesforce_is_flagged_without_a_panic() {
        for raw in [
            "+",
            "++1 415 555 2671",
            "tel:+1-415-555-2671;ext=1",
            "\u{202e}415 555 2671",
            "\u{ff0b}\u{ff11}\u{ff14}\u{ff11}\u{ff15}",
            "(((((((((((((((((((((((((((((((",
            "+1 415 555 2671 ext. 99999999999999999999",
            "+999 1234567",
            "0",
            "\0\0\0",
            "😀 415 555 2671",
        ] {
            // Any answer will do, as long as it is an answer (a valid one is E.164).
            if let Some(e164) = normalize(raw, "US") {
                assert!(
                    e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()),
                    "{raw:?} → {e164}"
                );
            }
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
        assert!(is_known_region("GB"));
        assert!(!is_known_region("XX"));
        assert!(!is_known_region("ZZ"));
        assert!(!is_known_region("USA"));
        assert!(!is_known_region("001"));
        assert!(!is_known_region(""));
    }

    #[test]
    fn numbers_of_every_country_the_simulator_seeds_are_read_in_one_region() {
        // As a campaign reads them: national numbers in its region (US), the others by their
        // country code, whatever format Salesforce holds them in.
        for (raw, e164) in [
            ("+1 415-555-2671", "+14155552671"),
            ("(212) 555-0188", "+12125550188"),
            ("212.555.0188", "+12125550188"),
            ("+44 20 7946 0018", "+442079460018"),
            ("+44 (0)7703 360099", "+447703360099"),
            ("+49 30 1234567", "+49301234567"),
            ("+33 1 76 76 96 88", "+33176769688"),
            ("+33176769688", "+33176769688"),
            ("+81 3-1234-5678", "+81312345678"),
            ("+91 98765 43210", "+919876543210"),
            ("+34 91 123 45 67", "+34911234567"),
            ("+39 02 12345678", "+390212345678"),
        ] {
            assert_eq!(normalize(raw, "US").as_deref(), Some(e164), "{raw}");
        }
        // National formats of other countries are theirs only in their own region.
        assert_eq!(normalize("030 1234567", "US"), None);
        assert_eq!(
            normalize("030 1234567", "DE").as_deref(),
            Some("+49301234567")
        );
        assert_eq!(
            normalize("01.76.76.96.88", "FR").as_deref(),
            Some("+33176769688")
        );
    }

    #[test]
    fn reading_numbers_on_several_threads_gives_the_same_answers() {
        let sample = [
            "(415) 555-2671",
            "+44 20 7946 0018",
            "call me",
            "+33176769688",
        ];
        let alone: Vec<_> = sample.iter().map(|raw| normalize(raw, "US")).collect();
        let together: Vec<Vec<_>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| sample.iter().map(|raw| normalize(raw, "US")).collect()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a reader thread"))
                .collect()
        });
        for answers in together {
            assert_eq!(answers, alone);
        }
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
