//! What the demo reports, read from the cluster itself so a person can find every figure with
//! kubectl: pods and their `rightsize.dev/admitted` annotation, the Events on them (`Resized`,
//! `OOMKillBump` from the controller, `OOMKilling` from the kubelet), the Deployments' declared
//! sizes (the static baseline), the pods' requests and limits, and PodMetrics for usage.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use rightsize_policy::annotations::ADMITTED;
use rightsize_policy::quantity::Quantity;

use super::workloads::{APP_LABEL, CONTAINER, NAMESPACE};

/// Event reasons counted (controller: `controller/src/events.rs`; kubelet: its OOM Event).
pub const RESIZED: &str = "Resized";
pub const OOM_BUMP: &str = "OOMKillBump";
pub const OOM_KILLING: &str = "OOMKilling";
/// What the webhook's admitted annotation says when the size came from history.
pub const FROM_HISTORY: &str = "from history";

/// Memory of one workload at one moment (largest over its running pods), bytes.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Point {
    pub t: f64,
    pub usage: f64,
    pub request: f64,
    pub limit: f64,
}

/// Everything counted so far.
#[derive(Debug, Default)]
pub struct Tally {
    /// Pods seen (by uid), and those admitted with a size from history.
    pub pods_seen: BTreeSet<String>,
    pub admitted_with_history: BTreeSet<String>,
    pub running: usize,
    pub resizes_up: usize,
    pub resizes_down: usize,
    pub oom_kills: usize,
    pub oom_bumps: usize,
    /// Current sums of memory requests: actual, and as declared in the Deployments.
    pub requested_now: f64,
    pub static_now: f64,
    requested_sum: f64,
    static_sum: f64,
    pub samples: usize,
    /// Per workload: memory over time.
    pub series: BTreeMap<String, Vec<Point>>,
}

impl Tally {
    pub fn requested_avg(&self) -> f64 {
        self.requested_sum / self.samples.max(1) as f64
    }
    pub fn static_avg(&self) -> f64 {
        self.static_sum / self.samples.max(1) as f64
    }
}

fn bytes(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> f64 {
    q.and_then(|q| Quantity::parse(&q.0).ok())
        .map_or(0.0, |q| q.as_f64())
}

/// The memory (request, limit) of the demo container of `pod`'s spec.
fn pod_memory(pod: &Pod) -> (f64, f64) {
    let Some(c) = pod
        .spec
        .iter()
        .flat_map(|s| &s.containers)
        .find(|c| c.name == CONTAINER)
    else {
        return (0.0, 0.0);
    };
    let r = c.resources.as_ref();
    (
        bytes(r.and_then(|r| r.requests.as_ref()?.get("memory"))),
        bytes(r.and_then(|r| r.limits.as_ref()?.get("memory"))),
    )
}

/// Up or down from a `Resized` note: "container app memory: request A, limit B -> request C,
/// limit D (why)" (`controller/src/plan.rs`). `None` when the note has another shape.
pub fn resize_direction(note: &str) -> Option<bool> {
    let (_, change) = note.split_once("memory: ")?;
    let (before, rest) = change.split_once(" -> ")?;
    let after = rest.split(" (").next()?;
    let parse = |s: &str| -> Option<(f64, f64)> {
        let mut it = s.split(", ").map(|p| {
            let q = p.split_whitespace().nth(1).unwrap_or("none");
            Quantity::parse(q).map_or(0.0, |q| q.as_f64())
        });
        Some((it.next()?, it.next()?))
    };
    let (b, a) = (parse(before)?, parse(after)?);
    Some(a.0 > b.0 || a.1 > b.1)
}

/// Reads the cluster once and updates `tally`; `t` is seconds since the workloads were created.
pub async fn sample(client: &kube::Client, tally: &mut Tally, t: f64) -> anyhow::Result<()> {
    let pods = Api::<Pod>::namespaced(client.clone(), NAMESPACE)
        .list(&ListParams::default())
        .await?;
    let deployments = Api::<Deployment>::namespaced(client.clone(), NAMESPACE)
        .list(&ListParams::default())
        .await?;
    let declared: BTreeMap<String, f64> = deployments
        .iter()
        .map(|d| {
            let p = Pod {
                spec: d.spec.as_ref().and_then(|s| s.template.spec.clone()),
                ..Pod::default()
            };
            (
                d.metadata.name.clone().unwrap_or_default(),
                pod_memory(&p).0,
            )
        })
        .collect();
    let usage = usage_by_pod(client).await.unwrap_or_default();
    let (mut requested, mut declared_sum, mut running) = (0.0, 0.0, 0);
    let mut points: BTreeMap<String, Point> = BTreeMap::new();
    for p in &pods {
        let uid = p.metadata.uid.clone().unwrap_or_default();
        tally.pods_seen.insert(uid.clone());
        let annotations = p.metadata.annotations.as_ref();
        if annotations
            .and_then(|a| a.get(ADMITTED))
            .is_some_and(|a| a.contains(FROM_HISTORY))
        {
            tally.admitted_with_history.insert(uid);
        }
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        if phase != Some("Running") || p.metadata.deletion_timestamp.is_some() {
            continue;
        }
        running += 1;
        let app = p
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(APP_LABEL))
            .cloned()
            .unwrap_or_default();
        let (request, limit) = pod_memory(p);
        requested += request;
        declared_sum += declared.get(&app).copied().unwrap_or(request);
        let name = p.metadata.name.clone().unwrap_or_default();
        let point = points.entry(app).or_insert(Point {
            t,
            ..Point::default()
        });
        point.usage = point.usage.max(usage.get(&name).copied().unwrap_or(0.0));
        point.request = point.request.max(request);
        point.limit = point.limit.max(limit);
    }
    for (app, point) in points {
        tally.series.entry(app).or_default().push(point);
    }
    count_events(client, tally).await?;
    tally.running = running;
    tally.requested_now = requested;
    tally.static_now = declared_sum;
    tally.requested_sum += requested;
    tally.static_sum += declared_sum;
    tally.samples += 1;
    Ok(())
}

/// Recounts the Events of the demo namespace (they outlive the pods they are about).
async fn count_events(client: &kube::Client, tally: &mut Tally) -> anyhow::Result<()> {
    let events = Api::<Event>::namespaced(client.clone(), NAMESPACE)
        .list(&ListParams::default())
        .await?;
    let (mut up, mut down, mut kills, mut bumps) = (0, 0, 0, 0);
    for e in &events {
        let note = e.message.as_deref().unwrap_or("");
        match e.reason.as_deref() {
            Some(RESIZED) => match resize_direction(note) {
                Some(true) => up += 1,
                Some(false) => down += 1,
                None => {}
            },
            Some(OOM_BUMP) => bumps += 1,
            Some(OOM_KILLING) => kills += 1,
            _ => {}
        }
    }
    (
        tally.resizes_up,
        tally.resizes_down,
        tally.oom_kills,
        tally.oom_bumps,
    ) = (up, down, kills, bumps);
    Ok(())
}

/// Memory usage of the demo container per pod, from `metrics.k8s.io` PodMetrics.
async fn usage_by_pod(client: &kube::Client) -> anyhow::Result<BTreeMap<String, f64>> {
    let resource = ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "PodMetrics".into(),
        plural: "pods".into(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NAMESPACE, &resource);
    let mut out = BTreeMap::new();
    for m in api.list(&ListParams::default()).await? {
        let name = m.metadata.name.clone().unwrap_or_default();
        let used = m.data["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["name"] == CONTAINER)
            .filter_map(|c| Quantity::parse(c["usage"]["memory"].as_str()?).ok())
            .map(|q| q.as_f64())
            .sum();
        out.insert(name, used);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_notes_tell_up_from_down() {
        let up = "container app memory: request 256Mi, limit 256Mi -> request 400Mi, limit 400Mi (usage grew: peak 250 MiB is near the limit 256 MiB)";
        let down = "container app memory: request 1Gi, limit 1Gi -> request 500Mi, limit 1Gi (usage fell (recent peaks): ...)";
        assert_eq!(resize_direction(up), Some(true));
        assert_eq!(resize_direction(down), Some(false));
        assert_eq!(resize_direction("something else"), None);
    }
}
