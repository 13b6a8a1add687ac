//! TLS with a generated self-signed certificate (rustls with the ring provider).

use std::sync::Arc;

use rustls::{
    ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
};
use tokio_rustls::TlsAcceptor;

/// A self-signed certificate for `localhost`, `127.0.0.1` and `::1` (plus `extra_names`):
/// (DER certificate, PEM certificate, acceptor).
pub fn self_signed(
    extra_names: &[String],
) -> std::io::Result<(CertificateDer<'static>, String, TlsAcceptor)> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    names.extend(extra_names.iter().cloned());
    let certified = rcgen::generate_simple_self_signed(names).map_err(std::io::Error::other)?;
    let cert = certified.cert.der().clone();
    let pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((cert, pem, TlsAcceptor::from(Arc::new(config))))
}
