//! Scenarios of the simulated control plane and kubelet through kube-rs: Deployment →
//! ReplicaSet → Pods, scheduling, in-place resize (applied, Deferred, Infeasible, rejected),
//! OOM kills from usage generators, and PodMetrics.

mod common;

use common::{start_with, status_of};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod, PodCondition};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams,
};
use rightsize_sim_cluster::testing::eventually;
use rightsize_sim_cluster::{KubeVersion, NodeConfig, SimCluster, SimConfig};
use serde_json::{Value, json};

fn pod(name: &str, cpu: &str, mem_req: &str, mem_lim: &str, annotations: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1",
            "resources": {"requests": {"cpu": cpu, "memory": mem_req}, "limits": {"cpu": cpu, "memory": mem_lim}}}]}
    }))
    .unwrap()
}

fn deployment(name: &str, replicas: i32, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image,
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]}}}
    }))
    .unwrap()
}

fn config(version: KubeVersion) -> SimConfig {
    SimConfig {
        version,
        nodes: vec![NodeConfig::new("node-a", "4", "8Gi")],
        ..SimConfig::default()
    }
}

async fn running(pods: &Api<Pod>, name: &str) -> Pod {
    eventually(&format!("pod {name} running"), || async {
        pods.get(name)
            .await
            .ok()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    })
    .await
}

fn condition<'a>(p: &'a Pod, t: &str) -> Option<&'a k8s_openapi::api::core::v1::PodCondition> {
    p.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == t)
}

fn actual_memory_limit(p: &Pod) -> Option<String> {
    let st = p.status.as_ref()?.container_statuses.as_ref()?.first()?;
    Some(
        st.resources
            .as_ref()?
            .limits
            .as_ref()?
            .get("memory")?
            .0
            .clone(),
    )
}

/// Waits until the memory limit of `name` reports `limit` with no `cleared` condition left.
async fn memory_limit_applied(
    pods: &Api<Pod>,
    what: &str,
    name: &str,
    limit: &str,
    cleared: &str,
) -> Pod {
    eventually(what, || async {
        let p = pods.get(name).await.ok()?;
        (actual_memory_limit(&p).as_deref() == Some(limit) && condition(&p, cleared).is_none())
            .then_some(p)
    })
    .await
}

/// Waits until the resize of `name` is pending for `reason` (`Deferred`, `Infeasible`).
async fn resize_pending(pods: &Api<Pod>, what: &str, name: &str, reason: &str) -> PodCondition {
    eventually(what, || async {
        let p = pods.get(name).await.ok()?;
        condition(&p, "PodResizePending")
            .cloned()
            .filter(|c| c.reason.as_deref() == Some(reason))
    })
    .await
}

/// A cluster of `version` running the Guaranteed pod `g` (500m, 1Gi).
async fn running_guaranteed_pod(version: KubeVersion) -> (SimCluster, Api<Pod>) {
    let sim = start_with(config(version)).await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    pods.create(
        &PostParams::default(),
        &pod("g", "500m", "1Gi", "1Gi", json!({})),
    )
    .await
    .unwrap();
    running(&pods, "g").await;
    (sim, pods)
}

#[tokio::test]
async fn deployment_pods_are_owned_by_a_hashed_replicaset_and_follow_scale_and_template() {
    let sim = start_with(config(KubeVersion::V1_33)).await;
    let client = sim.client().unwrap();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    deploys
        .create(&PostParams::default(), &deployment("web", 3, "nginx:1"))
        .await
        .unwrap();

    let rs = eventually("a ReplicaSet for web", || async {
        sets.list(&ListParams::default())
            .await
            .ok()?
            .items
            .into_iter()
            .next()
    })
    .await;
    let rs_name = rs.metadata.name.clone().unwrap();
    let hash = rs.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone();
    assert_eq!(rs_name, format!("web-{hash}"));
    assert_eq!(
        rs.metadata.owner_references.as_ref().unwrap()[0].kind,
        "Deployment"
    );

    let running_pods = eventually("3 running pods", || async {
        let l = pods
            .list(
                &ListParams::default()
                    .labels("app=web")
                    .fields("status.phase=Running"),
            )
            .await
            .ok()?;
        (l.items.len() == 3).then_some(l.items)
    })
    .await;
    for p in &running_pods {
        let name = p.metadata.name.as_deref().unwrap();
        assert!(name.starts_with(&format!("{rs_name}-")), "{name}");
        let owner = &p.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.controller),
            ("ReplicaSet", rs_name.as_str(), Some(true))
        );
        assert_eq!(
            p.metadata.labels.as_ref().unwrap()["pod-template-hash"],
            hash
        );
        assert_eq!(
            p.status.as_ref().unwrap().qos_class.as_deref(),
            Some("Burstable")
        );
    }

    deploys
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 1}})),
        )
        .await
        .unwrap();
    eventually("scale down to 1", || async {
        (pods
            .list(&ListParams::default().labels("app=web"))
            .await
            .ok()?
            .items
            .len()
            == 1)
            .then_some(())
    })
    .await;

    deploys
        .patch("web", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}})))
        .await
        .unwrap();
    let new_rs = eventually("a second ReplicaSet", || async {
        let l = sets.list(&ListParams::default()).await.ok()?;
        l.items
            .into_iter()
            .find(|r| r.metadata.name.as_deref() != Some(rs_name.as_str()))
    })
    .await;
    eventually(
        "the old ReplicaSet scaled to zero and the new pod running",
        || async {
            let old = sets.get(&rs_name).await.ok()?;
            let l = pods
                .list(
                    &ListParams::default()
                        .labels("app=web")
                        .fields("status.phase=Running"),
                )
                .await
                .ok()?;
            let ok = old.spec?.replicas == Some(0)
                && l.items.len() == 1
                && l.items[0].metadata.owner_references.as_ref()?[0].name
                    == new_rs.metadata.name.clone()?;
            ok.then_some(())
        },
    )
    .await;
    let d = eventually("deployment status", || async {
        let d = deploys.get("web").await.ok()?;
        let st = d.status.as_ref()?;
        (st.ready_replicas == Some(1) && st.updated_replicas == Some(1)).then_some(d)
    })
    .await;
    assert_eq!(d.status.unwrap().observed_generation, d.metadata.generation);

    // Deleting the Deployment collects its ReplicaSets and pods.
    deploys
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    eventually("pods garbage-collected", || async {
        pods.list(&ListParams::default())
            .await
            .ok()?
            .items
            .is_empty()
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn resize_is_applied_deferred_until_room_frees_or_infeasible() {
    let sim = start_with(config(KubeVersion::V1_33)).await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let pp = PostParams::default();
    pods.create(&pp, &pod("small", "500m", "1Gi", "1Gi", json!({})))
        .await
        .unwrap();
    pods.create(&pp, &pod("big", "500m", "5Gi", "5Gi", json!({})))
        .await
        .unwrap();
    running(&pods, "small").await;
    running(&pods, "big").await;

    // Fits: applied, with the actual values reported in status.
    let grow = |mem: &str| {
        Patch::Strategic(
            json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"memory": mem}, "limits": {"memory": mem}}}]}}),
        )
    };
    let after = pods
        .patch_resize("small", &PatchParams::default(), &grow("2Gi"))
        .await
        .unwrap();
    assert_eq!(after.metadata.generation, Some(2));
    let done = memory_limit_applied(
        &pods,
        "resize of small applied",
        "small",
        "2Gi",
        "PodResizeInProgress",
    )
    .await;
    assert!(condition(&done, "PodResizePending").is_none());

    // 2Gi (small) + 7Gi > 8Gi: Deferred.
    pods.patch_resize("big", &PatchParams::default(), &grow("7Gi"))
        .await
        .unwrap();
    let deferred = resize_pending(&pods, "resize of big deferred", "big", "Deferred").await;
    assert!(deferred.message.unwrap().contains("memory"));
    // Room frees when small goes away: the deferred resize goes through.
    pods.delete("small", &DeleteParams::default())
        .await
        .unwrap();
    memory_limit_applied(
        &pods,
        "deferred resize applied once room frees",
        "big",
        "7Gi",
        "PodResizePending",
    )
    .await;

    // Beyond the node's allocatable: Infeasible.
    pods.patch_resize("big", &PatchParams::default(), &grow("16Gi"))
        .await
        .unwrap();
    let infeasible = resize_pending(&pods, "resize infeasible", "big", "Infeasible").await;
    assert!(
        infeasible
            .message
            .unwrap()
            .contains("Node didn't have enough capacity")
    );
}

#[tokio::test]
async fn invalid_resizes_and_resource_updates_are_rejected_like_the_api_server() {
    let (_sim, pods) = running_guaranteed_pod(KubeVersion::V1_33).await;
    let pp = PatchParams::default();

    let qos = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "250m"}}}]}}),
    );
    let s = status_of(pods.patch_resize("g", &pp, &qos).await);
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(s.message.contains(r#"spec: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing"#), "{}", s.message);

    let shrink = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "512Mi"}}}]}}),
    );
    let s = status_of(pods.patch_resize("g", &pp, &shrink).await);
    assert!(
        s.message
            .contains("memory limits cannot be decreased unless resizePolicy is RestartContainer"),
        "{}",
        s.message
    );

    let storage = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"ephemeral-storage": "1Gi"}}}]}}),
    );
    let s = status_of(pods.patch_resize("g", &pp, &storage).await);
    assert!(
        s.message
            .contains("only cpu and memory resources are mutable"),
        "{}",
        s.message
    );

    let above = Patch::Json::<()>(serde_json::from_value(json!([{"op": "replace", "path": "/spec/containers/0/resources/requests/cpu", "value": "1"}])).unwrap());
    let s = status_of(pods.patch_resize("g", &pp, &above).await);
    assert!(
        s.message
            .contains("must be less than or equal to cpu limit of 500m"),
        "{}",
        s.message
    );

    // Since 1.32 a plain pod patch may not change resources.
    let plain = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "2Gi"}, "requests": {"memory": "2Gi"}}}]}}),
    );
    let s = status_of(pods.patch("g", &pp, &plain).await);
    assert_eq!(s.code, 422);
    assert!(
        s.message
            .contains("pod updates may not change fields other than"),
        "{}",
        s.message
    );

    // 1.34 allows the memory-limit decrease.
    let (_sim34, pods34) = running_guaranteed_pod(KubeVersion::V1_34).await;
    pods34.patch_resize("g", &pp, &shrink).await.unwrap();
    eventually("1.34 applies the decrease", || async {
        (actual_memory_limit(&pods34.get("g").await.ok()?).as_deref() == Some("512Mi"))
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn usage_above_the_limit_is_oom_killed_and_reported_in_metrics() {
    let sim = start_with(config(KubeVersion::V1_33)).await;
    let client = sim.client().unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    pods.create(
        &pp,
        &pod(
            "steady",
            "100m",
            "256Mi",
            "256Mi",
            json!({"sim.rightsize.dev/memory-profile": "constant:128Mi"}),
        ),
    )
    .await
    .unwrap();
    pods.create(
        &pp,
        &pod(
            "leaky",
            "100m",
            "64Mi",
            "64Mi",
            json!({"sim.rightsize.dev/memory-profile": "ramp:start=32Mi,end=96Mi,over=1s"}),
        ),
    )
    .await
    .unwrap();
    running(&pods, "steady").await;

    let killed = eventually("an OOM kill", || async {
        let p = pods.get("leaky").await.ok()?;
        let st = p.status?.container_statuses?.into_iter().next()?;
        (st.restart_count >= 1).then_some(st)
    })
    .await;
    let term = killed.last_state.unwrap().terminated.unwrap();
    assert_eq!(
        (term.reason.as_deref(), term.exit_code),
        (Some("OOMKilled"), 137)
    );
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let ev = eventually("an OOMKilling event", || async {
        events
            .list(&ListParams::default().fields("involvedObject.name=leaky,reason=OOMKilling"))
            .await
            .ok()?
            .items
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(ev.type_.as_deref(), Some("Warning"));

    let gvk = GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "pods");
    let metrics: Api<DynamicObject> = Api::namespaced_with(client, "default", &ar);
    let m = eventually("metrics for steady", || async {
        metrics.get("steady").await.ok()
    })
    .await;
    assert_eq!(m.data["containers"][0]["usage"]["memory"], "131072Ki");
    assert_eq!(m.data["window"], "15s");
    let all = metrics.list(&ListParams::default()).await.unwrap();
    assert!(all.items.len() >= 2);
}
