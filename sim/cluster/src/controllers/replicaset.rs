//! ReplicaSet controller: keeps `spec.replicas` pods that the ReplicaSet controls. Pods are built
//! as `controller.GetPodFromTemplate` does (kubernetes `pkg/controller/controller_utils.go`):
//! labels and annotations from the template, `generateName: <rs>-`, no name, no namespace, and
//! a controller ownerReference, then created through the normal create path, so mutating
//! admission webhooks see exactly what they would see in a real cluster. A failed create is
//! reported as a `FailedCreate` Warning Event and retried with backoff.

use serde_json::{Value, json};

use super::common::{Backoff, is_active, is_ready, owned, pod_from_template};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// Pods created per ReplicaSet per pass (the real controller uses slow-start batches).
const CREATE_BURST: i64 = 100;

#[derive(Default)]
pub struct ReplicaSetController {
    /// Retry delays after failed creates, by ReplicaSet uid.
    backoff: Backoff,
}

/// Deletion preference of `kubectl scale down`: unscheduled, then pending, then not ready,
/// then the newest (controller.ActivePods ordering, simplified).
fn deletion_rank(pod: &Value) -> (u8, std::cmp::Reverse<String>) {
    let rank = if util::str_at(pod, "spec.nodeName").is_empty() {
        0
    } else if util::str_at(pod, "status.phase") == "Pending" {
        1
    } else if !is_ready(pod) {
        2
    } else {
        3
    };
    (
        rank,
        std::cmp::Reverse(util::str_at(pod, "metadata.creationTimestamp").to_string()),
    )
}

impl ReplicaSetController {
    pub async fn reconcile_all(&mut self, c: &Cluster) {
        let sets = c.store.list(resources::by_storage("replicasets"), None).0;
        self.backoff.retain(&sets);
        for rs in sets {
            self.reconcile(c, &rs).await;
        }
    }

    async fn reconcile(&mut self, c: &Cluster, rs: &Value) {
        let ns = util::str_at(rs, "metadata.namespace").to_string();
        let name = util::str_at(rs, "metadata.name").to_string();
        let uid = util::str_at(rs, "metadata.uid").to_string();
        let pods_def = resources::by_storage("pods");
        let pods = owned_active_pods(c, &ns, &uid);
        let desired = rs
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let diff = desired - pods.len() as i64;
        if diff > 0 && self.backoff.ready(&uid) {
            for _ in 0..diff.min(CREATE_BURST) {
                let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
                let mut pod = pod_from_template(rs, &template, &[]);
                pod["metadata"]["generateName"] = json!(format!("{name}-"));
                match c.create(pods_def, &ns, pod).await {
                    Ok(p) => {
                        self.backoff.succeeded(&uid);
                        c.record_event(
                            rs,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("Created pod: {}", util::str_at(&p, "metadata.name")),
                            "replicaset-controller",
                        );
                    }
                    Err(e) => {
                        self.backoff.failed(&uid);
                        c.record_event(
                            rs,
                            "Warning",
                            "FailedCreate",
                            &format!("Error creating: {}", e.message),
                            "replicaset-controller",
                        );
                        break;
                    }
                }
            }
        } else if diff < 0 {
            let mut victims = pods.clone();
            victims.sort_by_key(|p| deletion_rank(p));
            for p in victims.iter().take((-diff) as usize) {
                let pname = util::str_at(p, "metadata.name");
                if c.delete(pods_def, &ns, pname, None).is_ok() {
                    c.record_event(
                        rs,
                        "Normal",
                        "SuccessfulDelete",
                        &format!("Deleted pod: {pname}"),
                        "replicaset-controller",
                    );
                }
            }
        }
        let pods = owned_active_pods(c, &ns, &uid);
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        let generation = rs
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        let _ = c.internal_update("replicasets", &ns, &name, |o| {
            o["status"] = json!({
                "replicas": pods.len(),
                "fullyLabeledReplicas": pods.len(),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": generation,
            });
        });
    }
}

/// The active pods in `ns` controlled by the ReplicaSet with `uid`.
fn owned_active_pods(c: &Cluster, ns: &str, uid: &str) -> Vec<std::sync::Arc<Value>> {
    let mut pods = owned(c, "pods", ns, uid);
    pods.retain(|p| is_active(p));
    pods
}
