//! The guard: refuses cross-origin writes, enforces who may call each endpoint, and sends
//! visitors of protected pages to sign in.
//!
//! Deny by default: a server function missing from [`app::api::ACCESS`] is refused.

use app::{api::Access, ssr::Caller, types::Role};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

use super::{AppState, origin::PublicOrigin, routes::http_route_access};

/// Why the guard refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A write from another site (CSRF).
    CrossOrigin,
    /// Not signed in.
    Unauthorized,
    /// Signed in without the needed role.
    Forbidden,
    /// No such server function.
    UnknownEndpoint,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Refusal::CrossOrigin => (
                StatusCode::FORBIDDEN,
                "Cross-origin requests are not accepted.",
            ),
            Refusal::Unauthorized => (StatusCode::UNAUTHORIZED, "Sign in first."),
            Refusal::Forbidden => (
                StatusCode::FORBIDDEN,
                "Your account does not have access to this.",
            ),
            Refusal::UnknownEndpoint => (StatusCode::NOT_FOUND, "No such endpoint."),
        };
        (status, message).into_response()
    }
}

/// What a request is, as far as access goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    ServerFunction(Option<Access>),
    HttpRoute(Access),
    /// `/login` and `/setup`.
    SignInPage,
    /// `/` and `/admin/...`.
    AdminPage,
    /// Site files and unknown pages.
    Other,
}

fn classify(path: &str) -> Target {
    // HTTP routes first: some live under `/api/` too (the `/api/events` stream).
    if let Some(access) = http_route_access(path) {
        return Target::HttpRoute(access);
    }
    if path.starts_with("/api/") {
        let access = app::api::ACCESS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, a)| *a);
        return Target::ServerFunction(access);
    }
    match path {
        "/login" | "/setup" => Target::SignInPage,
        "/" | "/admin" => Target::AdminPage,
        p if p.starts_with("/admin/") => Target::AdminPage,
        _ => Target::Other,
    }
}

/// Decides whether `caller` may call an endpoint with `access`.
pub fn check_access(access: Access, caller: &Caller) -> Result<(), Refusal> {
    match (access, caller) {
        (Access::Public, _) => Ok(()),
        // The handler checks the key; a session cookie does not stand in for one.
        (Access::ApiKey, _) => Ok(()),
        (_, Caller::Anonymous) => Err(Refusal::Unauthorized),
        (Access::SignedIn, Caller::User(_)) => Ok(()),
        (Access::Admin, Caller::User(user)) if user.role == Role::Admin => Ok(()),
        (Access::Admin, Caller::User(_)) => Err(Refusal::Forbidden),
    }
}

/// True when a state-changing request comes from another origin than the public URL.
/// Browsers always send `Origin` (and `Sec-Fetch-Site`) on cross-origin POSTs; clients
/// without them are not browsers and cannot carry a victim's cookie.
///
/// `Origin` is compared with the configured public origin, never with the request's own
/// `Host`: with DNS rebinding, a hostile page's `Origin` and `Host` name the same hostile
/// host, so they would agree.
pub fn is_cross_origin(method: &Method, headers: &HeaderMap, public: &PublicOrigin) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && (site == "cross-site" || site == "same-site")
    {
        return true;
    }
    match headers.get(header::ORIGIN) {
        None => false,
        Some(origin) => !origin
            .to_str()
            .is_ok_and(|origin| public.is_same_origin(origin)),
    }
}

/// The middleware.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_cross_origin(request.method(), request.headers(), &state.public) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-origin request");
        return Refusal::CrossOrigin.into_response();
    }
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    let path = request.uri().path().to_string();
    match classify(&path) {
        Target::ServerFunction(None) => Refusal::UnknownEndpoint.into_response(),
        Target::ServerFunction(Some(access)) | Target::HttpRoute(access) => {
            match check_access(access, &caller) {
                Ok(()) => next.run(request).await,
                Err(refusal) => refusal.into_response(),
            }
        }
        Target::SignInPage => {
            let needs_setup = state.console.needs_setup().await;
            match (path.as_str(), needs_setup, &caller) {
                ("/login", true, _) => Redirect::to("/setup").into_response(),
                ("/setup", false, _) => Redirect::to("/login").into_response(),
                ("/login", false, Caller::User(_)) => {
                    Redirect::to("/admin/integrations").into_response()
                }
                _ => next.run(request).await,
            }
        }
        Target::AdminPage => match caller {
            Caller::Anonymous => {
                let next_path = request
                    .uri()
                    .path_and_query()
                    .map_or("/admin/integrations", |p| p.as_str());
                Redirect::to(&login_url_returning_to(next_path)).into_response()
            }
            Caller::User(user) => {
                let mut response = next.run(request).await;
                // Viewers get the page's "Not allowed" notice; the status says so too.
                if user.role != Role::Admin && response.status().is_success() {
                    *response.status_mut() = StatusCode::FORBIDDEN;
                }
                response
            }
        },
        Target::Other => next.run(request).await,
    }
}

/// The sign-in page's address that returns to `next` afterwards.
pub(crate) fn login_url_returning_to(next: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("/login?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ssr::SignedInUser;
    use axum::http::HeaderValue;

    fn user(role: Role) -> Caller {
        Caller::User(SignedInUser {
            session_id: 1,
            user_id: 1,
            organization_id: 1,
            username: "u".into(),
            role,
        })
    }

    #[test]
    fn access_matrix() {
        assert_eq!(check_access(Access::Public, &Caller::Anonymous), Ok(()));
        assert_eq!(
            check_access(Access::SignedIn, &Caller::Anonymous),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(check_access(Access::SignedIn, &user(Role::Viewer)), Ok(()));
        assert_eq!(
            check_access(Access::Admin, &user(Role::Viewer)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(check_access(Access::Admin, &user(Role::Admin)), Ok(()));
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn cross_origin_writes_are_detected() {
        let public = PublicOrigin::parse("http://127.0.0.1:3000").expect("public url");
        let same = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        let evil = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        let fetch_cross = headers(&[("host", "127.0.0.1:3000"), ("sec-fetch-site", "cross-site")]);
        let no_browser = headers(&[("host", "127.0.0.1:3000")]);
        assert!(!is_cross_origin(&Method::POST, &same, &public));
        assert!(is_cross_origin(&Method::POST, &evil, &public));
        assert!(is_cross_origin(&Method::POST, &fetch_cross, &public));
        assert!(!is_cross_origin(&Method::POST, &no_browser, &public));
        assert!(!is_cross_origin(&Method::GET, &evil, &public));
    }

    #[test]
    fn origin_is_compared_with_the_public_url_not_the_host_header() {
        let public = PublicOrigin::parse("http://127.0.0.1:3000").expect("public url");
        // DNS rebinding: the hostile page's Origin and the Host its requests carry agree.
        let rebound = headers(&[
            ("host", "evil.example:3000"),
            ("origin", "http://evil.example:3000"),
        ]);
        assert!(is_cross_origin(&Method::POST, &rebound, &public));
        // Same host and port, other scheme: another origin.
        let other_scheme = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://127.0.0.1:3000"),
        ]);
        assert!(is_cross_origin(&Method::POST, &other_scheme, &public));
        let opaque = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(is_cross_origin(&Method::POST, &opaque, &public));
    }

    #[test]
    fn http_routes_under_api_are_not_taken_for_server_functions() {
        assert_eq!(
            classify(super::super::events::EVENTS_PATH),
            Target::HttpRoute(Access::Admin)
        );
        assert_eq!(
            classify("/api/no_such_function"),
            Target::ServerFunction(None)
        );
    }

    #[test]
    fn next_parameter_is_encoded() {
        assert_eq!(
            login_url_returning_to("/admin/x?a=b&c#d"),
            "/login?next=%2Fadmin%2Fx%3Fa%3Db%26c%23d"
        );
    }
}
