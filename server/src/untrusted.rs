//! Text from outside (Salesforce's messages, parameters that came through a browser), made
//! safe to log or to show.

/// At most `max_chars` characters of `text`, without control characters (newlines, ANSI
/// escapes) or the invisible formatting characters that can reorder or hide text (bidi
/// overrides and isolates, zero-width marks, byte-order marks): such text cannot forge a log
/// line or disguise itself on a page.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .take(max_chars)
        .collect()
}

fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn control_and_reordering_characters_are_dropped_and_length_is_bounded() {
        assert_eq!(excerpt("bad\nline\u{1b}[31m", 120), "badline[31m");
        assert_eq!(excerpt("a\u{202E}txt.exe\u{200B}", 120), "atxt.exe");
        assert_eq!(excerpt("Zürich café", 120), "Zürich café");
        assert_eq!(excerpt(&"x".repeat(500), 120).chars().count(), 120);
    }
}
