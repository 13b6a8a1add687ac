//! The HTTP side: one router for pages, server functions, auth forms, health and assets.
//!
//! Request flow: security headers (on every answer) → public host check (is it addressed
//! to us) → session layer (who is asking) → guard (may they, is the origin ours) →
//! Leptos pages and server functions, the routes in [`routes::HTTP_ROUTES`], or the
//! embedded site files.

pub mod auth_routes;
pub mod client;
pub mod dialer_api;
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
    ssr::{SharedCampaignConsole, SharedConsole, SharedOrgSyncConsole},
};
use axum::{Router, extract::FromRef, middleware};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

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
    /// Background work that must finish even when its request is gone (drained on shutdown).
    pub tasks: TaskTracker,
}

/// Requests other than the live status stream and the Salesforce callback are answered
/// within this time or get a 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The Salesforce callback's own bound: the code exchange and the identity lookup may each
/// take up to the Salesforce client's 30 s, then the token is stored (or revoked, 5 s). Cutting
/// it off at [`REQUEST_TIMEOUT`] could drop a sign-in after Salesforce issued its tokens.
/// The work itself runs to its end even when the answer is cut off (see
/// [`salesforce_routes::callback`]).
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(90);

/// The request timeout: the live status stream is exempt (it lives as long as the page that
/// reads it) and the Salesforce callback has [`CALLBACK_TIMEOUT`].
pub async fn request_timeout(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = match request.uri().path() {
        events::EVENTS_PATH => return next.run(request).await,
        salesforce_routes::CALLBACK_PATH => CALLBACK_TIMEOUT,
        _ => REQUEST_TIMEOUT,
    };
    match tokio::time::timeout(limit, next.run(request)).await {
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

/// What every page render and server function finds in its Leptos context.
fn app_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let console: SharedConsole = state.console.clone();
    let org_syncs: SharedOrgSyncConsole = state.console.clone();
    let campaigns: SharedCampaignConsole = state.console.clone();
    move || {
        provide_context(console.clone());
        provide_context(org_syncs.clone());
        provide_context(campaigns.clone());
        provide_context(app::ssr::RenderOnce::default());
        security_headers::provide_request_nonce();
    }
}

/// Renders the app's page at `path_and_query` for `caller` with `status`: the sign-in and
/// setup forms answer a throttled post with the form and its message, and a 429.
pub async fn render_page(
    state: &AppState,
    caller: app::ssr::Caller,
    nonce: Option<leptos::nonce::Nonce>,
    path_and_query: &str,
    status: axum::http::StatusCode,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let options = state.leptos_options.clone();
    let base_context = app_context(state);
    let context = move || {
        base_context();
        provide_context(app::WithoutHydration);
    };
    let render =
        leptos_axum::render_app_to_stream_with_context(context, move || shell(options.clone()));
    let Ok(mut request) = axum::http::Request::get(path_and_query).body(axum::body::Body::empty())
    else {
        return status.into_response();
    };
    request.extensions_mut().insert(caller);
    // The page's inline scripts must carry the nonce of the answer's Content-Security-Policy.
    if let Some(nonce) = nonce {
        request.extensions_mut().insert(nonce);
    }
    let mut response = render(request).await.into_response();
    *response.status_mut() = status;
    response
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let context = app_context(&state);
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

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::StatusCode, routing::get};
    use tower::ServiceExt;

    use super::*;

    fn slow(after: Duration) -> axum::routing::MethodRouter {
        get(move || async move {
            tokio::time::sleep(after).await;
            "done"
        })
    }

    async fn status_of(router: &Router, path: &str) -> StatusCode {
        let request = axum::http::Request::get(path)
            .body(Body::empty())
            .expect("request");
        router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
            .status()
    }

    #[tokio::test(start_paused = true)]
    async fn the_salesforce_callback_has_longer_than_other_requests() {
        let longer_than_requests = REQUEST_TIMEOUT + Duration::from_secs(20);
        let router = Router::new()
            .route(salesforce_routes::CALLBACK_PATH, slow(longer_than_requests))
            .route("/slow", slow(longer_than_requests))
            .layer(middleware::from_fn(request_timeout));
        assert!(CALLBACK_TIMEOUT > longer_than_requests);
        assert_eq!(
            status_of(&router, salesforce_routes::CALLBACK_PATH).await,
            StatusCode::OK
        );
        assert_eq!(
            status_of(&router, "/slow").await,
            StatusCode::REQUEST_TIMEOUT
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_salesforce_callback_is_still_bounded() {
        let router = Router::new()
            .route(
                salesforce_routes::CALLBACK_PATH,
                slow(CALLBACK_TIMEOUT + Duration::from_secs(1)),
            )
            .layer(middleware::from_fn(request_timeout));
        assert_eq!(
            status_of(&router, salesforce_routes::CALLBACK_PATH).await,
            StatusCode::REQUEST_TIMEOUT
        );
    }
}
