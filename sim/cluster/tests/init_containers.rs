//! Init containers and sidecars in the simulated kubelet, seen through kube-rs (Kubernetes docs
//! "Init Containers" and "Sidecar Containers", KEP-753): plain init containers run one after
//! another before the app containers while the pod is `Pending`; sidecars keep running beside
//! them; an init container or sidecar above its memory limit is OOM-killed, restarted per the
//! rules, or fails the pod under `restartPolicy: Never`.

mod common;

use common::start;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::api::{Api, PostParams};
use rightsize_sim_cluster::testing::eventually;
use serde_json::{Value, json};

fn pod(name: &str, policy: &str, annotations: Value, init: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"restartPolicy": policy, "initContainers": init,
            "containers": [{"name": "app", "image": "registry.example/app:1",
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}}]}
    }))
    .unwrap()
}

fn container(name: &str, mem: &str, sidecar: bool) -> Value {
    let mut c = json!({"name": name, "image": format!("registry.example/{name}:1"),
        "resources": {"requests": {"cpu": "50m", "memory": mem}, "limits": {"memory": mem}}});
    if sidecar {
        c["restartPolicy"] = json!("Always");
    }
    c
}

fn init_status<'a>(p: &'a Pod, name: &str) -> Option<&'a ContainerStatus> {
    p.status
        .as_ref()?
        .init_container_statuses
        .as_ref()?
        .iter()
        .find(|s| s.name == name)
}

fn phase(p: &Pod) -> &str {
    p.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn running(s: Option<&ContainerStatus>) -> bool {
    s.and_then(|s| s.state.as_ref()?.running.as_ref()).is_some()
}

fn last_oom(s: &ContainerStatus) -> bool {
    s.last_state
        .as_ref()
        .and_then(|l| l.terminated.as_ref())
        .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled") && t.exit_code == 137)
}

#[tokio::test]
async fn init_containers_run_in_order_before_the_app_and_the_sidecar_keeps_running() {
    let sim = start().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let ann = json!({"sim.rightsize.dev/run-for.migrate": "2s"});
    let init = json!([
        container("migrate", "64Mi", false),
        container("proxy", "64Mi", true)
    ]);
    pods.create(&PostParams::default(), &pod("web", "Always", ann, init))
        .await
        .unwrap();
    // While the first init container runs, the sidecar after it has not started and the pod
    // is Pending, not Initialized.
    let p = eventually("migrate running", || async {
        let p = pods.get("web").await.ok()?;
        running(init_status(&p, "migrate")).then_some(p)
    })
    .await;
    assert_eq!(phase(&p), "Pending");
    let proxy = init_status(&p, "proxy").unwrap();
    let waiting = proxy.state.as_ref().and_then(|s| s.waiting.as_ref());
    assert_eq!(
        waiting.and_then(|w| w.reason.as_deref()),
        Some("PodInitializing")
    );
    let cond = p.status.as_ref().unwrap().conditions.as_ref().unwrap();
    let initialized = cond.iter().find(|c| c.type_ == "Initialized").unwrap();
    assert_eq!(initialized.status, "False");
    assert_eq!(
        initialized.reason.as_deref(),
        Some("ContainersNotInitialized")
    );
    // Then: migrate Completed, the sidecar started and ready, the app running.
    let p = eventually("pod Running", || async {
        let p = pods.get("web").await.ok()?;
        (phase(&p) == "Running").then_some(p)
    })
    .await;
    let migrate = init_status(&p, "migrate").unwrap();
    let done = migrate.state.as_ref().unwrap().terminated.as_ref().unwrap();
    assert_eq!(
        (done.exit_code, done.reason.as_deref()),
        (0, Some("Completed"))
    );
    let proxy = init_status(&p, "proxy").unwrap();
    assert!(
        running(Some(proxy)),
        "sidecar runs beside the app: {proxy:?}"
    );
    assert_eq!((proxy.started, proxy.ready), (Some(true), true));
    let app = &p
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert!(running(Some(app)) && app.ready);
}

#[tokio::test]
async fn an_oom_killed_sidecar_is_restarted_even_under_restart_policy_never() {
    let sim = start().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let ann = json!({"sim.rightsize.dev/memory-profile.proxy": "constant:100Mi"});
    let init = json!([container("proxy", "50Mi", true)]);
    pods.create(&PostParams::default(), &pod("job-pod", "Never", ann, init))
        .await
        .unwrap();
    let p = eventually("sidecar OOM-killed and restarted", || async {
        let p = pods.get("job-pod").await.ok()?;
        let s = init_status(&p, "proxy")?;
        (s.restart_count >= 1 && last_oom(s)).then_some(p)
    })
    .await;
    assert_ne!(
        phase(&p),
        "Failed",
        "a sidecar's OOM kill never fails the pod"
    );
}

#[tokio::test]
async fn an_oom_killed_init_container_fails_a_never_restarted_pod() {
    let sim = start().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let ann = json!({"sim.rightsize.dev/memory-profile.migrate": "constant:100Mi",
        "sim.rightsize.dev/run-for.migrate": "1h"});
    let init = json!([container("migrate", "50Mi", false)]);
    pods.create(&PostParams::default(), &pod("once", "Never", ann, init))
        .await
        .unwrap();
    let p = eventually("pod Failed", || async {
        let p = pods.get("once").await.ok()?;
        (phase(&p) == "Failed").then_some(p)
    })
    .await;
    let s = init_status(&p, "migrate").unwrap();
    let t = s.state.as_ref().unwrap().terminated.as_ref().unwrap();
    assert_eq!((t.exit_code, t.reason.as_deref()), (137, Some("OOMKilled")));
    assert_eq!(s.restart_count, 0);
    let app = &p
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert!(!running(Some(app)), "the app never started: {app:?}");
}

#[tokio::test]
async fn an_oom_killed_init_container_is_restarted_and_the_pod_stays_pending() {
    let sim = start().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let ann = json!({"sim.rightsize.dev/memory-profile.migrate": "constant:100Mi",
        "sim.rightsize.dev/run-for.migrate": "1h"});
    let init = json!([container("migrate", "50Mi", false)]);
    pods.create(&PostParams::default(), &pod("retry", "Always", ann, init))
        .await
        .unwrap();
    let p = eventually("init container OOM-killed and restarted", || async {
        let p = pods.get("retry").await.ok()?;
        let s = init_status(&p, "migrate")?;
        (s.restart_count >= 1 && last_oom(s)).then_some(p)
    })
    .await;
    assert_eq!(phase(&p), "Pending");
}

#[tokio::test]
async fn a_sidecar_is_resized_in_place_like_an_app_container() {
    let sim = start().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let init = json!([container("proxy", "64Mi", true)]);
    pods.create(
        &PostParams::default(),
        &pod("mesh", "Always", json!({}), init),
    )
    .await
    .unwrap();
    eventually("pod Running", || async {
        let p = pods.get("mesh").await.ok()?;
        (phase(&p) == "Running").then_some(())
    })
    .await;
    let patch = json!({"spec": {"initContainers": [{"name": "proxy", "resources": {
        "requests": {"memory": "96Mi"}, "limits": {"memory": "96Mi"}}}]}});
    pods.patch_subresource(
        "resize",
        "mesh",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Strategic(patch),
    )
    .await
    .unwrap();
    let s = eventually("sidecar resize actuated", || async {
        let p = pods.get("mesh").await.ok()?;
        let s = init_status(&p, "proxy")?.clone();
        let limit = s
            .resources
            .as_ref()?
            .limits
            .as_ref()?
            .get("memory")?
            .0
            .clone();
        (limit == "96Mi").then_some(s)
    })
    .await;
    let alloc = s.allocated_resources.unwrap();
    assert_eq!(alloc.get("memory").unwrap().0, "96Mi");
    assert_eq!(s.restart_count, 0, "resized without a restart");
}
