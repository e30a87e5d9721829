//! Creates deploy/'s objects in the simulated cluster through the API (kube-rs dynamic clients,
//! as `kubectl apply` would), except the workloads whose containers the demo runs as processes
//! instead (Deployments, Job, CronJob, PodDisruptionBudget). A kind the simulated cluster does
//! not serve is reported and skipped, not hidden.

use kube::api::{Api, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde_json::Value;

/// Kinds whose pods the demo replaces with child processes of the real binaries.
const RUN_AS_PROCESSES: [&str; 4] = ["Deployment", "Job", "CronJob", "PodDisruptionBudget"];

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Created,
    Exists,
    /// Run as a child process instead.
    AsProcess,
    /// The simulated cluster does not serve this kind (yet).
    NotServed,
}

/// Create every object; returns `(kind/name, outcome)` in order.
pub async fn apply_all(
    client: &kube::Client,
    objects: &[Value],
) -> anyhow::Result<Vec<(String, Applied)>> {
    let mut out = Vec::new();
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let label = format!("{kind}/{}", o["metadata"]["name"].as_str().unwrap_or(""));
        let outcome = if RUN_AS_PROCESSES.contains(&kind) {
            Applied::AsProcess
        } else {
            apply(client, o).await?
        };
        out.push((label, outcome));
    }
    Ok(out)
}

async fn apply(client: &kube::Client, o: &Value) -> anyhow::Result<Applied> {
    let api_version = o["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, o["kind"].as_str().unwrap_or_default());
    let (resource, caps) = match kube::discovery::pinned_kind(client, &gvk).await {
        Ok(found) => found,
        Err(_) => return Ok(Applied::NotServed),
    };
    let obj: DynamicObject = serde_json::from_value(o.clone())?;
    let api: Api<DynamicObject> = match (caps.scope, o["metadata"]["namespace"].as_str()) {
        (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &resource),
        (Scope::Namespaced, None) => Api::default_namespaced_with(client.clone(), &resource),
        (Scope::Cluster, _) => Api::all_with(client.clone(), &resource),
    };
    match api.create(&PostParams::default(), &obj).await {
        Ok(_) => Ok(Applied::Created),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(Applied::Exists),
        Err(e) => Err(anyhow::Error::new(e)
            .context(format!("creating {} {}", gvk.kind, o["metadata"]["name"]))),
    }
}
