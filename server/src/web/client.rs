//! The client's address, for throttling and logs: the TCP peer the server accepted
//! (`ConnectInfo`). `X-Forwarded-For` and similar headers are not trusted: any client can
//! write them. Behind a reverse proxy every client has the proxy's address, so the
//! per-address limits then apply to all clients together (the per-username limits still hold).

use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;

/// The TCP peer's address, `None` when the server was not started with connect info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        ))
    }
}
