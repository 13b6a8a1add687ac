//! Connection settings for PostgreSQL.

use std::net::IpAddr;

use sea_orm::{ConnectOptions, sqlx::postgres::PgSslMode};

/// Sets the connect options of a `postgres://` URL.
///
/// - Every statement is planned with its parameters. PostgreSQL otherwise switches a prepared
///   statement to a generic plan after five runs, chosen while a table is still small: the
///   mirror's `sf_id IN (...)` lookup kept a sequential scan as the table grew, and a
///   100,000-Contact backfill slowed to 1,100 records/s.
/// - A server on this machine, reached over TCP without an `sslmode` in the URL or in
///   `PGSSLMODE`, is reached without TLS (see [`skips_tls`]).
pub(crate) fn configure(options: &mut ConnectOptions, url: &str) {
    let plain_loopback = skips_tls(url, std::env::var("PGSSLMODE").ok().as_deref());
    options.map_sqlx_postgres_opts(move |o| {
        let o = o.options([("plan_cache_mode", "force_custom_plan")]);
        if plain_loopback {
            o.ssl_mode(PgSslMode::Disable)
        } else {
            o
        }
    });
}

/// True when the URL names a server on this machine (`localhost`, `127.0.0.0/8`, `::1`) over TCP
/// and neither the URL nor `PGSSLMODE` chose an `sslmode`.
///
/// libpq's and sqlx's default, `prefer`, would use TLS whenever the server offers it (Debian's
/// PostgreSQL does), without checking the certificate: on loopback that protects nothing, and
/// it costs: sqlx writes each TLS record separately and sets no `TCP_NODELAY`, so a statement
/// larger than a record (a page of the mirror) waits on Nagle's algorithm and the server's
/// delayed ACK. A 100,000-record backfill ran at 8,000 records/s over TLS on loopback and at
/// 13,500 without, beside 15,300 over the Unix socket (same machine, same minute). An explicit
/// `sslmode` is always obeyed.
fn skips_tls(url: &str, env_sslmode: Option<&str>) -> bool {
    if env_sslmode.is_some_and(|mode| !mode.is_empty()) {
        return false;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let mut socket_or_mode = parsed
        .query_pairs()
        .map(|(key, _)| key)
        .filter(|key| matches!(key.as_ref(), "sslmode" | "ssl-mode" | "host"));
    if socket_or_mode.next().is_some() {
        return false;
    }
    // `postgres:` is not a special scheme to the `url` crate, so an IPv4 address comes back as
    // a domain name.
    match parsed.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::skips_tls;

    #[test]
    fn loopback_over_tcp_without_a_chosen_sslmode_skips_tls() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/orgsync",
            "postgres://postgres@127.0.0.2/orgsync",
            "postgres://postgres@localhost/orgsync",
            "postgresql://u:p@[::1]:5432/orgsync?application_name=x",
        ] {
            assert!(skips_tls(url, None), "{url}");
        }
    }

    #[test]
    fn remote_servers_sockets_and_chosen_modes_keep_the_default() {
        for url in [
            "postgres://postgres@db.example.com/orgsync",
            "postgres://postgres@10.0.0.5/orgsync",
            "postgres://postgres@127.0.0.1/orgsync?sslmode=require",
            "postgres://postgres@localhost/orgsync?ssl-mode=verify-full",
            "postgres://postgres@localhost/orgsync?host=/var/run/postgresql",
            "not a url",
        ] {
            assert!(!skips_tls(url, None), "{url}");
        }
        assert!(!skips_tls(
            "postgres://postgres@127.0.0.1/o",
            Some("require")
        ));
        assert!(skips_tls("postgres://postgres@127.0.0.1/o", Some("")));
    }
}
