//! A kube-state-metrics-compatible endpoint: `GET /metrics` over plain HTTP (kube-state-metrics
//! serves its telemetry without TLS by default), in the Prometheus text format, with the three
//! pod families the controller reads, built from the sim's pods and with kube-state-metrics'
//! label sets (docs/metrics/workload/pod-metrics.md; internal/store/pod.go; see
//! ../shared/reference/kubernetes-api-facts.md §3.2):
//!
//! - `kube_pod_container_resource_requests` and `kube_pod_container_resource_limits`
//!   `{namespace, pod, uid, container, node, resource, unit}`: the spec (desired) resources,
//!   `memory` in `byte`, `cpu` in `core`;
//! - `kube_pod_container_status_last_terminated_reason{namespace, pod, uid, container, reason}`:
//!   1 for the reason of each container's `lastState.terminated`.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;

use crate::quantity;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// The text format's content type (prometheus.io exposition formats).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The families served, with their kube-state-metrics HELP text.
const REQUESTS: &str = "kube_pod_container_resource_requests";
const LIMITS: &str = "kube_pod_container_resource_limits";
const LAST_TERMINATED: &str = "kube_pod_container_status_last_terminated_reason";

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

fn labels(out: &mut String, pairs: &[(&str, &str)]) {
    out.push('{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{k}=\"{}\"", escape(v));
    }
    out.push('}');
}

/// One pod's resource samples of `kind` (`requests` or `limits`) into `out`.
fn resources_of(out: &mut String, family: &str, kind: &str, pod: &Value) {
    let (ns, name) = (
        util::str_at(pod, "metadata.namespace"),
        util::str_at(pod, "metadata.name"),
    );
    let (uid, node) = (
        util::str_at(pod, "metadata.uid"),
        util::str_at(pod, "spec.nodeName"),
    );
    for ct in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let container = util::str_at(ct, "name");
        for (resource, unit) in [("cpu", "core"), ("memory", "byte")] {
            let Some(q) = quantity::at(ct, &format!("/resources/{kind}/{resource}")) else {
                continue;
            };
            let value = if resource == "cpu" {
                q.milli_value() as f64 / 1000.0
            } else {
                q.value() as f64
            };
            out.push_str(family);
            labels(
                out,
                &[
                    ("namespace", ns),
                    ("pod", name),
                    ("uid", uid),
                    ("container", container),
                    ("node", node),
                    ("resource", resource),
                    ("unit", unit),
                ],
            );
            let _ = writeln!(out, " {value}");
        }
    }
}

fn last_terminated_of(out: &mut String, pod: &Value) {
    for st in pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let reason = st
            .pointer("/lastState/terminated/reason")
            .and_then(Value::as_str)
            .unwrap_or("");
        if reason.is_empty() {
            continue;
        }
        out.push_str(LAST_TERMINATED);
        labels(
            out,
            &[
                ("namespace", util::str_at(pod, "metadata.namespace")),
                ("pod", util::str_at(pod, "metadata.name")),
                ("uid", util::str_at(pod, "metadata.uid")),
                ("container", util::str_at(st, "name")),
                ("reason", reason),
            ],
        );
        out.push_str(" 1\n");
    }
}

/// The exposition of every pod, family by family (each family's samples together, as the
/// format requires).
pub(crate) fn render(c: &Cluster) -> String {
    let pods = c.store.list(resources::by_storage("pods"), None).0;
    let mut out = String::with_capacity(pods.len() * 600);
    for (family, kind, help) in [
        (
            REQUESTS,
            "requests",
            "The number of requested request resource by a container.",
        ),
        (
            LIMITS,
            "limits",
            "The number of requested limit resource by a container.",
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {family} [STABLE] {help}\n# TYPE {family} gauge"
        );
        for p in &pods {
            resources_of(&mut out, family, kind, p);
        }
    }
    let _ = writeln!(
        out,
        "# HELP {LAST_TERMINATED} [EXPERIMENTAL] Describes the last reason the container was in terminated state.\n# TYPE {LAST_TERMINATED} gauge"
    );
    for p in &pods {
        last_terminated_of(&mut out, p);
    }
    out
}

async fn metrics(State(c): State<Arc<Cluster>>) -> impl IntoResponse {
    c.requests.count("get", "kube-state-metrics:/metrics");
    ([("content-type", CONTENT_TYPE)], render(&c))
}

/// The endpoint's routes.
pub(crate) fn router(c: Arc<Cluster>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "OK" }))
        .with_state(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;
    use serde_json::json;

    #[test]
    fn pods_render_with_kube_state_metrics_label_sets() {
        let c = Cluster::new(SimConfig::default());
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop"},
            "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "x",
                "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]},
            "status": {"containerStatuses": [{"name": "app", "restartCount": 1,
                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}});
        let stored = c.store.create(resources::by_storage("pods"), pod).unwrap();
        let uid = util::str_at(&stored, "metadata.uid").to_string();
        let text = render(&c);
        let base = format!("namespace=\"shop\",pod=\"web-1\",uid=\"{uid}\",container=\"app\"");
        for line in [
            format!("{REQUESTS}{{{base},node=\"n1\",resource=\"cpu\",unit=\"core\"}} 0.25"),
            format!("{REQUESTS}{{{base},node=\"n1\",resource=\"memory\",unit=\"byte\"}} 67108864"),
            format!("{LIMITS}{{{base},node=\"n1\",resource=\"memory\",unit=\"byte\"}} 134217728"),
            format!("{LAST_TERMINATED}{{{base},reason=\"OOMKilled\"}} 1"),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(
            !text.contains("resource=\"cpu\",unit=\"core\"} 0\n"),
            "no cpu limit, no sample"
        );
        assert_eq!(text.matches("# TYPE").count(), 3);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
