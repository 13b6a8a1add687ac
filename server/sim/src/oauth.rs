//! OAuth 2.0 web-server flow (authorize page, PKCE), token grants (authorization_code,
//! refresh_token, password), revoke, the identity URL and userinfo.

use std::{
    collections::HashMap,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    auth::AuthCode,
    rest::{base_url, bearer},
    state::User,
};

/// An OAuth error: HTTP status plus `{"error":..,"error_description":..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: String,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &str, description: &str) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/services/oauth2/authorize",
            get(authorize_page).post(authorize_submit),
        )
        .route("/services/oauth2/token", axum::routing::post(token))
        .route("/services/oauth2/revoke", get(revoke_get).post(revoke_post))
        .route("/services/oauth2/userinfo", get(userinfo).post(userinfo))
        .route("/id/{org}/{user}", get(identity).post(identity))
}

/// Parses an urlencoded string into a map (first value wins).
fn parse_form(bytes: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (key, value) in form_urlencoded::parse(bytes) {
        map.entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    map
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// True when `uri` may receive codes: registered, or (no registrations) a localhost URI.
fn redirect_allowed(state: &AppState, uri: &str) -> bool {
    let registered = &state.org.config.redirect_uris;
    if !registered.is_empty() {
        return registered.iter().any(|r| r == uri);
    }
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"));
    rest.is_some_and(|rest| {
        ["localhost", "127.0.0.1", "[::1]"].iter().any(|host| {
            rest.strip_prefix(host)
                .is_some_and(|after| after.is_empty() || after.starts_with([':', '/', '?']))
        })
    })
}

fn redirect_to(uri: &str, params: &[(&str, &str)]) -> Response {
    let mut target = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (key, value) in params {
        target.push(sep);
        target.push_str(key);
        target.push('=');
        target.push_str(&encode(value));
        sep = '&';
    }
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>OAuth Error</h1>\
         <p>We can't authorize you because of an OAuth error.</p><p>error={}</p><p>error_description={}</p></body></html>",
        html_escape(error),
        html_escape(description)
    );
    (status, Html(body)).into_response()
}

/// Checks the authorize parameters; Err is the response to send.
fn check_authorize(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<String, Box<Response>> {
    let client_id = params
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    if client_id != state.org.config.client_id {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        )));
    }
    let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect_allowed(state, &redirect) {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        )));
    }
    let state_param = params.get("state").map(String::as_str).unwrap_or_default();
    if params.get("response_type").map(String::as_str) != Some("code") {
        return Err(Box::new(redirect_to(
            &redirect,
            &[
                ("error", "unsupported_response_type"),
                ("error_description", "response type not supported"),
                ("state", state_param),
            ],
        )));
    }
    if let Some(method) = params.get("code_challenge_method")
        && method != "S256"
        && method != "plain"
    {
        return Err(Box::new(redirect_to(
            &redirect,
            &[
                ("error", "invalid_request"),
                ("error_description", "invalid code_challenge_method"),
                ("state", state_param),
            ],
        )));
    }
    Ok(redirect)
}

const FORWARDED: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

fn login_page(params: &HashMap<String, String>, message: Option<&str>) -> Response {
    let hidden: String = FORWARDED
        .iter()
        .filter_map(|name| {
            params.get(*name).map(|v| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    html_escape(v)
                )
            })
        })
        .collect();
    let error = message
        .map(|m| format!("<p class=\"error\" id=\"error\">{}</p>", html_escape(m)))
        .unwrap_or_default();
    let login_hint = params
        .get("login_hint")
        .map(|v| html_escape(v))
        .unwrap_or_default();
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Login | Salesforce (simulated)</title></head>\
         <body><h1>Log in to the simulated org</h1>{error}\
         <form method=\"post\" action=\"/services/oauth2/authorize\">{hidden}\
         <label>Username <input type=\"email\" name=\"username\" id=\"username\" value=\"{login_hint}\"></label>\
         <label>Password <input type=\"password\" name=\"password\" id=\"password\"></label>\
         <p>orgsync wants to access your basic information and manage your data (api, refresh_token).</p>\
         <button type=\"submit\" name=\"action\" value=\"approve\" id=\"Approve\">Allow</button>\
         <button type=\"submit\" name=\"action\" value=\"deny\" id=\"Deny\">Deny</button>\
         </form></body></html>"
    );
    Html(body).into_response()
}

async fn authorize_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = parse_form(query.unwrap_or_default().as_bytes());
    match check_authorize(&state, &params) {
        Ok(_) => login_page(&params, None),
        Err(response) => *response,
    }
}

async fn authorize_submit(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params = parse_form(&body);
    for (key, value) in parse_form(query.unwrap_or_default().as_bytes()) {
        params.entry(key).or_insert(value);
    }
    let redirect = match check_authorize(&state, &params) {
        Ok(redirect) => redirect,
        Err(response) => return *response,
    };
    let state_param = params.get("state").cloned().unwrap_or_default();
    if params.get("action").map(String::as_str) == Some("deny") {
        return redirect_to(
            &redirect,
            &[
                ("error", "access_denied"),
                ("error_description", "end-user denied authorization"),
                ("state", &state_param),
            ],
        );
    }
    let username = params
        .get("username")
        .map(String::as_str)
        .unwrap_or_default();
    let password = params
        .get("password")
        .map(String::as_str)
        .unwrap_or_default();
    let Some(user) = state
        .org
        .users
        .iter()
        .find(|u| u.username.eq_ignore_ascii_case(username) && u.password == password)
    else {
        return login_page(
            &params,
            Some(
                "Please check your username and password. If you still can't log in, contact your Salesforce administrator.",
            ),
        );
    };
    let challenge = params
        .get("code_challenge")
        .filter(|c| !c.is_empty())
        .map(|c| {
            (
                params
                    .get("code_challenge_method")
                    .cloned()
                    .unwrap_or_else(|| "S256".into()),
                c.clone(),
            )
        });
    let code = state.org.tokens().issue_code(AuthCode {
        client_id: state.org.config.client_id.clone(),
        redirect_uri: redirect.clone(),
        user_id: user.id.clone(),
        challenge,
        scope: params.get("scope").cloned().unwrap_or_default(),
        expires: Instant::now() + Duration::from_secs(15 * 60),
    });
    let mut out = vec![("code", code.as_str())];
    if params.contains_key("state") {
        out.push(("state", &state_param));
    }
    redirect_to(&redirect, &out)
}

/// HMAC-SHA256 (RFC 2104) over sha2.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn wants_refresh(scope: &str) -> bool {
    scope.trim().is_empty()
        || scope
            .split_whitespace()
            .any(|s| matches!(s, "refresh_token" | "offline_access" | "full"))
}

fn token_response(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    access: String,
    refresh: Option<String>,
    scope: &str,
) -> Response {
    let base = base_url(state, headers);
    let id = format!("{base}/id/{}/{}", state.org.org_id, user.id);
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string();
    let signature = STANDARD.encode(hmac_sha256(
        state.org.config.client_secret.as_bytes(),
        format!("{id}{issued_at}").as_bytes(),
    ));
    let scope = if scope.trim().is_empty() {
        "api refresh_token"
    } else {
        scope
    };
    let mut body = serde_json::Map::new();
    body.insert("access_token".into(), json!(access));
    if let Some(refresh) = refresh {
        body.insert("refresh_token".into(), json!(refresh));
    }
    body.insert("signature".into(), json!(signature));
    body.insert("scope".into(), json!(scope));
    body.insert("instance_url".into(), json!(base));
    body.insert("id".into(), json!(id));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("issued_at".into(), json!(issued_at));
    (
        StatusCode::OK,
        [(
            header::CACHE_CONTROL,
            "no-cache,must-revalidate,max-age=0,no-store,private",
        )],
        Json(Value::Object(body)),
    )
        .into_response()
}

/// Client credentials from the form or an HTTP Basic header.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|text| {
            text.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    }
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    match token_inner(&state, &headers, query, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn token_inner(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<String>,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            "grant type not supported",
        ));
    }
    let mut form = parse_form(body);
    for (key, value) in parse_form(query.unwrap_or_default().as_bytes()) {
        form.entry(key).or_insert(value);
    }
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    if !matches!(
        grant.as_str(),
        "authorization_code" | "refresh_token" | "password"
    ) {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            "grant type not supported",
        ));
    }
    let (client_id, secret) = client_credentials(headers, &form);
    if client_id.as_deref() != Some(state.org.config.client_id.as_str()) {
        return Err(OAuthError::new(
            "invalid_client_id",
            "client identifier invalid",
        ));
    }
    let secret_ok = secret
        .as_deref()
        .map(|s| s == state.org.config.client_secret);
    if secret_ok == Some(false) {
        return Err(OAuthError::new(
            "invalid_client",
            "invalid client credentials",
        ));
    }
    match grant.as_str() {
        "authorization_code" => {
            let code = form.get("code").map(String::as_str).unwrap_or_default();
            let issued = state.org.tokens().take_code(code);
            let issued = issued
                .ok_or_else(|| OAuthError::new("invalid_grant", "invalid authorization code"))?;
            if issued.client_id != state.org.config.client_id {
                return Err(OAuthError::new(
                    "invalid_grant",
                    "invalid authorization code",
                ));
            }
            if form
                .get("redirect_uri")
                .is_some_and(|r| *r != issued.redirect_uri)
            {
                return Err(OAuthError::new(
                    "invalid_grant",
                    "redirect_uri must match configuration",
                ));
            }
            match (&issued.challenge, form.get("code_verifier")) {
                (Some(_), None) => {
                    return Err(OAuthError::new("invalid_grant", "invalid code verifier"));
                }
                (Some((method, challenge)), Some(verifier)) => {
                    let computed = if method == "plain" {
                        verifier.clone()
                    } else {
                        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                    };
                    if computed != *challenge {
                        return Err(OAuthError::new("invalid_request", "invalid code verifier"));
                    }
                }
                (None, _) if secret_ok.is_none() => {
                    return Err(OAuthError::new(
                        "invalid_client",
                        "invalid client credentials",
                    ));
                }
                (None, _) => {}
            }
            let user = state
                .org
                .user(&issued.user_id)
                .cloned()
                .ok_or_else(|| OAuthError::new("inactive_user", "user is inactive"))?;
            let (access, refresh) =
                state
                    .org
                    .tokens()
                    .issue(&user.id, &issued.scope, wants_refresh(&issued.scope));
            Ok(token_response(
                state,
                headers,
                &user,
                access,
                refresh,
                &issued.scope,
            ))
        }
        "refresh_token" => {
            let refresh = form
                .get("refresh_token")
                .map(String::as_str)
                .unwrap_or_default();
            let result = state.org.tokens().refresh(refresh);
            let refreshed = result
                .map_err(|_| OAuthError::new("invalid_grant", "expired access/refresh token"))?;
            let user = state
                .org
                .user(&refreshed.user_id)
                .cloned()
                .ok_or_else(|| OAuthError::new("inactive_user", "user is inactive"))?;
            Ok(token_response(
                state,
                headers,
                &user,
                refreshed.access,
                refreshed.rotated,
                &refreshed.scope,
            ))
        }
        _ => {
            if secret_ok.is_none() {
                return Err(OAuthError::new(
                    "invalid_client",
                    "invalid client credentials",
                ));
            }
            let username = form.get("username").map(String::as_str).unwrap_or_default();
            let password = form.get("password").map(String::as_str).unwrap_or_default();
            let user = state
                .org
                .users
                .iter()
                .find(|u| u.username.eq_ignore_ascii_case(username) && u.password == password)
                .cloned()
                .ok_or_else(|| OAuthError::new("invalid_grant", "authentication failure"))?;
            let (access, _) = state.org.tokens().issue(&user.id, "api", false);
            Ok(token_response(state, headers, &user, access, None, "api"))
        }
    }
}

fn revoke_token(state: &AppState, token: Option<&String>) -> Response {
    let revoked = token.is_some_and(|t| state.org.tokens().revoke(t));
    if revoked {
        StatusCode::OK.into_response()
    } else {
        OAuthError::new("invalid_token", "Token was invalid").into_response()
    }
}

async fn revoke_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = parse_form(query.unwrap_or_default().as_bytes());
    revoke_token(&state, params.get("token"))
}

async fn revoke_post(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params = parse_form(&body);
    for (key, value) in parse_form(query.unwrap_or_default().as_bytes()) {
        params.entry(key).or_insert(value);
    }
    revoke_token(&state, params.get("token"))
}

fn bad_token() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain;charset=UTF-8")],
        "Bad_OAuth_Token",
    )
        .into_response()
}

fn urls(base: &str, org_id: &str, user_id: &str) -> Value {
    let data = format!("{base}/services/data/v{{version}}/");
    json!({
        "enterprise": format!("{base}/services/Soap/c/{{version}}/{}", org_id.get(..15).unwrap_or(org_id)),
        "metadata": format!("{base}/services/Soap/m/{{version}}/{}", org_id.get(..15).unwrap_or(org_id)),
        "partner": format!("{base}/services/Soap/u/{{version}}/{}", org_id.get(..15).unwrap_or(org_id)),
        "rest": data,
        "sobjects": format!("{data}sobjects/"),
        "search": format!("{data}search/"),
        "query": format!("{data}query/"),
        "recent": format!("{data}recent/"),
        "tooling_soap": format!("{base}/services/Soap/T/{{version}}/{}", org_id.get(..15).unwrap_or(org_id)),
        "tooling_rest": format!("{data}tooling/"),
        "profile": format!("{base}/{user_id}"),
        "feeds": format!("{data}chatter/feeds"),
        "groups": format!("{data}chatter/groups"),
        "users": format!("{data}chatter/users"),
        "feed_items": format!("{data}chatter/feed-items"),
        "feed_elements": format!("{data}chatter/feed-elements"),
        "custom_domain": base,
    })
}

async fn identity(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, user)): Path<(String, String)>,
) -> Response {
    let Some(user_id) = bearer(&headers).and_then(|t| state.org.tokens().user_of(t)) else {
        return bad_token();
    };
    let org_ok = crate::ids::normalize(&org).is_some_and(|o| o == state.org.org_id);
    let Some(user) = crate::ids::normalize(&user)
        .and_then(|u| state.org.user(&u).cloned())
        .filter(|_| org_ok)
    else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            "Not Found",
        )
            .into_response();
    };
    let base = base_url(&state, &headers);
    Json(json!({
        "id": format!("{base}/id/{}/{}", state.org.org_id, user.id),
        "asserted_user": user.id == user_id,
        "user_id": user.id,
        "organization_id": state.org.org_id,
        "username": user.username,
        "nick_name": user.username.split('@').next().unwrap_or_default(),
        "display_name": format!("{} {}", user.first_name, user.last_name),
        "email": user.username,
        "email_verified": true,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "timezone": "Europe/Berlin",
        "photos": {"picture": format!("{base}/profilephoto/005/F"), "thumbnail": format!("{base}/profilephoto/005/T")},
        "addr_street": null, "addr_city": null, "addr_state": null, "addr_country": "DE", "addr_zip": null,
        "mobile_phone": null, "mobile_phone_verified": false, "is_lightning_login_user": false,
        "status": {"created_date": null, "body": null},
        "urls": urls(&base, &state.org.org_id, &user.id),
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 3_600_000,
        "last_modified_date": "2025-01-01T00:00:00Z",
        "is_app_installed": true,
    }))
    .into_response()
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(user) = bearer(&headers)
        .and_then(|t| state.org.tokens().user_of(t))
        .and_then(|id| state.org.user(&id).cloned())
    else {
        return bad_token();
    };
    let base = base_url(&state, &headers);
    Json(json!({
        "sub": format!("{base}/id/{}/{}", state.org.org_id, user.id),
        "user_id": user.id,
        "organization_id": state.org.org_id,
        "preferred_username": user.username,
        "nickname": user.username.split('@').next().unwrap_or_default(),
        "name": format!("{} {}", user.first_name, user.last_name),
        "email": user.username,
        "email_verified": true,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "zoneinfo": "Europe/Berlin",
        "photos": {"picture": format!("{base}/profilephoto/005/F"), "thumbnail": format!("{base}/profilephoto/005/T")},
        "profile": format!("{base}/{}", user.id),
        "picture": format!("{base}/profilephoto/005/F"),
        "address": {"country": "DE"},
        "is_salesforce_integration_user": false,
        "urls": urls(&base, &state.org.org_id, &user.id),
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 3_600_000,
        "updated_at": "2025-01-01T00:00:00Z",
        "is_app_installed": true,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn refresh_scope_rules() {
        assert!(wants_refresh(""));
        assert!(wants_refresh("api refresh_token"));
        assert!(!wants_refresh("api"));
    }
}
