//! The HTTP side: one router for pages, server functions, auth forms, health and assets.
//!
//! Request flow: security headers (on every answer) → public host check (is it addressed
//! to us) → session layer (who is asking) → guard (may they, is the origin ours) →
//! Leptos pages and server functions, the routes in [`routes::HTTP_ROUTES`], or the
//! embedded site files.

pub mod auth_routes;
pub mod events;
pub mod guard;
pub mod health;
pub mod next_path;
pub mod origin;
pub mod routes;
pub mod salesforce_routes;
pub mod security_headers;
pub mod session;

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use app::{
    App, shell,
    ssr::{SharedConsole, SharedOrgSyncConsole},
};
use axum::{Router, extract::FromRef, middleware};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

use tokio_util::sync::CancellationToken;

use crate::{console::Console, site, status::StatusBus};
use origin::PublicOrigin;

/// Shared state of every request handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub console: Arc<Console>,
    /// Status changes, for the live status stream.
    pub bus: StatusBus,
    /// Fires on shutdown: long-lived streams end with it.
    pub shutdown: CancellationToken,
    /// The URL browsers reach orgsync at.
    pub public: PublicOrigin,
}

/// Requests other than the live status stream are answered within this time or get a 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The request timeout, which the live status stream is exempt from (it lives as long as
/// the page that reads it).
pub async fn request_timeout(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path() == events::EVENTS_PATH {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::http::StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Leptos settings for the embedded site. The names match the build (`.cargo/config.toml`).
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("orgsync")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build()
}

/// The app's routes, generated once per process.
///
/// Generating them renders the whole app while a *process-wide* flag suppresses resource
/// loading (leptos issue #4773): a resource that another request's render polls for the first
/// time inside that window waits forever, and its page never finishes. Generating once, before
/// the first router serves, keeps every render out of that window, also when one process runs
/// several servers (the HTTP tests do).
pub fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let console: SharedConsole = state.console.clone();
    let org_syncs: SharedOrgSyncConsole = state.console.clone();
    let context = move || {
        provide_context(console.clone());
        provide_context(org_syncs.clone());
        provide_context(app::ssr::RenderOnce::default());
        security_headers::provide_request_nonce();
    };
    let routes = route_list();
    let leptos_options = state.leptos_options.clone();

    let mut router = Router::new();
    for route in routes::HTTP_ROUTES {
        router = router.route(route.path, (route.handler)());
    }
    router
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(site::fallback_handler(context, leptos_options))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::resolve_caller,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            origin::require_public_host,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers::security_headers,
        ))
        .with_state(state)
}
