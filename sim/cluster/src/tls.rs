//! The API server's HTTPS identity: a CA made at start and a serving certificate from it for
//! the listen address (and `localhost`), so clients that verify TLS can reach the sim over
//! HTTPS. kubectl (client-go `clientcmd`) sends a bearer token only over TLS
//! ("only try to read the auth information if we are secure"), so a ServiceAccount token is
//! only usable through this listener; the plain-HTTP listener stays for the administrator.

use std::net::IpAddr;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::Error;

/// `CommonName` of the CA, as kubeadm names its cluster CA.
const CA_NAME: &str = "rightsize-sim-ca";

/// A CA (PEM, what kubeconfigs carry as `certificate-authority-data`) and the rustls server
/// configuration serving a certificate it signed.
pub struct ServingIdentity {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

fn tls_error(e: impl std::fmt::Display) -> Error {
    Error::Tls(e.to_string())
}

/// Make a CA and a serving certificate for `ip` and `localhost`.
pub fn serving_identity(ip: IpAddr) -> Result<ServingIdentity, Error> {
    let ca_key = rcgen::KeyPair::generate().map_err(tls_error)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CA_NAME);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_error)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().map_err(tls_error)?;
    let leaf = rcgen::CertificateParams::new(vec![ip.to_string(), "localhost".to_string()])
        .map_err(tls_error)?
        .signed_by(&key, &issuer)
        .map_err(tls_error)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(tls_error)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServingIdentity {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(config),
    })
}
