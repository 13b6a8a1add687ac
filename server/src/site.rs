//! The built site (wasm, JS glue, CSS, `public/` files), embedded in the binary so that the
//! one file, copied anywhere, serves a working UI. `cargo xtask build` fills `target/site`
//! before the server compiles.

use axum::{
    body::Body,
    http::{HeaderValue, Request, StatusCode, header},
    response::{IntoResponse, Response},
};
use leptos::prelude::*;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../target/site"]
struct SiteFiles;

/// The embedded file at `path`, with its content type, if there is one.
pub fn asset(path: &str) -> Option<Response> {
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    let file = SiteFiles::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = (StatusCode::OK, Body::from(file.data.into_owned())).into_response();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    // The wasm and JS are rebuilt with each release; let browsers revalidate.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

/// True when the site was embedded (a build without `cargo xtask build` has none).
pub fn is_embedded() -> bool {
    SiteFiles::get("pkg/orgsync.wasm").is_some()
}

/// Fallback handler: an embedded file, or the app's own "Page not found".
pub fn fallback_handler(
    context: impl Fn() + Clone + Send + Sync + 'static,
    options: LeptosOptions,
) -> impl Fn(Request<Body>) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    let render = leptos_axum::render_app_to_stream_with_context(context, move || {
        app::shell(options.clone())
    });
    move |request: Request<Body>| {
        let render = render.clone();
        Box::pin(async move {
            if let Some(response) = asset(request.uri().path()) {
                return response;
            }
            let mut response = render(request).await.into_response();
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::NOT_FOUND;
            }
            response
        })
    }
}
