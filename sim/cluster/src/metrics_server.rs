//! The simulated metrics-server: `metrics.k8s.io/v1beta1` PodMetrics and NodeMetrics built from
//! the container usage the kubelet last published (`state::UsageBoard`, as metrics-server
//! scrapes each kubelet's summary API), in metrics-server's shapes (kubernetes/metrics `pkg/apis/metrics/v1beta1/types.go`):
//! memory is the working set (bytes, printed in Ki), cpu in nanocores, `window` the metrics
//! resolution.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::registry::ListOptions;
use crate::resources::{self, ResourceDef};
use crate::state::{Cluster, PodUsage};
use crate::util;

fn mem_q(bytes: f64) -> String {
    format!("{}Ki", (bytes / 1024.0).round() as i128)
}

fn cpu_q(milli: f64) -> String {
    format!("{}n", (milli * 1_000_000.0).round() as i128)
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn pod_metrics(c: &Cluster, usage: &PodUsage, pod: &Value) -> Option<Value> {
    if util::str_at(pod, "status.phase") != "Running" {
        return None;
    }
    let rt = usage.get(util::str_at(pod, "metadata.uid"))?;
    let containers: Vec<Value> = containers(pod)
            .filter_map(|ct| {
                let name = util::str_at(ct, "name");
                let r = rt.get(name)?;
                Some(json!({"name": name, "usage": {"cpu": cpu_q(r.cpu_milli), "memory": mem_q(r.memory_bytes)}}))
            })
            .collect();
    Some(json!({
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
            "labels": pod["metadata"].get("labels").cloned().unwrap_or(json!({})), "creationTimestamp": util::now_rfc3339()},
        "timestamp": util::now_rfc3339(),
        "window": format!("{}s", c.config.metrics_window.as_secs()),
        "containers": containers,
    }))
}

fn node_metrics(
    c: &Cluster,
    usage: &PodUsage,
    node: &Value,
    pods: &[std::sync::Arc<Value>],
) -> Value {
    let name = util::str_at(node, "metadata.name");
    let (mut cpu, mut mem) = (0.0, 0.0);
    for p in pods
        .iter()
        .filter(|p| util::str_at(p, "spec.nodeName") == name)
    {
        for r in usage
            .get(util::str_at(p, "metadata.uid"))
            .into_iter()
            .flat_map(|m| m.values())
        {
            cpu += r.cpu_milli;
            mem += r.memory_bytes;
        }
    }
    json!({
        "kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": name, "labels": node["metadata"].get("labels").cloned().unwrap_or(json!({})), "creationTimestamp": util::now_rfc3339()},
        "timestamp": util::now_rfc3339(),
        "window": format!("{}s", c.config.metrics_window.as_secs()),
        "usage": {"cpu": cpu_q(cpu), "memory": mem_q(mem)},
    })
}

/// GET/LIST of `metrics.k8s.io/v1beta1` pods or nodes.
pub(crate) fn serve(
    c: &Cluster,
    def: &'static ResourceDef,
    ns: Option<&str>,
    name: Option<&str>,
    opts: &ListOptions,
) -> ApiResult<Value> {
    let pods = c.store.list(resources::by_storage("pods"), ns).0;
    let usage = c.usage.read();
    let items: Vec<Value> = if def.plural == "pods" {
        pods.iter()
            .filter(|p| name.is_none_or(|n| util::str_at(p, "metadata.name") == n))
            .filter(|p| opts.labels.matches_object(p) && opts.fields.matches(p))
            .filter_map(|p| pod_metrics(c, &usage, p))
            .collect()
    } else {
        let all_pods = c.store.list(resources::by_storage("pods"), None).0;
        c.store
            .list(resources::by_storage("nodes"), None)
            .0
            .iter()
            .filter(|n| name.is_none_or(|x| util::str_at(n, "metadata.name") == x))
            .filter(|n| opts.labels.matches_object(n))
            .map(|n| node_metrics(c, &usage, n, &all_pods))
            .collect()
    };
    if let Some(n) = name {
        return items
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found(def.group, def.plural, n));
    }
    Ok(def.list_object(json!({}), items))
}
