//! The simulated controller manager: the Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
//! CronJob, resource quota and disruption (PDB status) controllers, run as one loop that wakes
//! on any store change (debounced to the configured tick) or at least once a second.

mod common;
mod cronjob;
mod daemonset;
mod deployment;
mod job;
mod pdb;
mod quota;
mod replicaset;
mod revision;
mod statefulset;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::state::Cluster;
use crate::util;

/// Upper bound between two passes when nothing changes (resyncs like the real controllers').
const RESYNC: Duration = Duration::from_secs(1);

/// Start the controller loop.
pub fn spawn(cluster: Arc<Cluster>) -> Vec<JoinHandle<()>> {
    vec![tokio::spawn(async move {
        let mut changes = cluster.store.subscribe();
        let mut rs = replicaset::ReplicaSetController::default();
        let mut sts = statefulset::StatefulSetController::default();
        let mut ds = daemonset::DaemonSetController::default();
        let mut jobs = job::JobController::default();
        let mut cronjobs = cronjob::CronJobController::default();
        loop {
            deployment::reconcile_all(&cluster).await;
            rs.reconcile_all(&cluster).await;
            sts.reconcile_all(&cluster).await;
            ds.reconcile_all(&cluster).await;
            cronjobs.reconcile_all(&cluster).await;
            jobs.reconcile_all(&cluster).await;
            quota::reconcile_all(&cluster);
            pdb::reconcile_all(&cluster);
            cluster.finalize_namespaces();
            tokio::time::sleep(cluster.config.tick).await;
            let _ = tokio::time::timeout(RESYNC, changes.changed()).await;
        }
    })]
}

/// An ownerReference marking `owner` as the controller.
pub(crate) fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"], "kind": owner["kind"],
        "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
        "controller": true, "blockOwnerDeletion": true,
    })
}

/// Whether `obj` is controlled by the object with uid `owner_uid`.
pub(crate) fn controlled_by(obj: &Value, owner_uid: &str) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r["controller"] == true && util::str_at(r, "uid") == owner_uid)
        })
}
