//! Salesforce record ids, which orgsync receives from change events and must treat as
//! untrusted before they go into SOQL.

/// True for a 15- or 18-character alphanumeric Salesforce id (`0035g00000ABCDeAAH`).
/// Wildcards such as `001*` (type-conversion change events) are not ids.
pub fn is_record_id(id: &str) -> bool {
    matches!(id.len(), 15 | 18) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_15_or_18_alphanumerics_are_ids() {
        assert!(is_record_id("0035g00000ABCDeAAH"));
        assert!(is_record_id("0035g00000ABCDe"));
        assert!(is_record_id("000000000000000AAA"));
        assert!(!is_record_id("001*"));
        assert!(!is_record_id(""));
        assert!(!is_record_id("0035g00000ABCDeAA"));
        assert!(!is_record_id("0035g00000ABC'eAAH"));
        assert!(!is_record_id("003') OR Id != ('"));
        assert!(!is_record_id("0035g00000ABCDéAH"));
    }
}
