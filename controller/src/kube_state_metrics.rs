//! kube-state-metrics input (`KUBE_STATE_METRICS_URL`): one GET of its Prometheus text per
//! cycle, parsed with the prometheus-parse crate, read for two things (kube-state-metrics
//! `docs/metrics/workload/pod-metrics.md` and `internal/store/pod.go`; label sets in
//! ../shared/reference/kubernetes-api-facts.md §3.2):
//!
//! - OOM kills the pod watch may have missed (across a watch outage or a controller restart):
//!   `kube_pod_container_status_last_terminated_reason{namespace,pod,uid,container,reason="OOMKilled"}`.
//!   A kill the cached pod status already shows is the watch's to handle (or was handled), so
//!   only a container whose cached status shows no OOM kill at all is bumped from here, with the
//!   marker the watch would give it, so the watch event that follows is not bumped again.
//! - Memory requests and limits (`kube_pod_container_resource_requests` / `_limits`,
//!   `resource="memory"`, `unit="byte"`) as a cross-check only: kube-state-metrics reports the
//!   spec (desired) resources, while the controller sizes from the actual ones in
//!   `status.containerStatuses[].resources`. A disagreement with the pod's spec as the watch
//!   shows it is logged and counted, never acted on.
//!
//! prometheus-parse reads label values as written (no escapes, no commas inside values): the
//! labels read here are Kubernetes names and reasons, which hold neither.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use rightsize_policy::quantity::Quantity;

use crate::context::Context;
use crate::error::Error;
use crate::oom::{self, OOM_KILLED, OomKill};
use crate::pods::{self, Mode};

/// Where kube-state-metrics serves its text when the URL names no path.
pub const METRICS_PATH: &str = "/metrics";
pub const REQUESTS: &str = "kube_pod_container_resource_requests";
pub const LIMITS: &str = "kube_pod_container_resource_limits";
pub const LAST_TERMINATED: &str = "kube_pod_container_status_last_terminated_reason";
/// Who reported a kill found here (Event notes, logs).
pub const REPORTER: &str = "kube-state-metrics";

/// A container as kube-state-metrics names it: `namespace/pod`, container, and the pod UID
/// when the series carries one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    pub pod: String,
    pub container: String,
}

/// Memory request and limit (bytes) of a container's spec, as reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpecMemory {
    pub request: Option<f64>,
    pub limit: Option<f64>,
}

/// What one read says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Containers whose last termination was an OOM kill, with the pod UID when given.
    pub oom_killed: Vec<(ContainerRef, Option<String>)>,
    /// Spec memory by container.
    pub memory: HashMap<ContainerRef, SpecMemory>,
}

/// Parse kube-state-metrics text. A body without any of the three pod families is not
/// kube-state-metrics (an error page, a wrong URL): a clear error, not an empty report.
pub fn parse(text: &str, from: &str) -> Result<Report, Error> {
    let invalid = |msg: String| Error::ParseKubeStateMetrics {
        url: from.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, msg),
    };
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).map_err(
        |source| Error::ParseKubeStateMetrics {
            url: from.to_owned(),
            source,
        },
    )?;
    let families = [REQUESTS, LIMITS, LAST_TERMINATED];
    let known = |m: &str| families.contains(&m);
    if !scrape.docs.keys().any(|m| known(m)) && !scrape.samples.iter().any(|s| known(&s.metric)) {
        return Err(invalid(format!(
            "none of {} found: is this kube-state-metrics?",
            families.join(", ")
        )));
    }
    let mut report = Report::default();
    for s in &scrape.samples {
        let value = match s.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            _ => continue,
        };
        let (Some(ns), Some(pod), Some(container)) = (
            s.labels.get("namespace"),
            s.labels.get("pod"),
            s.labels.get("container"),
        ) else {
            continue;
        };
        let c = ContainerRef {
            pod: format!("{ns}/{pod}"),
            container: container.to_owned(),
        };
        match s.metric.as_str() {
            LAST_TERMINATED if value > 0.0 && s.labels.get("reason") == Some(OOM_KILLED) => {
                report
                    .oom_killed
                    .push((c, s.labels.get("uid").map(str::to_owned)));
            }
            m @ (REQUESTS | LIMITS)
                if s.labels.get("resource") == Some("memory")
                    && s.labels.get("unit") == Some("byte") =>
            {
                let e = report.memory.entry(c).or_default();
                if m == REQUESTS {
                    e.request = Some(value);
                } else {
                    e.limit = Some(value);
                }
            }
            _ => {}
        }
    }
    Ok(report)
}

/// The kube-state-metrics endpoint.
pub struct Endpoint {
    http: reqwest::Client,
    url: String,
}

impl Endpoint {
    /// `url` as configured; without a path, kube-state-metrics' `/metrics`.
    pub fn new(http: reqwest::Client, url: &str) -> Self {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let url = if rest.contains('/') {
            url.to_owned()
        } else {
            format!("{url}{METRICS_PATH}")
        };
        Self { http, url }
    }

    /// One GET, parsed.
    pub async fn fetch(&self) -> Result<Report, Error> {
        let fetch = |source| Error::FetchKubeStateMetrics {
            url: self.url.clone(),
            source,
        };
        let resp = self.http.get(&self.url).send().await.map_err(fetch)?;
        if !resp.status().is_success() {
            return Err(Error::KubeStateMetricsStatus {
                url: self.url.clone(),
                status: resp.status().as_u16(),
            });
        }
        let text = resp.text().await.map_err(fetch)?;
        parse(&text, &self.url)
    }
}

/// Spec memory of container `name` as the cached pod shows it.
fn spec_memory(pod: &Pod, name: &str) -> Option<SpecMemory> {
    let c = pod
        .spec
        .as_ref()?
        .containers
        .iter()
        .find(|c| c.name == name)?;
    let get = |m: Option<&std::collections::BTreeMap<String, _>>| {
        m.and_then(|m| m.get("memory"))
            .and_then(|q| Quantity::try_from(q).ok())
            .map(|q| q.as_f64())
    };
    let r = c.resources.as_ref();
    Some(SpecMemory {
        request: get(r.and_then(|r| r.requests.as_ref())),
        limit: get(r.and_then(|r| r.limits.as_ref())),
    })
}

/// The kill a report shows that the cached pod does not: the container has a status, and that
/// status shows no OOM kill. Its marker is the restart the kill produced.
pub fn missed_kill(pod: &Pod, container: &str) -> Option<OomKill> {
    if oom::kills(pod).iter().any(|k| k.container == container) {
        return None;
    }
    let st = pods::status_of(pod, container)?;
    Some(OomKill {
        container: container.to_owned(),
        init: false,
        marker: st.restart_count + 1,
        final_: false,
        at: None,
        reported_by: Some(REPORTER),
    })
}

/// Cross-check the managed pods' spec memory, and bump kills the watch has not shown.
pub async fn apply(ctx: &Context, report: &Report, managed: &[(Arc<Pod>, Mode)], t: f64) {
    let by_key: HashMap<String, &(Arc<Pod>, Mode)> =
        managed.iter().map(|m| (pods::key(&m.0), m)).collect();
    for (c, reported) in &report.memory {
        let Some((pod, _)) = by_key.get(&c.pod) else {
            continue;
        };
        let Some(ours) = spec_memory(pod, &c.container) else {
            continue;
        };
        if ours != *reported {
            ctx.metrics.kube_state_metrics_mismatch();
            tracing::info!(pod = %c.pod, container = %c.container, ?reported, spec = ?ours,
                "kube-state-metrics disagrees with the pod's spec (not acted on)");
        }
    }
    for (c, uid) in &report.oom_killed {
        let Some((pod, mode)) = by_key.get(&c.pod) else {
            continue;
        };
        if uid.as_ref().is_some_and(|u| Some(u) != pod.uid().as_ref()) {
            continue;
        }
        let Some(kill) = missed_kill(pod, &c.container) else {
            continue;
        };
        let claimed = {
            let mut st = ctx.state();
            let handled = st
                .oom_handled
                .entry(pod.uid().unwrap_or_default())
                .or_insert_with(|| {
                    pods::parse_pairs(pod.annotations().get(pods::OOM_HANDLED_ANNOTATION))
                });
            oom::claim(handled, &kill)
        };
        if !claimed {
            continue;
        }
        ctx.metrics.kube_state_metrics_oom_kill();
        tracing::info!(pod = %c.pod, container = %c.container, "OOM kill reported by kube-state-metrics, not yet shown by the pod watch");
        crate::watch::handle_kills(ctx, pod, *mode, &[kill], t).await;
    }
}

#[cfg(test)]
mod tests;
