//! The OAuth 2.0 web-server flow with PKCE, the refresh-token grant, the identity URL and
//! revocation, against `{login_url}/services/oauth2/…`.

use std::time::Duration;

use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpClientError, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    config::ConnectedApp,
    error::{OAuthError, transport},
    identity::Identity,
};

/// Scopes orgsync asks for: the REST API, a refresh token (syncs run unattended) and the
/// identity URL (who signed in).
const SCOPES: [&str; 3] = ["api", "refresh_token", "id"];

/// How long any single OAuth call may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Fields Salesforce adds to the standard token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SalesforceTokenFields {
    instance_url: String,
    /// The identity URL.
    id: String,
    /// Epoch milliseconds, as a string.
    #[serde(default)]
    issued_at: Option<String>,
}

impl ExtraTokenFields for SalesforceTokenFields {}

type SalesforceTokenResponse = StandardTokenResponse<SalesforceTokenFields, BasicTokenType>;

type SalesforceOAuth2 = Client<
    BasicErrorResponse,
    SalesforceTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Whether Salesforce should ask for credentials even if the browser is signed in already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Salesforce decides (Set up).
    Default,
    /// Always show the sign-in form (Reset Token: the admin may sign in as someone else).
    Login,
}

/// A started authorization: send the browser to `url`; keep `state` and `pkce_verifier`
/// for the callback.
pub struct AuthorizationStart {
    pub url: Url,
    pub state: String,
    pub pkce_verifier: SecretString,
}

/// The tokens a completed sign-in or a refresh produced.
pub struct Grant {
    pub access_token: SecretString,
    /// Absent when the connected app does not grant the `refresh_token` scope.
    pub refresh_token: Option<SecretString>,
    /// The org's instance (`https://acme.my.salesforce.com`): REST calls go there.
    pub instance_url: Url,
    /// The identity URL: who signed in.
    pub identity_url: Url,
    /// When Salesforce issued the token, in epoch milliseconds.
    pub issued_at_ms: Option<i64>,
}

/// OAuth calls for one connected app.
#[derive(Clone)]
pub struct OAuthClient {
    app: ConnectedApp,
    client: SalesforceOAuth2,
    http: reqwest::Client,
}

impl OAuthClient {
    /// A client for `app`. Its HTTP client follows no redirects (a token endpoint that
    /// redirects is misconfigured, and following could leak the code elsewhere).
    pub fn new(app: ConnectedApp) -> Result<Self, OAuthError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| OAuthError::Unreachable(transport(&e)))?;
        Self::with_http(app, http)
    }

    /// A client that uses the given HTTP client (shared with REST calls).
    pub fn with_http(app: ConnectedApp, http: reqwest::Client) -> Result<Self, OAuthError> {
        let invalid = |what: &str| OAuthError::UnexpectedResponse(format!("invalid {what} URL"));
        let client: SalesforceOAuth2 = Client::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                app.client_secret.expose_secret().to_string(),
            ))
            // Salesforce documents the client credentials in the form body.
            .set_auth_type(oauth2::AuthType::RequestBody)
            .set_auth_uri(
                AuthUrl::new(app.oauth_endpoint("authorize")).map_err(|_| invalid("authorize"))?,
            )
            .set_token_uri(
                TokenUrl::new(app.oauth_endpoint("token")).map_err(|_| invalid("token"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(app.redirect_url.to_string()).map_err(|_| invalid("redirect"))?,
            );
        Ok(OAuthClient { app, client, http })
    }

    /// The connected app this client signs in with.
    pub fn app(&self) -> &ConnectedApp {
        &self.app
    }

    /// The HTTP client (no redirects, 30 s timeout).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Starts a sign-in: the authorize URL with a random `state` and an S256 PKCE challenge.
    pub fn start_authorization(&self, prompt: Prompt) -> AuthorizationStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_string())))
            .set_pkce_challenge(challenge)
            .add_extra_param("display", "popup");
        if prompt == Prompt::Login {
            request = request.add_extra_param("prompt", "login");
        }
        let (url, state) = request.url();
        AuthorizationStart {
            url,
            state: state.secret().clone(),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        }
    }

    /// Exchanges the callback's code (with the PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<Grant, OAuthError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                pkce_verifier.expose_secret().to_string(),
            ))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        grant_from(&response)
    }

    /// Gets a new access token with the refresh token (`grant_type=refresh_token`).
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Grant, OAuthError> {
        let refresh = RefreshToken::new(refresh_token.expose_secret().to_string());
        let response = self
            .client
            .exchange_refresh_token(&refresh)
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        grant_from(&response)
    }

    /// Reads who signed in from the identity URL. The URL must be on the login host or the
    /// instance: the access token is sent there, so a token response pointing elsewhere is refused.
    pub async fn identity(&self, grant: &Grant) -> Result<Identity, OAuthError> {
        let url = &grant.identity_url;
        let trusted = url.origin() == self.app.login_url.origin()
            || url.origin() == grant.instance_url.origin();
        if !trusted {
            return Err(OAuthError::UnexpectedResponse(format!(
                "the identity URL's host {} is neither the login host nor the instance",
                url.host_str().unwrap_or("?")
            )));
        }
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(grant.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OAuthError::Unreachable(transport(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::FORBIDDEN || status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(OAuthError::Rejected {
                error: "Bad_OAuth_Token".into(),
                description: Some("the identity URL refused the new access token".into()),
            });
        }
        if !status.is_success() {
            return Err(OAuthError::UnexpectedResponse(format!(
                "the identity URL answered HTTP {status}"
            )));
        }
        response.json::<Identity>().await.map_err(|_| {
            OAuthError::UnexpectedResponse(
                "the identity URL's answer lacks user_id, organization_id or username".into(),
            )
        })
    }

    /// Revokes a token (a refresh token also ends its access tokens).
    ///
    /// Written with reqwest rather than the `oauth2` crate's revocation, which refuses
    /// non-https endpoints and so could not talk to a local simulator.
    pub async fn revoke(&self, token: &SecretString) -> Result<(), OAuthError> {
        let response = self
            .http
            .post(self.app.oauth_endpoint("revoke"))
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(|e| OAuthError::Unreachable(transport(&e)))?;
        if response.status().is_success() {
            return Ok(());
        }
        let status = response.status();
        let body: Option<OAuthErrorBody> = response.json().await.ok();
        Err(match body {
            Some(body) => OAuthError::Rejected {
                error: body.error,
                description: body.error_description,
            },
            None => OAuthError::UnexpectedResponse(format!(
                "the revoke endpoint answered HTTP {status}"
            )),
        })
    }
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn grant_from(response: &SalesforceTokenResponse) -> Result<Grant, OAuthError> {
    let extra = response.extra_fields();
    let parse = |what: &str, value: &str| {
        Url::parse(value)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                OAuthError::UnexpectedResponse(format!("the token response's {what} is not a URL"))
            })
    };
    Ok(Grant {
        access_token: SecretString::from(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().clone())),
        instance_url: parse("instance_url", &extra.instance_url)?,
        identity_url: parse("id", &extra.id)?,
        issued_at_ms: extra.issued_at.as_deref().and_then(|s| s.parse().ok()),
    })
}

/// Maps the `oauth2` crate's error without its response body (which may hold a token).
fn token_error(
    error: RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => OAuthError::Rejected {
            error: response.error().as_ref().to_string(),
            description: response.error_description().cloned(),
        },
        RequestTokenError::Request(HttpClientError::Reqwest(inner)) => {
            OAuthError::Unreachable(transport(&inner))
        }
        RequestTokenError::Request(other) => OAuthError::Unreachable(other.to_string()),
        RequestTokenError::Parse(error, _body) => OAuthError::UnexpectedResponse(format!(
            "the token response could not be read (at `{}`)",
            error.path()
        )),
        RequestTokenError::Other(message) => OAuthError::UnexpectedResponse(message),
    }
}
