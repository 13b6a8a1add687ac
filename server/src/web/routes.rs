//! Every plain HTTP route (not pages, not server functions), with who may call it.
//!
//! The router is built from [`HTTP_ROUTES`] and the guard enforces each entry's access, so
//! a new route cannot be added without saying who may call it. A test walks this list.

use app::api::Access;
use axum::routing::{MethodRouter, get, post};

use super::{AppState, auth_routes, dialer_api, events, health, salesforce_routes};

/// One HTTP route.
pub struct HttpRoute {
    pub method: http::Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: fn() -> MethodRouter<AppState>,
}

/// All plain HTTP routes.
pub const HTTP_ROUTES: &[HttpRoute] = &[
    HttpRoute {
        method: http::Method::GET,
        path: health::HEALTH_PATH,
        access: Access::Public,
        handler: || get(health::healthz),
    },
    HttpRoute {
        method: http::Method::POST,
        path: "/auth/login",
        access: Access::Public,
        handler: || post(auth_routes::login),
    },
    HttpRoute {
        method: http::Method::POST,
        path: "/auth/setup",
        access: Access::Public,
        handler: || post(auth_routes::setup),
    },
    HttpRoute {
        method: http::Method::POST,
        path: "/auth/logout",
        // Public so that signing out with an expired session still clears the cookie; it
        // only ever ends the session its own cookie carries.
        access: Access::Public,
        handler: || post(auth_routes::logout),
    },
    HttpRoute {
        method: http::Method::POST,
        path: "/auth/salesforce/start",
        access: Access::Admin,
        handler: || post(salesforce_routes::start),
    },
    HttpRoute {
        method: http::Method::GET,
        path: salesforce_routes::CALLBACK_PATH,
        // Public so that the sign-in window can explain a signed-out or non-admin callback
        // (IN-05); the console checks the caller and the state before anything is stored.
        access: Access::Public,
        handler: || get(salesforce_routes::callback),
    },
    HttpRoute {
        method: http::Method::GET,
        path: events::EVENTS_PATH,
        // The status summary and the Sync Settings modal are the administrators' (IN-01).
        access: Access::Admin,
        handler: || get(events::events),
    },
    HttpRoute {
        method: http::Method::POST,
        path: dialer_api::CALLS_PATH,
        // The dialer's API: the handler checks the organization's API key (DS-05).
        access: Access::ApiKey,
        handler: || post(dialer_api::record_call),
    },
    HttpRoute {
        method: http::Method::GET,
        path: dialer_api::CALLS_PATH,
        access: Access::ApiKey,
        handler: || get(dialer_api::call_status),
    },
];

/// Who may call `path`, if it is one of [`HTTP_ROUTES`].
pub fn http_route_access(path: &str) -> Option<Access> {
    HTTP_ROUTES
        .iter()
        .find(|r| r.path == path)
        .map(|r| r.access)
}
