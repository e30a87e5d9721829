//! StatefulSet controller (kubernetes `pkg/controller/statefulset`): pods named
//! `<set>-<ordinal>` (an explicit name, no `generateName`), labelled
//! `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
//! `controller-revision-hash` (the ControllerRevision's name), with `hostname` and, when
//! `serviceName` is set, `subdomain` (`newStatefulSetPod`, `updateIdentity`).
//!
//! `OrderedReady` (the default) creates ordinal N only once 0..N-1 are Running and Ready and
//! removes the highest ordinal first, one per pass; `Parallel` creates and removes all at once.
//! A template change rolls pods of the old revision from the highest ordinal down, one at a
//! time while every pod is Ready (`RollingUpdate` without partition). PersistentVolumeClaim
//! templates are not simulated.

use serde_json::{Value, json};

use super::common::{
    Backoff, delete_recorded, is_active, is_ready, label, owned, pod_from_template,
};
use super::revision;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// `StatefulSetPodNameLabel`, `PodIndexLabel`, `StatefulSetRevisionLabel`.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// Events' reporting component.
const COMPONENT: &str = "statefulset-controller";

#[derive(Default)]
pub struct StatefulSetController {
    backoff: Backoff,
}

/// The ordinal of a pod of set `name` (`getParentNameAndOrdinal`).
fn ordinal(name: &str, pod: &Value) -> Option<i64> {
    util::str_at(pod, "metadata.name")
        .strip_prefix(name)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

impl StatefulSetController {
    pub async fn reconcile_all(&mut self, c: &Cluster) {
        let sets = c.store.list(resources::by_storage("statefulsets"), None).0;
        self.backoff.retain(&sets);
        for s in sets {
            if let Err(e) = self.reconcile(c, &s).await {
                tracing::debug!(error = %e, statefulset = util::str_at(&s, "metadata.name"), "statefulset reconcile failed");
            }
        }
    }

    async fn reconcile(&mut self, c: &Cluster, set: &Value) -> crate::error::ApiResult<()> {
        let ns = util::str_at(set, "metadata.namespace");
        let name = util::str_at(set, "metadata.name");
        let uid = util::str_at(set, "metadata.uid");
        let replicas = set
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let parallel = util::str_at(set, "spec.podManagementPolicy") == "Parallel";
        let (rev, _) = revision::ensure(c, set).await?;
        let pods_def = resources::by_storage("pods");
        let mut pods: Vec<(i64, std::sync::Arc<Value>)> = owned(c, "pods", ns, uid)
            .into_iter()
            .filter(|p| is_active(p))
            .filter_map(|p| Some((ordinal(name, &p)?, p)))
            .collect();
        pods.sort_by_key(|(i, _)| *i);
        let running_ready = |p: &Value| util::str_at(p, "status.phase") == "Running" && is_ready(p);
        // Scale down: highest ordinal first.
        let mut extra: Vec<&(i64, std::sync::Arc<Value>)> =
            pods.iter().filter(|(i, _)| *i >= replicas).collect();
        extra.reverse();
        for (_, p) in extra
            .into_iter()
            .take(if parallel { usize::MAX } else { 1 })
        {
            let msg = format!(
                "delete Pod {} in StatefulSet {name} successful",
                util::str_at(p, "metadata.name")
            );
            delete_recorded(c, set, "pods", p, &msg, COMPONENT);
        }
        // Scale up in order.
        if self.backoff.ready(uid) {
            for i in 0..replicas {
                if pods.iter().any(|(o, _)| *o == i) {
                    continue;
                }
                if !parallel
                    && !pods
                        .iter()
                        .filter(|(o, _)| *o < i)
                        .all(|(_, p)| running_ready(p))
                {
                    break;
                }
                let pname = format!("{name}-{i}");
                let template = set.pointer("/spec/template").cloned().unwrap_or(json!({}));
                let labels = [
                    (POD_NAME_LABEL, pname.clone()),
                    (POD_INDEX_LABEL, i.to_string()),
                    (REVISION_LABEL, rev.clone()),
                ];
                let mut pod = pod_from_template(set, &template, &labels);
                pod["metadata"]["name"] = json!(pname);
                pod["spec"]["hostname"] = json!(pname);
                let service = util::str_at(set, "spec.serviceName");
                if !service.is_empty() {
                    pod["spec"]["subdomain"] = json!(service);
                }
                match c.create(pods_def, ns, pod).await {
                    Ok(_) => {
                        self.backoff.succeeded(uid);
                        c.record_event(
                            set,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("create Pod {pname} in StatefulSet {name} successful"),
                            "statefulset-controller",
                        );
                    }
                    Err(e) => {
                        self.backoff.failed(uid);
                        c.record_event(
                            set,
                            "Warning",
                            "FailedCreate",
                            &format!(
                                "create Pod {pname} in StatefulSet {name} failed error: {}",
                                e.message
                            ),
                            "statefulset-controller",
                        );
                        break;
                    }
                }
                if !parallel {
                    break;
                }
            }
        }
        // Rolling update: once all are Ready, replace the highest-ordinal pod of an old revision.
        let current: Vec<_> = pods.iter().filter(|(i, _)| *i < replicas).collect();
        if current.len() as i64 == replicas
            && current.iter().all(|(_, p)| running_ready(p))
            && let Some((_, old)) = current
                .iter()
                .rev()
                .find(|(_, p)| label(p, REVISION_LABEL) != rev)
        {
            let msg = format!(
                "delete Pod {} in StatefulSet {name} successful",
                util::str_at(old, "metadata.name")
            );
            delete_recorded(c, set, "pods", old, &msg, COMPONENT);
        }
        let pods: Vec<_> = owned(c, "pods", ns, uid)
            .into_iter()
            .filter(|p| is_active(p))
            .collect();
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let updated = pods
            .iter()
            .filter(|p| label(p, REVISION_LABEL) == rev)
            .count();
        let generation = set
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        c.internal_update("statefulsets", ns, name, |o| {
            o["status"] = json!({
                "observedGeneration": generation, "replicas": pods.len(), "readyReplicas": ready,
                "currentReplicas": updated, "updatedReplicas": updated, "availableReplicas": ready,
                "currentRevision": rev, "updateRevision": rev, "collisionCount": 0,
            });
        })?;
        Ok(())
    }
}
