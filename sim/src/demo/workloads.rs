//! The demo's workloads: Deployments in an opted-in namespace whose simulated memory usage
//! follows a bundled trace or a generator (`sim.rightsize.dev/memory-profile`, see
//! `sim/cluster/src/kubelet/usage.rs`), each declared the way a person sizes a service by hand,
//! and the history the trace workloads start with (`history load`'s logic).

use std::path::Path;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use rightsize_policy::annotations::ENABLED_LABEL;
use rightsize_sim_cluster::MEMORY_PROFILE_ANNOTATION;
use serde_json::json;

use crate::evaluate::trace;

/// Namespace of the demo's workloads.
pub const NAMESPACE: &str = "demo";
/// Container name of every workload (and of the history profiles).
pub const CONTAINER: &str = "app";
/// Label naming a pod's workload.
pub const APP_LABEL: &str = "app";

/// One demo workload.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub name: &'static str,
    pub replicas: i32,
    /// Memory request and limit declared in the Deployment: the static baseline.
    pub declared: &'static str,
    /// Usage profile; `{traces}` stands for the bundled traces directory.
    pub profile: &'static str,
    /// Trace workload (folder of the bundled traces) whose history is loaded before the start.
    pub history: Option<&'static str>,
    /// What a person should see happen.
    pub shows: &'static str,
}

/// The workloads. Generator durations are simulated time: at the demo's speed (one simulated
/// minute per second) `over=40m` takes 40 s.
pub const WORKLOADS: [Workload; 7] = [
    Workload {
        name: "adservice",
        replicas: 2,
        declared: "1Gi",
        profile: "trace:{traces}/nezha-adservice/2022-08-22-5f6585d649-fnmft.csv",
        history: Some("nezha-adservice"),
        shows: "admitted at its learned size (two days of history)",
    },
    Workload {
        name: "cartservice",
        replicas: 1,
        declared: "1Gi",
        profile: "trace:{traces}/nezha-cartservice/2022-08-22-579f59597d-wc2lz.csv",
        history: Some("nezha-cartservice"),
        shows: "admitted at its learned size",
    },
    Workload {
        name: "growing",
        replicas: 1,
        declared: "256Mi",
        profile: "ramp:start=120Mi,end=420Mi,over=40m",
        history: None,
        shows: "resized up in place as usage nears the limit",
    },
    Workload {
        name: "shrinking",
        replicas: 1,
        declared: "1Gi",
        profile: "ramp:start=300Mi,end=80Mi,over=15m",
        history: None,
        shows: "resized down after the (shortened) down interval",
    },
    Workload {
        name: "leaking",
        replicas: 1,
        declared: "256Mi",
        profile: "leak:start=100Mi,rate=5Mi",
        history: None,
        shows: "followed upwards, OOM-bumped if it outruns a sample",
    },
    Workload {
        name: "spiky",
        replicas: 1,
        declared: "320Mi",
        profile: "spikes:base=120Mi,peak=400Mi,every=20m,duration=3m",
        history: None,
        shows: "OOM-killed by a spike, then bumped",
    },
    Workload {
        name: "oom-prone",
        replicas: 1,
        declared: "200Mi",
        profile: "burst:peak=320Mi,steady=140Mi,duration=5m",
        history: None,
        shows: "OOM-killed at start, bumped; its replacement is admitted from history",
    },
];

/// The workload whose pod is deleted mid-run, so its replacement shows admission from the
/// history the controller wrote.
pub const RECREATED: &str = "oom-prone";

impl Workload {
    pub fn profile(&self, traces: &Path) -> String {
        self.profile
            .replace("{traces}", &traces.display().to_string())
    }

    fn deployment(&self, traces: &Path) -> anyhow::Result<Deployment> {
        Ok(serde_json::from_value(json!({
            "metadata": {"name": self.name, "namespace": NAMESPACE, "labels": {APP_LABEL: self.name}},
            "spec": {
                "replicas": self.replicas,
                "selector": {"matchLabels": {APP_LABEL: self.name}},
                "template": {
                    "metadata": {
                        "labels": {APP_LABEL: self.name},
                        "annotations": {MEMORY_PROFILE_ANNOTATION: self.profile(traces)}
                    },
                    "spec": {"containers": [{
                        "name": CONTAINER,
                        "image": format!("demo/{}:1", self.name),
                        "resources": {
                            "requests": {"cpu": "50m", "memory": self.declared},
                            "limits": {"memory": self.declared}
                        }
                    }]}
                }
            }
        }))?)
    }
}

/// Creates the opted-in namespace and every workload's Deployment.
pub async fn create(client: &kube::Client, traces: &Path) -> anyhow::Result<()> {
    let ns: Namespace = serde_json::from_value(json!({
        "metadata": {"name": NAMESPACE, "labels": {ENABLED_LABEL: "true"}}
    }))?;
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    let api: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    for w in WORKLOADS {
        api.create(&PostParams::default(), &w.deployment(traces)?)
            .await?;
    }
    Ok(())
}

/// Loads the history of the trace workloads into the store (as `history load` does), under the
/// demo's Deployment names; returns what `history load` prints.
pub async fn seed_history(
    client: &kube::Client,
    traces: &Path,
    history_namespace: &str,
) -> anyhow::Result<String> {
    let all = trace::load_dir(traces)?;
    let mut chosen = Vec::new();
    for w in WORKLOADS {
        let Some(folder) = w.history else { continue };
        let mut t = all
            .iter()
            .find(|t| t.name == folder)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no trace workload {folder} in {}", traces.display()))?;
        t.name = w.name.to_owned();
        chosen.push(t);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let mut out = Vec::new();
    crate::history::load(
        client.clone(),
        &chosen,
        NAMESPACE,
        CONTAINER,
        history_namespace,
        Some(now),
        &mut out,
    )
    .await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
