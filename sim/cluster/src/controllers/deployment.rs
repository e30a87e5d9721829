//! Deployment controller: one ReplicaSet per pod template, named `<deployment>-<hash>` with the
//! `pod-template-hash` label (kubernetes `pkg/controller/deployment/util`), the current one scaled
//! to `spec.replicas` and older ones to zero, and the Deployment status rolled up from them.
//!
//! Simplification: the switch to a new template scales the old ReplicaSets to zero at once
//! instead of stepping by maxSurge/maxUnavailable; the end state is the same.

use serde_json::{Value, json};

use super::{controlled_by, controller_ref};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// apimachinery `rand.SafeEncodeString` alphabet: no vowels, so hashes never form words.
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// FNV-32a over the template's JSON, encoded as the real controller encodes `ComputeHash`.
pub fn template_hash(template: &Value) -> String {
    let bytes = serde_json::to_vec(template).unwrap_or_default();
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

pub async fn reconcile_all(c: &Cluster) {
    let deploys = c.store.list(resources::by_storage("deployments"), None).0;
    for d in deploys {
        if let Err(e) = reconcile(c, &d).await {
            tracing::debug!(error = %e, deployment = util::str_at(&d, "metadata.name"), "deployment reconcile failed");
        }
    }
}

async fn reconcile(c: &Cluster, d: &Value) -> Result<(), crate::error::ApiError> {
    let ns = util::str_at(d, "metadata.namespace").to_string();
    let name = util::str_at(d, "metadata.name").to_string();
    let uid = util::str_at(d, "metadata.uid").to_string();
    let rs_def = resources::by_storage("replicasets");
    let desired = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let template = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = template_hash(&template);
    let new_name = format!("{name}-{hash}");
    let owned: Vec<_> = c
        .store
        .list(rs_def, Some(&ns))
        .0
        .into_iter()
        .filter(|rs| controlled_by(rs, &uid))
        .collect();

    if !owned
        .iter()
        .any(|rs| util::str_at(rs, "metadata.name") == new_name)
    {
        let mut tpl = template.clone();
        util::obj_entry(util::obj_entry(&mut tpl, "metadata"), "labels")["pod-template-hash"] =
            json!(hash);
        let mut selector = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
        util::obj_entry(&mut selector, "matchLabels")["pod-template-hash"] = json!(hash);
        let revision = owned.len() + 1;
        let rs = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": new_name,
                "labels": tpl["metadata"]["labels"],
                "annotations": {"deployment.kubernetes.io/revision": revision.to_string(),
                    "deployment.kubernetes.io/desired-replicas": desired.to_string()},
                "ownerReferences": [controller_ref(d)],
            },
            "spec": {"replicas": desired, "selector": selector, "template": tpl},
        });
        c.create(rs_def, &ns, rs).await?;
        c.record_event(
            d,
            "Normal",
            "ScalingReplicaSet",
            &format!("Scaled up replica set {new_name} from 0 to {desired}"),
            "deployment-controller",
        );
    }
    let mut total = 0;
    let mut ready = 0;
    let mut updated = 0;
    for rs in c
        .store
        .list(rs_def, Some(&ns))
        .0
        .into_iter()
        .filter(|rs| controlled_by(rs, &uid))
    {
        let rs_name = util::str_at(&rs, "metadata.name").to_string();
        let want = if rs_name == new_name { desired } else { 0 };
        let have = rs
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if have != want {
            c.internal_update("replicasets", &ns, &rs_name, |o| {
                o["spec"]["replicas"] = json!(want)
            })?;
            let verb = if want > have { "up" } else { "down" };
            c.record_event(
                d,
                "Normal",
                "ScalingReplicaSet",
                &format!("Scaled {verb} replica set {rs_name} from {have} to {want}"),
                "deployment-controller",
            );
        }
        let r = rs
            .pointer("/status/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let rd = rs
            .pointer("/status/readyReplicas")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        total += r;
        ready += rd;
        if rs_name == new_name {
            updated = r;
        }
    }
    let generation = d
        .pointer("/metadata/generation")
        .cloned()
        .unwrap_or(json!(1));
    let available = if ready >= desired { "True" } else { "False" };
    c.internal_update("deployments", &ns, &name, |o| {
        let prev = o.get("status").cloned().unwrap_or(json!({}));
        let mut status = json!({
            "observedGeneration": generation,
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": (desired - ready).max(0),
            "conditions": [
                {"type": "Available", "status": available, "reason": if available == "True" { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" }},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet {new_name:?} has successfully progressed.")},
            ],
        });
        // Keep transition times stable when nothing changed, so status writes stay no-ops.
        for (i, cond) in status["conditions"].as_array_mut().into_iter().flatten().enumerate() {
            let old = prev.pointer(&format!("/conditions/{i}"));
            let same = old.is_some_and(|o| o["status"] == cond["status"]);
            let t = old.filter(|_| same).and_then(|o| o.get("lastTransitionTime")).cloned().unwrap_or(json!(util::now_rfc3339()));
            cond["lastTransitionTime"] = t.clone();
            cond["lastUpdateTime"] = t;
        }
        o["status"] = status;
    })?;
    Ok(())
}
