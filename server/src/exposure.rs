//! Listeners that must stay on the machine unless their operator says otherwise: `serve --demo`
//! (accounts with a published password) and `orgsync sim` (an unauthenticated control API, a
//! published client secret and published passwords).

use std::net::SocketAddr;

/// A listener that refuses non-loopback addresses unless its flag is given.
#[derive(Debug, Clone, Copy)]
pub struct LocalOnly {
    /// What listens, e.g. "`serve --demo`".
    pub what: &'static str,
    /// Why remote access is dangerous.
    pub risk: &'static str,
    /// The flag that allows it anyway.
    pub flag: &'static str,
}

pub const DEMO: LocalOnly = LocalOnly {
    what: "`serve --demo`",
    risk: "anyone who reaches it can sign in as `admin` with the published demo password",
    flag: "--demo-allow-remote",
};

pub const SIMULATOR: LocalOnly = LocalOnly {
    what: "`orgsync sim`",
    risk: "its control API has no authentication and its client secret and passwords are published",
    flag: "--allow-remote",
};

/// Who can reach an accepted listen address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A loopback address: this machine only.
    Local,
    /// Any other address, allowed by the flag.
    Remote,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{what} refuses to listen on {addr}, which is not a loopback address: {risk}. Listen on 127.0.0.1 (or [::1]), or pass {flag} to accept that"
)]
pub struct RemoteRefused {
    what: &'static str,
    risk: &'static str,
    flag: &'static str,
    addr: SocketAddr,
}

impl LocalOnly {
    /// Loopback addresses pass; any other (including 0.0.0.0 and [::]) needs `allow_remote`.
    pub fn check(&self, addr: SocketAddr, allow_remote: bool) -> Result<Reach, RemoteRefused> {
        if addr.ip().is_loopback() {
            Ok(Reach::Local)
        } else if allow_remote {
            Ok(Reach::Remote)
        } else {
            Err(RemoteRefused {
                what: self.what,
                risk: self.risk,
                flag: self.flag,
                addr,
            })
        }
    }

    /// [`LocalOnly::check`], with a warning in the log when remote access is allowed.
    pub fn admit(&self, addr: SocketAddr, allow_remote: bool) -> Result<Reach, RemoteRefused> {
        let reach = self.check(addr, allow_remote)?;
        if reach == Reach::Remote {
            tracing::warn!(
                "{} listens on {addr}, reachable from other machines ({}): {}",
                self.what,
                self.flag,
                self.risk
            );
        }
        Ok(reach)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn loopback_addresses_pass_without_the_flag() {
        for local in ["127.0.0.1:3000", "127.0.0.2:0", "[::1]:3000"] {
            assert_eq!(DEMO.check(addr(local), false), Ok(Reach::Local), "{local}");
        }
    }

    #[test]
    fn other_addresses_need_the_flag() {
        for remote in [
            "0.0.0.0:3000",
            "[::]:3000",
            "192.168.1.5:3000",
            "8.8.8.8:80",
        ] {
            let error = SIMULATOR.check(addr(remote), false).unwrap_err();
            let message = error.to_string();
            assert!(message.contains("--allow-remote"), "{message}");
            assert!(message.contains(remote), "{message}");
            assert_eq!(SIMULATOR.check(addr(remote), true), Ok(Reach::Remote));
        }
        let message = DEMO
            .check(addr("0.0.0.0:3000"), false)
            .unwrap_err()
            .to_string();
        assert!(message.contains("--demo-allow-remote"), "{message}");
    }
}
