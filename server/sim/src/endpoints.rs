//! Names every endpoint (for call counters and fault injection) and runs the per-call
//! middleware: count, apply injected faults, add `Sforce-Limit-Info` to REST responses.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, errors::ApiError, faults::FaultKind, oauth::OAuthError};

/// The counter/fault name of a route (`method` + matched path template).
pub fn name(method: &Method, path: &str) -> &'static str {
    let tail = path.strip_prefix("/services/data/{version}");
    match (tail, path) {
        (_, "/services/oauth2/authorize") => "oauth/authorize",
        (_, "/services/oauth2/token") => "oauth/token",
        (_, "/services/oauth2/revoke") => "oauth/revoke",
        (_, "/services/oauth2/userinfo") => "oauth/userinfo",
        (_, "/id/{org}/{user}") => "identity",
        (_, "/services/data") => "versions",
        (Some(""), _) => "resources",
        (Some("/limits"), _) => "limits",
        (Some("/sobjects"), _) => "sobjects",
        (Some("/sobjects/{object}"), _) if method == Method::POST => "sobject/create",
        (Some("/sobjects/{object}"), _) => "sobject/info",
        (Some("/sobjects/{object}/describe"), _) => "describe",
        (Some("/sobjects/{object}/updated"), _) => "updated",
        (Some("/sobjects/{object}/deleted"), _) => "deleted",
        (Some("/sobjects/{object}/{id}"), _) if method == Method::PATCH => "sobject/update",
        (Some("/sobjects/{object}/{id}"), _) if method == Method::DELETE => "sobject/delete",
        (Some("/sobjects/{object}/{id}"), _) => "sobject/read",
        (Some("/query"), _) => "query",
        (Some("/queryAll"), _) => "queryAll",
        (Some("/query/{locator}" | "/queryAll/{locator}"), _) => "query/more",
        (Some("/composite/sobjects"), _) => "composite/sobjects",
        _ => "other",
    }
}

/// Marks a response whose connection must be closed without an answer.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// A body that fails at once, so the connection is aborted mid-response.
struct AbortBody;

impl http_body::Body for AbortBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected fault: drop",
        ))))
    }
}

/// The response of an injected `drop` fault.
pub fn drop_response() -> Response {
    let mut response = Response::new(Body::new(AbortBody));
    response.extensions_mut().insert(DropConnection);
    response
}

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
    else {
        return next.run(request).await;
    };
    let endpoint = name(request.method(), &path);
    state.org.record_call(endpoint);
    let applied = state.org.faults.take(endpoint);
    if !applied.latency.is_zero() {
        tokio::time::sleep(applied.latency).await;
    }
    let is_rest = path.starts_with("/services/data/{version}");
    match applied.outcome {
        Some(FaultKind::Drop) => return drop_response(),
        Some(FaultKind::DropAfterCommit) => {
            // The call is handled (and its writes committed), then the answer is lost.
            let _committed = next.run(request).await;
            return drop_response();
        }
        Some(FaultKind::AnswerLate { latency_ms }) => {
            // The call is handled (and its writes committed), then the answer waits: a client
            // that gives up first cannot tell whether the call took effect.
            let mut response = next.run(request).await;
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
            if is_rest && path != "/services/data" {
                add_limit_info(&state, &mut response);
            }
            return response;
        }
        Some(FaultKind::Fail {
            status,
            error_code,
            message,
            ..
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut response = if path.starts_with("/services/oauth2") {
                OAuthError {
                    status,
                    error: error_code,
                    description: message,
                }
                .into_response()
            } else {
                ApiError::Custom {
                    status,
                    error_code,
                    message,
                }
                .into_response()
            };
            if is_rest {
                add_limit_info(&state, &mut response);
            }
            return response;
        }
        _ => {}
    }
    let mut response = next.run(request).await;
    if is_rest && path != "/services/data" {
        add_limit_info(&state, &mut response);
    }
    response
}

fn add_limit_info(state: &AppState, response: &mut Response) {
    if let Ok(value) = HeaderValue::from_str(&state.org.limit_info()) {
        response.headers_mut().insert("sforce-limit-info", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            name(&Method::GET, "/services/data/{version}/query"),
            "query"
        );
        assert_eq!(
            name(&Method::GET, "/services/data/{version}/query/{locator}"),
            "query/more"
        );
        assert_eq!(
            name(
                &Method::PATCH,
                "/services/data/{version}/sobjects/{object}/{id}"
            ),
            "sobject/update"
        );
        assert_eq!(
            name(&Method::POST, "/services/data/{version}/sobjects/{object}"),
            "sobject/create"
        );
        assert_eq!(
            name(&Method::POST, "/services/data/{version}/composite/sobjects"),
            "composite/sobjects"
        );
        assert_eq!(name(&Method::GET, "/services/data/{version}"), "resources");
        assert_eq!(name(&Method::POST, "/services/oauth2/token"), "oauth/token");
    }
}
