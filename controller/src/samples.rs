//! Usage samples: ONE PodMetrics list per cycle (never one call per pod, DESIGN §2), from
//! either source of `METRICS_SOURCE`:
//! - `url`: `METRICS_SERVER_URL` + `/apis/metrics.k8s.io/v1beta1/pods` with reqwest (rustls,
//!   ring), honouring `VERIFY_CERT` and sending the ServiceAccount token as a bearer token, as
//!   metrics-server authorises its clients through the API server's delegated authentication;
//! - `api`: the same path through the API server (aggregation layer).
//!
//! The shape is `metrics.k8s.io/v1beta1` `PodMetricsList` (kubernetes/metrics
//! `pkg/apis/metrics/v1beta1/types.go`): memory is the working set at `timestamp`.

use std::collections::HashMap;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use rightsize_policy::quantity::Quantity;
use serde::Deserialize;

use crate::error::Error;

/// The PodMetrics list path (metrics-server and the aggregated API alike).
pub const POD_METRICS_PATH: &str = "/apis/metrics.k8s.io/v1beta1/pods";

/// A metrics call that hangs must not stall the cycle for ever.
pub const METRICS_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Deserialize)]
struct PodMetricsList {
    #[serde(default)]
    items: Vec<PodMetrics>,
}

#[derive(Deserialize)]
struct PodMetrics {
    metadata: Meta,
    timestamp: Option<String>,
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Deserialize)]
struct Meta {
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Deserialize)]
struct ContainerMetrics {
    name: String,
    #[serde(default)]
    usage: HashMap<String, String>,
}

/// One pod's sample: when it was taken (seconds) and each container's working set (bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub memory: HashMap<String, f64>,
}

/// Samples by `namespace/name`.
pub type Samples = HashMap<String, Sample>;

/// Decode a `PodMetricsList`. Containers whose memory does not parse are left out (their pod is
/// then skipped for that container, never read as zero).
pub fn decode(body: &[u8], from: &str, now: f64) -> Result<Samples, Error> {
    let list: PodMetricsList =
        serde_json::from_slice(body).map_err(|source| Error::DecodePodMetrics {
            from: from.to_owned(),
            source,
        })?;
    Ok(list
        .items
        .into_iter()
        .map(|pm| {
            let t = pm
                .timestamp
                .as_deref()
                .and_then(|s| s.parse::<Timestamp>().ok())
                .map_or(now, |t| t.as_millisecond() as f64 / 1000.0);
            let memory = pm
                .containers
                .into_iter()
                .filter_map(|c| {
                    let q = Quantity::parse(c.usage.get("memory")?.trim()).ok()?;
                    Some((c.name, q.as_f64()))
                })
                .collect();
            (
                format!("{}/{}", pm.metadata.namespace, pm.metadata.name),
                Sample { t, memory },
            )
        })
        .collect())
}

/// Where samples come from.
pub enum Source {
    Api(kube::Client),
    Url {
        http: reqwest::Client,
        url: String,
        token_file: String,
    },
}

impl Source {
    /// The https client for the metrics endpoints: rustls (ring) with the webpki roots, plus
    /// `ca_file` and the in-cluster ServiceAccount CA when present; `verify` false accepts any
    /// certificate (ORIGINAL.md's `VERIFY_CERT=false`).
    pub fn http_client(verify: bool, ca_file: Option<&str>) -> Result<reqwest::Client, Error> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(METRICS_TIMEOUT)
            .danger_accept_invalid_certs(!verify);
        let in_cluster = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
        let mut cas: Vec<String> = ca_file.map(str::to_owned).into_iter().collect();
        if std::path::Path::new(in_cluster).exists() {
            cas.push(in_cluster.to_owned());
        }
        for path in cas {
            let pem = std::fs::read(&path).map_err(|source| Error::ReadCaFile {
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|source| Error::BuildHttpClient { source })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        b.build()
            .map_err(|source| Error::BuildHttpClient { source })
    }

    /// One list of every pod's metrics (narrowed by `selector` when set).
    pub async fn fetch(&self, selector: Option<&str>, now: f64) -> Result<Samples, Error> {
        let query = selector
            .map(|s| format!("?labelSelector={}", encode_query(s)))
            .unwrap_or_default();
        match self {
            Self::Api(client) => {
                let req = http::Request::get(format!("{POD_METRICS_PATH}{query}"))
                    .body(Vec::new())
                    .expect("a valid request");
                let text = client
                    .request_text(req)
                    .await
                    .map_err(|source| Error::ListPodMetrics { source })?;
                decode(text.as_bytes(), "the API server", now)
            }
            Self::Url {
                http,
                url,
                token_file,
            } => {
                let full = format!("{}{POD_METRICS_PATH}{query}", url.trim_end_matches('/'));
                let mut req = http.get(&full);
                match std::fs::read_to_string(token_file) {
                    Ok(token) => req = req.bearer_auth(token.trim()),
                    // Outside a cluster there is no token; metrics-server will say 401 if it
                    // needs one, which names the problem better than failing here.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(Error::ReadToken {
                            path: token_file.clone(),
                            source,
                        });
                    }
                }
                let fetch = |source| Error::FetchMetricsUrl {
                    url: full.clone(),
                    source,
                };
                let resp = req.send().await.map_err(fetch)?;
                if !resp.status().is_success() {
                    return Err(Error::MetricsUrlStatus {
                        url: full.clone(),
                        status: resp.status().as_u16(),
                    });
                }
                let body = resp.bytes().await.map_err(fetch)?;
                decode(&body, &full, now)
            }
        }
    }
}

/// Percent-encode a label selector for a query string (RFC 3986 unreserved characters kept).
fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_metrics_list_decodes_to_working_set_bytes_per_container() {
        let body = br#"{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","items":[
            {"metadata":{"name":"web-1","namespace":"shop"},"timestamp":"2026-01-01T00:00:30Z",
             "window":"15s","containers":[{"name":"app","usage":{"cpu":"9559630n","memory":"22244Ki"}},
             {"name":"bad","usage":{"memory":"lots"}}]}]}"#;
        let s = decode(body, "test", 0.0).unwrap();
        let sample = &s["shop/web-1"];
        assert_eq!(sample.t, 1_767_225_630.0);
        assert_eq!(sample.memory["app"], 22244.0 * 1024.0);
        assert!(
            !sample.memory.contains_key("bad"),
            "unparseable is no sample"
        );
    }

    #[test]
    fn malformed_list_is_a_clear_error() {
        let err = decode(b"<html>", "https://m", 0.0).unwrap_err();
        assert!(matches!(err, Error::DecodePodMetrics { .. }));
        assert!(err.to_string().contains("https://m"));
    }

    #[test]
    fn selectors_are_percent_encoded() {
        assert_eq!(encode_query("app in (a,b)"), "app%20in%20%28a%2Cb%29");
        assert_eq!(encode_query("tier=web"), "tier%3Dweb");
    }
}
