//! Deployment → ReplicaSet → Pods: pods owned by a ReplicaSet named after the template's hash,
//! scaling, and a template change rolling out a new ReplicaSet.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::KubeVersion;
use rightsize_sim_cluster::testing::{eventually, first_listed};
use serde_json::json;

use crate::common::start_with;
use crate::support::config;

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

    let rs = first_listed(&sets, &ListParams::default(), "a ReplicaSet for web").await;
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
