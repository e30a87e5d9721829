//! DaemonSet controller (kubernetes `pkg/controller/daemon`): one pod per schedulable node
//! (`spec.unschedulable` not set), created with `generateName: <ds>-` and pinned to its node by
//! the required node affinity the real controller sets (`matchFields` on `metadata.name`,
//! `util.ReplaceDaemonSetPodNodeNameNodeAffinity`), which the sim's scheduler honours, and the
//! node-condition tolerations (`AddOrUpdateDaemonPodTolerations`). Pods
//! carry `controller-revision-hash` (the template hash) and `pod-template-generation` (the
//! DaemonSet's generation). A pod whose node is gone is deleted; a template change replaces one
//! old pod per pass (`RollingUpdate`, `maxUnavailable: 1`).

use std::sync::Arc;

use serde_json::{Value, json};

use super::common::{
    Backoff, delete_recorded, is_active, is_ready, label, owned, pod_from_template,
};
use super::revision;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// `DefaultDaemonSetUniqueLabelKey`, `DaemonSetTemplateGenerationKey`.
pub const REVISION_LABEL: &str = "controller-revision-hash";
pub const GENERATION_LABEL: &str = "pod-template-generation";

#[derive(Default)]
pub struct DaemonSetController {
    backoff: Backoff,
}

/// The node a daemon pod is for: its binding, else its node affinity's `metadata.name`.
pub fn target_node(pod: &Value) -> &str {
    let bound = util::str_at(pod, "spec.nodeName");
    if !bound.is_empty() {
        return bound;
    }
    pod.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The tolerations `util.AddOrUpdateDaemonPodTolerations` adds to every daemon pod, so node
/// conditions never evict or block it.
fn add_tolerations(spec: &mut Value) {
    let wanted = [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    let list = util::obj_entry(spec, "tolerations");
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list.as_array_mut().expect("made an array");
    for (key, effect) in wanted {
        if !list
            .iter()
            .any(|t| t["key"] == key && t["effect"] == effect)
        {
            list.push(json!({"key": key, "operator": "Exists", "effect": effect}));
        }
    }
}

fn affinity(node: &str) -> Value {
    json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}})
}

impl DaemonSetController {
    pub async fn reconcile_all(&mut self, c: &Cluster) {
        let sets = c.store.list(resources::by_storage("daemonsets"), None).0;
        self.backoff.retain(&sets);
        if sets.is_empty() {
            return;
        }
        let nodes: Vec<String> = c
            .store
            .list(resources::by_storage("nodes"), None)
            .0
            .iter()
            .filter(|n| n.pointer("/spec/unschedulable") != Some(&json!(true)))
            .map(|n| util::str_at(n, "metadata.name").to_string())
            .collect();
        for ds in sets {
            if let Err(e) = self.reconcile(c, &ds, &nodes).await {
                tracing::debug!(error = %e, daemonset = util::str_at(&ds, "metadata.name"), "daemonset reconcile failed");
            }
        }
    }

    async fn reconcile(
        &mut self,
        c: &Cluster,
        ds: &Value,
        nodes: &[String],
    ) -> crate::error::ApiResult<()> {
        let ns = util::str_at(ds, "metadata.namespace");
        let name = util::str_at(ds, "metadata.name");
        let uid = util::str_at(ds, "metadata.uid");
        let (_, hash) = revision::ensure(c, ds).await?;
        let generation = ds
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let pods_def = resources::by_storage("pods");
        let pods: Vec<Arc<Value>> = owned(c, "pods", ns, uid)
            .into_iter()
            .filter(|p| is_active(p))
            .collect();
        let mut deleted = false;
        for p in pods
            .iter()
            .filter(|p| !nodes.iter().any(|n| n == target_node(p)))
        {
            deleted |= self.delete(c, ds, p);
        }
        if self.backoff.ready(uid) {
            for node in nodes
                .iter()
                .filter(|n| !pods.iter().any(|p| target_node(p) == n.as_str()))
            {
                let template = ds.pointer("/spec/template").cloned().unwrap_or(json!({}));
                let labels = [
                    (REVISION_LABEL, hash.clone()),
                    (GENERATION_LABEL, generation.to_string()),
                ];
                let mut pod = pod_from_template(ds, &template, &labels);
                pod["metadata"]["generateName"] = json!(format!("{name}-"));
                pod["spec"]["affinity"] = affinity(node);
                add_tolerations(&mut pod["spec"]);
                match c.create(pods_def, ns, pod).await {
                    Ok(p) => {
                        self.backoff.succeeded(uid);
                        c.record_event(
                            ds,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("Created pod: {}", util::str_at(&p, "metadata.name")),
                            "daemonset-controller",
                        );
                    }
                    Err(e) => {
                        self.backoff.failed(uid);
                        c.record_event(
                            ds,
                            "Warning",
                            "FailedCreate",
                            &format!("Error creating: {}", e.message),
                            "daemonset-controller",
                        );
                        break;
                    }
                }
            }
        }
        // Rolling update, maxUnavailable 1: replace one old pod while all are Ready.
        if !deleted
            && pods.iter().all(|p| is_ready(p))
            && let Some(old) = pods.iter().find(|p| label(p, REVISION_LABEL) != hash)
        {
            self.delete(c, ds, old);
        }
        let pods: Vec<Arc<Value>> = owned(c, "pods", ns, uid)
            .into_iter()
            .filter(|p| is_active(p))
            .collect();
        let scheduled = pods
            .iter()
            .filter(|p| !util::str_at(p, "spec.nodeName").is_empty())
            .count();
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let updated = pods
            .iter()
            .filter(|p| label(p, REVISION_LABEL) == hash)
            .count();
        c.internal_update("daemonsets", ns, name, |o| {
            o["status"] = json!({
                "observedGeneration": generation, "desiredNumberScheduled": nodes.len(),
                "currentNumberScheduled": scheduled, "numberMisscheduled": 0, "numberReady": ready,
                "numberAvailable": ready, "updatedNumberScheduled": updated,
                "numberUnavailable": nodes.len().saturating_sub(ready),
            });
        })?;
        Ok(())
    }

    fn delete(&self, c: &Cluster, ds: &Value, pod: &Value) -> bool {
        let msg = format!("Deleted pod: {}", util::str_at(pod, "metadata.name"));
        delete_recorded(c, ds, "pods", pod, &msg, "daemonset-controller")
    }
}
