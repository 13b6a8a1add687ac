//! A small hand-written SOQL lexer. It never fails: problems inside a token (an unterminated
//! string, a bad escape, an impossible date) become [`TokKind::Error`] tokens, so the parser
//! reports whatever it meets first, at the right position.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::datetime;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokKind {
    /// A name or keyword (keywords are recognised case-insensitively by the parser).
    Ident,
    /// A string literal; holds the text between the quotes with escapes still in place
    /// (already validated), because LIKE and `=` resolve `\%` / `\_` differently.
    Str(String),
    /// `123`, `-4`, `1.5`.
    Number,
    Date(NaiveDate),
    DateTime(DateTime<FixedOffset>),
    Comma,
    LParen,
    RParen,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// A character that has no place in SOQL (`*`, `;`, `#`...).
    Unknown,
    /// A malformed token; the string is the error description.
    Error(String),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokKind,
    /// Byte offsets into the source.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits `src` into tokens; the last token is always [`TokKind::Eof`], placed right after the
/// last non-blank character.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(b' ');
        let start = i;
        let next = b.get(i + 1).copied();
        let kind = match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0c => {
                i += 1;
                continue;
            }
            b',' => single(&mut i, TokKind::Comma),
            b'(' => single(&mut i, TokKind::LParen),
            b')' => single(&mut i, TokKind::RParen),
            b'.' => single(&mut i, TokKind::Dot),
            b'=' => single(&mut i, TokKind::Eq),
            b'!' if next == Some(b'=') => double(&mut i, TokKind::Ne),
            b'<' if next == Some(b'>') => double(&mut i, TokKind::Ne),
            b'<' if next == Some(b'=') => double(&mut i, TokKind::Le),
            b'<' => single(&mut i, TokKind::Lt),
            b'>' if next == Some(b'=') => double(&mut i, TokKind::Ge),
            b'>' => single(&mut i, TokKind::Gt),
            b'\'' => string(b, &mut i),
            b'0'..=b'9' => number_or_date(src, &mut i),
            b'+' | b'-' if next.is_some_and(|n| n.is_ascii_digit()) => {
                i += 1;
                number(b, &mut i);
                TokKind::Number
            }
            c if is_ident_start(c) => {
                while b.get(i).copied().is_some_and(is_ident_continue) {
                    i += 1;
                }
                TokKind::Ident
            }
            _ => {
                // One whole (possibly multi-byte) character.
                let len = src
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                i += len;
                TokKind::Unknown
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    let eof = src.trim_end().len();
    tokens.push(Token {
        kind: TokKind::Eof,
        start: eof,
        end: eof,
    });
    tokens
}

fn single(i: &mut usize, kind: TokKind) -> TokKind {
    *i += 1;
    kind
}

fn double(i: &mut usize, kind: TokKind) -> TokKind {
    *i += 2;
    kind
}

fn number(b: &[u8], i: &mut usize) {
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    if b.get(*i) == Some(&b'.') && b.get(*i + 1).is_some_and(u8::is_ascii_digit) {
        *i += 1;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    }
}

/// `2024-01-31`, `2024-01-31T10:00:00Z`, or a plain number.
fn number_or_date(src: &str, i: &mut usize) -> TokKind {
    let b = src.as_bytes();
    let start = *i;
    let looks_like_date = (0..10).all(|k| {
        b.get(start + k).is_some_and(|&c| match k {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        })
    });
    if !looks_like_date {
        number(b, i);
        return TokKind::Number;
    }
    *i = start + 10;
    if matches!(b.get(*i), Some(b'T' | b't')) {
        *i += 1;
        while b.get(*i).is_some_and(|&c| {
            c.is_ascii_digit() || matches!(c, b':' | b'.' | b'+' | b'-' | b'Z' | b'z')
        }) {
            *i += 1;
        }
        let text = src.get(start..*i).unwrap_or("");
        return match datetime::parse_datetime(text) {
            Some(dt) => TokKind::DateTime(dt),
            None => TokKind::Error(format!("unexpected token: '{text}'")),
        };
    }
    let text = src.get(start..*i).unwrap_or("");
    match datetime::parse_date(text) {
        Some(d) => TokKind::Date(d),
        None => TokKind::Error(format!("unexpected token: '{text}'")),
    }
}

/// A single-quoted string starting at `*i`.
fn string(b: &[u8], i: &mut usize) -> TokKind {
    let start = *i;
    *i += 1;
    let mut bad_escape: Option<(usize, usize)> = None;
    loop {
        match b.get(*i) {
            None => {
                return TokKind::Error("mismatched character '<EOF>' expecting '''".to_string());
            }
            Some(b'\'') => {
                *i += 1;
                break;
            }
            Some(b'\\') => {
                let esc_start = *i;
                let valid = match b.get(*i + 1) {
                    Some(b'\'' | b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f' | b'%' | b'_') => {
                        *i += 2;
                        true
                    }
                    Some(b'u') => {
                        let hex = b.get(*i + 2..*i + 6);
                        let code = hex
                            .and_then(|h| std::str::from_utf8(h).ok())
                            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                            .and_then(|h| u32::from_str_radix(h, 16).ok());
                        if code.and_then(char::from_u32).is_some() {
                            *i += 6;
                            true
                        } else {
                            *i += 2;
                            false
                        }
                    }
                    None => {
                        *i += 1;
                        false
                    }
                    Some(_) => {
                        *i += 2;
                        false
                    }
                };
                if !valid && bad_escape.is_none() {
                    bad_escape = Some((esc_start, *i));
                }
            }
            Some(_) => *i += 1,
        }
    }
    let raw = b.get(start + 1..*i - 1).unwrap_or(&[]);
    let raw = String::from_utf8_lossy(raw).into_owned();
    match bad_escape {
        None => TokKind::Str(raw),
        Some((from, to)) => {
            let seq = String::from_utf8_lossy(b.get(from..to.min(*i - 1)).unwrap_or(&[]));
            TokKind::Error(format!(
                "Invalid string literal '{raw}'. Illegal character sequence '{seq}' in string literal."
            ))
        }
    }
}

/// A piece of a string literal: a character and whether it was escaped (`\%` vs `%`).
pub(crate) fn decode_pieces(raw: &str) -> Vec<(char, bool)> {
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push((c, false));
            continue;
        }
        let decoded = match chars.next() {
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{fffd}')
            }
            Some(other) => other,
            None => '\\',
        };
        out.push((decoded, true));
    }
    out
}

/// The value of a string literal (escapes resolved; `\%` and `\_` become `%` and `_`).
pub(crate) fn decode(raw: &str) -> String {
    decode_pieces(raw).into_iter().map(|(c, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokKind> {
        tokenize(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn operators_and_punctuation() {
        assert_eq!(
            kinds("= != <> < <= > >= , ( ) ."),
            vec![
                TokKind::Eq,
                TokKind::Ne,
                TokKind::Ne,
                TokKind::Lt,
                TokKind::Le,
                TokKind::Gt,
                TokKind::Ge,
                TokKind::Comma,
                TokKind::LParen,
                TokKind::RParen,
                TokKind::Dot,
                TokKind::Eof
            ]
        );
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            kinds(r"'a\'b'"),
            vec![TokKind::Str(r"a\'b".into()), TokKind::Eof]
        );
        assert_eq!(
            decode(r#"a\'b\\c\nd\te\"f\%g\_h\u0041"#),
            "a'b\\c\nd\te\"f%g_hA"
        );
        assert!(matches!(&kinds(r"'a\qb'")[0], TokKind::Error(m) if m.contains(r"'\q'")));
        assert!(matches!(&kinds("'abc")[0], TokKind::Error(m) if m.contains("<EOF>")));
        assert!(matches!(&kinds(r"'\u12'")[0], TokKind::Error(_)));
        assert!(matches!(&kinds(r"'\ud800'")[0], TokKind::Error(_)));
        assert!(matches!(&kinds("'\\")[0], TokKind::Error(_)));
        assert_eq!(decode_pieces(r"\%%"), vec![('%', true), ('%', false)]);
    }

    #[test]
    fn numbers_dates_and_datetimes() {
        let src = "12 -3 +4 1.5 2024-01-31 2024-01-01T00:00:00Z 2024-01-01T00:00:00.000+0000";
        let toks = tokenize(src);
        let texts: Vec<&str> = toks.iter().map(|t| t.text(src)).collect();
        assert_eq!(texts[..4], ["12", "-3", "+4", "1.5"]);
        assert!(matches!(toks[4].kind, TokKind::Date(_)));
        assert!(matches!(toks[5].kind, TokKind::DateTime(_)));
        assert!(matches!(toks[6].kind, TokKind::DateTime(_)));
        assert!(matches!(kinds("2024-13-01")[0], TokKind::Error(_)));
        assert!(matches!(
            kinds("2024-01-01T25:00:00Z")[0],
            TokKind::Error(_)
        ));
    }

    #[test]
    fn eof_sits_after_the_last_character() {
        let src = "SELECT Id  \n ";
        let toks = tokenize(src);
        assert_eq!(toks.last().map(|t| t.start), Some(9));
    }
}
