//! `metrics.k8s.io/v1beta1`: PodMetrics and NodeMetrics computed from the kubelet's container
//! usage, in metrics-server's shapes (kubernetes/metrics `pkg/apis/metrics/v1beta1/types.go`):
//! memory is the working set (bytes, printed in Ki), cpu in nanocores, `window` the metrics
//! resolution.

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::error::{ApiError, ApiResult};
use crate::registry::ListOptions;
use crate::resources::{self, ResourceDef};
use crate::util;

fn mem_q(bytes: f64) -> String {
    format!("{}Ki", (bytes / 1024.0).round() as i128)
}

fn cpu_q(milli: f64) -> String {
    format!("{}n", (milli * 1_000_000.0).round() as i128)
}

impl Cluster {
    fn pod_metrics(&self, pod: &Value) -> Option<Value> {
        if util::str_at(pod, "status.phase") != "Running" {
            return None;
        }
        let rts = self.kubelet.pods();
        let rt = rts.get(util::str_at(pod, "metadata.uid"))?;
        let containers: Vec<Value> = super::containers(pod)
            .filter_map(|ct| {
                let name = util::str_at(ct, "name");
                let r = rt.get(name)?;
                let cpu = if r.waiting_until.is_some() {
                    0.0
                } else {
                    r.cpu_milli
                };
                Some(json!({"name": name, "usage": {"cpu": cpu_q(cpu), "memory": mem_q(r.usage)}}))
            })
            .collect();
        Some(json!({
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                "labels": pod["metadata"].get("labels").cloned().unwrap_or(json!({})), "creationTimestamp": util::now_rfc3339()},
            "timestamp": util::now_rfc3339(),
            "window": format!("{}s", self.config.metrics_window.as_secs()),
            "containers": containers,
        }))
    }

    fn node_metrics(&self, node: &Value, pods: &[std::sync::Arc<Value>]) -> Value {
        let name = util::str_at(node, "metadata.name");
        let (mut cpu, mut mem) = (0.0, 0.0);
        let rts = self.kubelet.pods();
        for p in pods
            .iter()
            .filter(|p| util::str_at(p, "spec.nodeName") == name)
        {
            for r in rts
                .get(util::str_at(p, "metadata.uid"))
                .into_iter()
                .flat_map(|m| m.values())
            {
                cpu += r.cpu_milli;
                mem += r.usage;
            }
        }
        json!({
            "kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "labels": node["metadata"].get("labels").cloned().unwrap_or(json!({})), "creationTimestamp": util::now_rfc3339()},
            "timestamp": util::now_rfc3339(),
            "window": format!("{}s", self.config.metrics_window.as_secs()),
            "usage": {"cpu": cpu_q(cpu), "memory": mem_q(mem)},
        })
    }

    /// GET/LIST of `metrics.k8s.io/v1beta1` pods or nodes.
    pub(crate) fn metrics(
        &self,
        def: &'static ResourceDef,
        ns: Option<&str>,
        name: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<Value> {
        let pods = self.store.list(resources::by_storage("pods"), ns).0;
        let items: Vec<Value> = if def.plural == "pods" {
            pods.iter()
                .filter(|p| name.is_none_or(|n| util::str_at(p, "metadata.name") == n))
                .filter(|p| opts.labels.matches_object(p) && opts.fields.matches(p))
                .filter_map(|p| self.pod_metrics(p))
                .collect()
        } else {
            let all_pods = self.store.list(resources::by_storage("pods"), None).0;
            self.store
                .list(resources::by_storage("nodes"), None)
                .0
                .iter()
                .filter(|n| name.is_none_or(|x| util::str_at(n, "metadata.name") == x))
                .filter(|n| opts.labels.matches_object(n))
                .map(|n| self.node_metrics(n, &all_pods))
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
}
