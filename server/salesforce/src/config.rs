//! The connected app orgsync signs in with, and where Salesforce is.

use std::fmt;

use secrecy::SecretString;
use url::Url;

/// A REST API version such as `62.0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion(String);

impl ApiVersion {
    /// Accepts `62.0`, `v62.0` or `62`.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let trimmed = value.trim().trim_start_matches(['v', 'V']);
        let (major, minor) = trimmed.split_once('.').unwrap_or((trimmed, "0"));
        let valid = !major.is_empty()
            && major.len() <= 3
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor == "0";
        if valid {
            Ok(ApiVersion(format!("{major}.0")))
        } else {
            Err(ConfigError::ApiVersion(value.to_string()))
        }
    }

    /// `62.0`
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the connected-app settings cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("the Salesforce API version \"{0}\" is not valid (expected something like 62.0)")]
    ApiVersion(String),
    #[error("the Salesforce login URL \"{0}\" is not a valid http(s) URL")]
    LoginUrl(String),
    #[error(
        "the Salesforce login URL \"{0}\" must use https (plain http only on this machine: 127.0.0.1, ::1 or localhost)"
    )]
    InsecureLoginUrl(String),
    #[error("the redirect URL \"{0}\" is not a valid http(s) URL")]
    RedirectUrl(String),
    #[error("the Salesforce client id is empty")]
    ClientId,
}

/// The connected app registered in Salesforce (Setup → App Manager) for orgsync.
#[derive(Clone)]
pub struct ConnectedApp {
    /// The consumer key.
    pub client_id: String,
    /// The consumer secret.
    pub client_secret: SecretString,
    /// `https://login.salesforce.com`, `https://test.salesforce.com`, a My Domain URL, or a simulator.
    pub login_url: Url,
    /// orgsync's callback, registered as the connected app's callback URL.
    pub redirect_url: Url,
    pub api_version: ApiVersion,
}

impl ConnectedApp {
    pub fn new(
        client_id: &str,
        client_secret: SecretString,
        login_url: &str,
        redirect_url: &str,
        api_version: &str,
    ) -> Result<Self, ConfigError> {
        if client_id.trim().is_empty() {
            return Err(ConfigError::ClientId);
        }
        Ok(ConnectedApp {
            client_id: client_id.trim().to_string(),
            client_secret,
            login_url: http_url(login_url)
                .ok_or_else(|| ConfigError::LoginUrl(login_url.into()))
                .and_then(|url| {
                    if is_https_or_loopback(&url) {
                        Ok(url)
                    } else {
                        Err(ConfigError::InsecureLoginUrl(login_url.into()))
                    }
                })?,
            redirect_url: http_url(redirect_url)
                .ok_or_else(|| ConfigError::RedirectUrl(redirect_url.into()))?,
            api_version: ApiVersion::parse(api_version)?,
        })
    }

    /// `{login_url}/services/oauth2/{endpoint}`
    pub(crate) fn oauth_endpoint(&self, endpoint: &str) -> String {
        format!(
            "{}/services/oauth2/{endpoint}",
            self.login_url.as_str().trim_end_matches('/')
        )
    }
}

impl fmt::Debug for ConnectedApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectedApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("login_url", &self.login_url.as_str())
            .field("redirect_url", &self.redirect_url.as_str())
            .field("api_version", &self.api_version)
            .finish()
    }
}

/// True for `https` URLs, and for `http` ones on this machine (a local simulator): tokens
/// and the client secret never cross a network in the clear.
pub fn is_https_or_loopback(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

fn http_url(value: &str) -> Option<Url> {
    Url::parse(value.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_normalised() {
        assert_eq!(ApiVersion::parse("62.0").unwrap().as_str(), "62.0");
        assert_eq!(ApiVersion::parse("v58.0").unwrap().as_str(), "58.0");
        assert_eq!(ApiVersion::parse("60").unwrap().as_str(), "60.0");
        assert!(ApiVersion::parse("sixty").is_err());
        assert!(ApiVersion::parse("62.1").is_err());
        assert!(ApiVersion::parse("").is_err());
    }

    #[test]
    fn plain_http_login_urls_are_refused_except_on_loopback() {
        let secret = SecretString::from("s");
        let app = |login: &str| {
            ConnectedApp::new("id", secret.clone(), login, "http://127.0.0.1/cb", "62.0")
        };
        assert_eq!(
            app("http://login.salesforce.com").unwrap_err(),
            ConfigError::InsecureLoginUrl("http://login.salesforce.com".into())
        );
        assert!(app("http://10.0.0.5:3100").is_err());
        for ok in [
            "https://login.salesforce.com",
            "http://127.0.0.1:3100",
            "http://127.0.0.2:3100",
            "http://[::1]:3100",
            "http://localhost:3100",
        ] {
            assert!(app(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn urls_must_be_http() {
        let secret = SecretString::from("s");
        let app = |login: &str, redirect: &str| {
            ConnectedApp::new("id", secret.clone(), login, redirect, "62.0")
        };
        assert!(app("https://login.salesforce.com", "http://127.0.0.1:3000/cb").is_ok());
        assert_eq!(
            app("ftp://x", "http://127.0.0.1/cb").unwrap_err(),
            ConfigError::LoginUrl("ftp://x".into())
        );
        assert!(app("https://login.salesforce.com", "not a url").is_err());
        assert_eq!(
            app("https://login.salesforce.com/", "http://h/cb")
                .unwrap()
                .oauth_endpoint("token"),
            "https://login.salesforce.com/services/oauth2/token"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let app = ConnectedApp::new(
            "id",
            SecretString::from("very-secret-value"),
            "https://login.salesforce.com",
            "http://h/cb",
            "62.0",
        )
        .unwrap();
        assert!(!format!("{app:?}").contains("very-secret-value"));
    }
}
