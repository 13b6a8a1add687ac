//! Where to go after signing in (`?next=`): only a path on this site, never another host.
//!
//! Browsers repair a `Location` before following it: they drop TAB, CR and LF anywhere and
//! read `\` as `/`, so `/\tevil.example` or `/\evil.example` would become
//! `//evil.example`, another host. A `next` with any control character or backslash is
//! therefore refused outright, and what is left must resolve, against a fixed base, to that
//! same base's origin. The answer is the URL library's own serialization (percent-encoded,
//! plain ASCII), never the raw input.

use url::{Position, Url};

/// The fixed base `next` is resolved against; only its origin matters.
const BASE: &str = "http://orgsync.invalid/";

/// The local path (with query and fragment) that `next` names, or `None` when it is not a
/// plain same-site path.
pub fn local_path(next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.contains('\\')
        || next.chars().any(char::is_control)
    {
        return None;
    }
    let base = Url::parse(BASE).ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let path = &resolved[Position::BeforePath..];
    // Belt and braces: what is sent must itself stay a local path.
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn plain_paths_are_kept() {
        assert_eq!(
            local_path("/admin/campaigns").as_deref(),
            Some("/admin/campaigns")
        );
        assert_eq!(
            local_path("/admin/integrations?modal=sync-settings#x").as_deref(),
            Some("/admin/integrations?modal=sync-settings#x")
        );
        assert_eq!(local_path("/").as_deref(), Some("/"));
    }

    #[test]
    fn other_hosts_are_refused() {
        for next in [
            "",
            "admin",
            "//evil.example",
            "//evil.example/x",
            "///evil.example",
            "https://evil.example",
            "http://orgsync.invalid/x",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
        ] {
            assert_eq!(local_path(next), None, "{next:?}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        // Browsers strip TAB/CR/LF from a Location, turning these into `//evil.example`.
        for next in [
            "/\t/evil.example",
            "/\t\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/\0/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "/admin\nSet-Cookie: x=y",
        ] {
            assert_eq!(local_path(next), None, "{next:?}");
        }
    }

    #[test]
    fn encoded_characters_stay_encoded_and_local() {
        // Percent-encoded, a TAB or slash is just part of a path on this site.
        assert_eq!(
            local_path("/%09/evil.example").as_deref(),
            Some("/%09/evil.example")
        );
        assert_eq!(
            local_path("/%2F%2Fevil.example").as_deref(),
            Some("/%2F%2Fevil.example")
        );
        // Dot segments cannot climb out of the origin.
        assert_eq!(
            local_path("/../..//evil.example").as_deref(),
            None,
            "a path that normalises to `//` is refused"
        );
        assert_eq!(local_path("/a/../b").as_deref(), Some("/b"));
    }

    #[test]
    fn unicode_is_percent_encoded() {
        assert_eq!(local_path("/café").as_deref(), Some("/caf%C3%A9"));
        assert_eq!(local_path("/a b?q=ü").as_deref(), Some("/a%20b?q=%C3%BC"));
        // Full-width solidus and other look-alikes are path characters, not separators.
        assert_eq!(
            local_path("/\u{ff0f}evil.example").as_deref(),
            Some("/%EF%BC%8Fevil.example")
        );
    }
}
