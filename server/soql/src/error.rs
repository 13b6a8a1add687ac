//! Salesforce-shaped error messages: `"\n<excerpt>\n<spaces>^\nERROR at Row:r:Column:c\n<text>"`.

use crate::{ErrorCode, SoqlError};

/// How many characters of the offending line are shown on each side of the error position.
const WINDOW: usize = 36;

/// The suffix of Salesforce's INVALID_FIELD "No such column" message.
pub(crate) const CUSTOM_FIELD_HINT: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

/// An error pointing at byte offset `pos` of `src`.
pub(crate) fn at(src: &str, pos: usize, code: ErrorCode, description: &str) -> SoqlError {
    let mut pos = pos.min(src.len());
    while pos > 0 && !src.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = src.get(..pos).unwrap_or("");
    let row = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = src
        .get(pos..)
        .and_then(|rest| rest.find('\n'))
        .map_or(src.len(), |i| pos + i);
    let line = src
        .get(line_start..line_end)
        .unwrap_or("")
        .trim_end_matches('\r');
    let column0 = src.get(line_start..pos).unwrap_or("").chars().count();
    let start = column0.saturating_sub(WINDOW);
    let excerpt: String = line
        .chars()
        .skip(start)
        .take(column0 - start + WINDOW)
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    SoqlError {
        error_code: code,
        message: format!(
            "\n{excerpt}\n{}^\nERROR at Row:{row}:Column:{}\n{description}",
            " ".repeat(column0 - start),
            column0 + 1
        ),
    }
}

pub(crate) fn malformed(src: &str, pos: usize, description: &str) -> SoqlError {
    at(src, pos, ErrorCode::MalformedQuery, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_real_invalid_type_capture() {
        let e = at(
            "select count() from XYZZY",
            20,
            ErrorCode::InvalidType,
            "sObject type 'XYZZY' is not supported.",
        );
        assert_eq!(
            e.message,
            "\nselect count() from XYZZY\n                    ^\nERROR at Row:1:Column:21\nsObject type 'XYZZY' is not supported."
        );
    }

    #[test]
    fn long_lines_are_windowed_and_rows_counted() {
        let src = format!("SELECT Id\nFROM Contact WHERE {} = 1", "x".repeat(100));
        let pos = src.rfind('=').unwrap_or(0);
        let e = malformed(&src, pos, "boom");
        let lines: Vec<&str> = e.message.split('\n').collect();
        assert!(lines[1].chars().count() <= 2 * WINDOW);
        assert_eq!(lines[2].len(), WINDOW + 1);
        assert!(lines[3].starts_with("ERROR at Row:2:Column:"));
        // the caret points at the '='
        assert_eq!(lines[1].chars().nth(WINDOW), Some('='));
    }

    #[test]
    fn positions_past_the_end_or_inside_a_char_do_not_panic() {
        let _ = malformed("é", 1, "x");
        let _ = malformed("", 10, "x");
        let _ = malformed("\n\n", 2, "x");
    }
}
