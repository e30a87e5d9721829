//! metrics-server at a URL of its own, as clients that read it directly (`METRICS_SOURCE=url`,
//! the original controller's way) reach it: HTTPS with a self-signed certificate (metrics-server
//! generates one when given none: `--cert-dir`, "self-signed certificate will be generated"),
//! and a bearer token on every request, since metrics-server authenticates its clients through
//! the API server (delegated authentication, TokenReview). The PodMetrics and NodeMetrics it
//! serves are the aggregated API's (`metrics_server`).
//!
//! The token accepted is the cluster's `metrics_token`; a request without it gets 401.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{ApiError, ApiResult, Error};
use crate::registry::ListOptions;
use crate::resources;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::Cluster;

/// Host names the certificate is valid for (the URL tests and the demo use, and the address).
pub const CERT_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// The serving certificate (PEM, what a client trusts) and its key, self-signed.
pub(crate) struct SelfSigned {
    pub cert_pem: String,
    cert_der: rustls_pki_types::CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl SelfSigned {
    pub(crate) fn generate() -> Result<Self, Error> {
        let ck = rcgen::generate_simple_self_signed(CERT_NAMES.map(String::from).to_vec())
            .map_err(|e| Error::Certificate(e.to_string()))?;
        Ok(Self {
            cert_pem: ck.cert.pem(),
            cert_der: ck.cert.der().clone(),
            key_der: ck.signing_key.serialize_der(),
        })
    }

    fn server_config(&self) -> Result<rustls::ServerConfig, Error> {
        let err = |e: rustls::Error| Error::Certificate(e.to_string());
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from(self.key_der.clone());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der.clone()], key.into())
            .map_err(err)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Is `headers`' bearer token one this endpoint accepts?
fn authorised(c: &Cluster, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == c.config.metrics_token)
}

fn list(
    c: &Cluster,
    headers: &HeaderMap,
    plural: &str,
    ns: Option<&str>,
    query: Option<&str>,
) -> ApiResult<Response> {
    c.requests
        .count("list", &format!("metrics-server:{plural}.metrics.k8s.io"));
    if !authorised(c, headers) {
        return Err(ApiError::custom(401, "Unauthorized", "Unauthorized"));
    }
    let def =
        resources::find("metrics.k8s.io", "v1beta1", plural).ok_or_else(ApiError::no_route)?;
    let q: std::collections::HashMap<String, String> =
        form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let opts = ListOptions {
        labels: LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))?,
        fields: FieldSelector::parse("", def.field_labels)?,
        limit: None,
        continue_token: None,
    };
    let v = crate::metrics_server::serve(c, def, ns, None, &opts)?;
    Ok((
        [("content-type", "application/json")],
        serde_json::to_vec(&v).unwrap_or_default(),
    )
        .into_response())
}

type Shared = Arc<Cluster>;

fn router(c: Shared) -> Router {
    Router::new()
        .route(
            "/apis/metrics.k8s.io/v1beta1/{plural}",
            get(
                |State(c): State<Shared>,
                 Path(p): Path<String>,
                 RawQuery(q): RawQuery,
                 h: HeaderMap| async move {
                    list(&c, &h, &p, None, q.as_deref()).unwrap_or_else(IntoResponse::into_response)
                },
            ),
        )
        .route(
            "/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/{plural}",
            get(
                |State(c): State<Shared>,
                 Path((ns, p)): Path<(String, String)>,
                 RawQuery(q): RawQuery,
                 h: HeaderMap| async move {
                    list(&c, &h, &p, Some(&ns), q.as_deref())
                        .unwrap_or_else(IntoResponse::into_response)
                },
            ),
        )
        .route("/healthz", get(|| async { "ok" }))
        .with_state(c)
}

/// Bind `addr` and serve over HTTPS until the returned task is aborted.
pub(crate) fn spawn(
    c: Shared,
    addr: SocketAddr,
    cert: &SelfSigned,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), Error> {
    let bind = |source| Error::Bind { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(cert.server_config()?));
    let server = axum_server::tls_rustls::from_tcp_rustls(listener, tls).map_err(bind)?;
    let app = router(c);
    let task = tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::error!(error = %e, "simulated metrics-server (HTTPS) stopped");
        }
    });
    Ok((bound, task))
}
