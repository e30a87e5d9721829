//! The HTTPS call to a webhook: TLS verified against the configuration's `caBundle` (ring, the
//! workspace's only crypto provider), one HTTP/1.1 POST of the AdmissionReview, bounded by the
//! webhook's `timeoutSeconds` (the API server appends `?timeout=<n>s` to the URL as well).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::Value;

use crate::util;

/// Where and how to reach one webhook.
pub struct Endpoint {
    /// Display form, used in error messages as the API server does (`Post "<url>"`).
    pub url: String,
    pub addr: String,
    pub server_name: String,
    pub path: String,
}

/// Where a webhook's `clientConfig.service` leads, as kube-apiserver's default webhook resolver
/// finds it (k8s.io/apiserver `pkg/util/proxy/proxy.go` `ResolveCluster`): the Service must
/// exist (`service "x" not found`), must not be headless, and must expose the webhook's port;
/// the call then goes to the Service's ClusterIP. The sim has no kube-proxy: the address a
/// ClusterIP stands for is the Service's entry in `SimConfig::service_endpoints` (a process on
/// this machine); without one the connection is refused, as kube-proxy rejects traffic to a
/// Service without endpoints.
pub fn service_address(
    service: Option<&Value>,
    name: &str,
    port: u64,
    endpoint: Option<SocketAddr>,
) -> Result<String, String> {
    let svc = service.ok_or_else(|| format!("service {name:?} not found"))?;
    let cluster_ip = util::str_at(svc, "spec.clusterIP");
    if cluster_ip == "None" {
        return Err("cannot route to service with ClusterIP \"None\"".into());
    }
    let exposes = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|p| p.get("port").and_then(Value::as_u64) == Some(port));
    if !exposes {
        return Err(format!("no service port {port} found for service {name:?}"));
    }
    endpoint
        .map(|a| a.to_string())
        .ok_or_else(|| format!("dial tcp {cluster_ip}:{port}: connect: connection refused"))
}

/// Resolve `clientConfig` to an endpoint. A Service resolves through `resolve(namespace, name,
/// port)` ([`service_address`]), keeping `<name>.<namespace>.svc` as the TLS name.
pub fn endpoint(
    client_config: &Value,
    resolve: impl Fn(&str, &str, u64) -> Result<String, String>,
    timeout: u64,
) -> Result<Endpoint, String> {
    let url = util::str_at(client_config, "url");
    if !url.is_empty() {
        let uri: axum::http::Uri = url
            .parse()
            .map_err(|e| format!("invalid webhook URL {url:?}: {e}"))?;
        let host = uri
            .host()
            .ok_or("webhook URL has no host")?
            .trim_matches(['[', ']'])
            .to_string();
        let port = uri.port_u16().unwrap_or(443);
        let pq = uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.to_string());
        let sep = if pq.contains('?') { '&' } else { '?' };
        return Ok(Endpoint {
            url: format!("{url}{sep}timeout={timeout}s"),
            addr: if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            },
            server_name: host,
            path: format!("{pq}{sep}timeout={timeout}s"),
        });
    }
    let svc = client_config
        .get("service")
        .ok_or("clientConfig has neither url nor service")?;
    let (ns, name) = (util::str_at(svc, "namespace"), util::str_at(svc, "name"));
    let port = svc.get("port").and_then(Value::as_u64).unwrap_or(443);
    let path = match util::str_at(svc, "path") {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    let host = format!("{name}.{ns}.svc");
    let url = format!("https://{host}:{port}{path}?timeout={timeout}s");
    // The resolver runs when the client dials, so its failures read `Post "<url>": <error>`.
    let addr = resolve(ns, name, port)
        .map_err(|e| format!("failed to call webhook: Post \"{url}\": {e}"))?;
    Ok(Endpoint {
        url,
        addr,
        server_name: host,
        path: format!("{path}?timeout={timeout}s"),
    })
}

fn tls_config(ca_bundle: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    // `caBundle` is bytes in the API, so base64 of the PEM in JSON.
    let pem = base64::engine::general_purpose::STANDARD
        .decode(ca_bundle.trim())
        .map_err(|e| format!("caBundle is not base64: {e}"))?;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("caBundle: {e}"))?;
        roots.add(cert).map_err(|e| format!("caBundle: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn post_inner(ep: &Endpoint, ca_bundle: &str, body: Vec<u8>) -> Result<Bytes, String> {
    let tls = tokio_rustls::TlsConnector::from(tls_config(ca_bundle)?);
    let tcp = tokio::net::TcpStream::connect(&ep.addr)
        .await
        .map_err(|e| format!("dial tcp {}: {e}", ep.addr))?;
    let name = ServerName::try_from(ep.server_name.clone()).map_err(|e| e.to_string())?;
    let stream = tls
        .connect(name, tcp)
        .await
        .map_err(|e| format!("tls: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let conn_task = tokio::spawn(conn);
    let req = hyper::Request::post(&ep.path)
        .header("host", &ep.server_name)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    conn_task.abort();
    if !status.is_success() {
        return Err(format!(
            "the server responded with status {}",
            status.as_u16()
        ));
    }
    Ok(bytes)
}

/// POST `body` to the webhook, failing after `timeout` with the Go client's wording.
pub async fn post(
    ep: &Endpoint,
    ca_bundle: &str,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Bytes, String> {
    match tokio::time::timeout(timeout, post_inner(ep, ca_bundle, body)).await {
        Ok(r) => r.map_err(|e| format!("failed to call webhook: Post \"{}\": {e}", ep.url)),
        Err(_) => Err(format!(
            "failed to call webhook: Post \"{}\": context deadline exceeded",
            ep.url
        )),
    }
}
