//! TLS of the admission port: the rustls `ServerConfig` (ring only, TLS 1.2 and 1.3, ALPN h2
//! and http/1.1) whose certificate comes from [`reload::ReloadingCert`], which follows the
//! mounted Secret as the kubelet updates it.

pub mod reload;

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;

pub use reload::{CertError, ReloadingCert};

/// The crypto provider of the whole process: ring (STYLE: one provider for kube, rustls, rcgen).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs ring as the process default (kube's client needs one); idempotent.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// ALPN protocols in preference order: the API server's client speaks HTTP/2 when offered.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// A server config that asks `cert` for the certificate at every handshake.
pub fn server_config(cert: Arc<ReloadingCert>) -> Result<ServerConfig, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}
