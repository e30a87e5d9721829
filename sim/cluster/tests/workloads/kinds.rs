//! StatefulSet, DaemonSet, Job, CronJob and PodDisruptionBudget through kube-rs: the pods each
//! controller makes carry the names, labels and ownerReferences the real controllers set, the
//! scale subresource drives a StatefulSet, Jobs complete, a CronJob starts Jobs on the sim's
//! (sped-up) clock, and PDB status follows its pods.

use crate::common::{start_with, status_of};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::testing::{eventually, first_listed};
use rightsize_sim_cluster::{NodeConfig, RUN_FOR_ANNOTATION, SimConfig};
use serde_json::{Value, json};

fn config(nodes: usize, speed: f64) -> SimConfig {
    SimConfig {
        nodes: (1..=nodes)
            .map(|i| NodeConfig::new(&format!("node-{i}"), "8", "16Gi"))
            .collect(),
        speed,
        ..SimConfig::default()
    }
}

fn template(app: &str, restart: &str, annotations: Value) -> Value {
    json!({"metadata": {"labels": {"app": app}, "annotations": annotations},
        "spec": {"restartPolicy": restart, "containers": [{"name": "app", "image": "registry.example/app:1",
            "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]}})
}

fn label<'a>(p: &'a Pod, k: &str) -> Option<&'a str> {
    p.metadata.labels.as_ref()?.get(k).map(String::as_str)
}

fn controller_of(p: &Pod) -> (String, String) {
    let o = p
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .expect("a controller ownerReference");
    assert_eq!(o.block_owner_deletion, Some(true));
    (o.kind.clone(), o.name.clone())
}

async fn pods_of(pods: &Api<Pod>, selector: &str, n: usize) -> Vec<Pod> {
    eventually(&format!("{n} pods for {selector}"), || async {
        let l = pods
            .list(&ListParams::default().labels(selector))
            .await
            .ok()?;
        let running = l
            .items
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .count();
        (l.items.len() == n && running == n).then_some(l.items)
    })
    .await
}

#[tokio::test]
async fn statefulset_pods_are_ordinal_named_labelled_and_follow_the_scale_subresource() {
    let sim = start_with(config(1, 1.0)).await;
    let client = sim.client().unwrap();
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let sts: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "db"},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": template("db", "Always", json!({}))}
    }))
    .unwrap();
    let created = sets.create(&PostParams::default(), &sts).await.unwrap();
    assert_eq!(
        created
            .spec
            .as_ref()
            .unwrap()
            .pod_management_policy
            .as_deref(),
        Some("OrderedReady")
    );
    let mut got = pods_of(&pods, "app=db", 3).await;
    got.sort_by_key(|p| p.metadata.name.clone());
    let revs: Api<ControllerRevision> = Api::namespaced(client, "default");
    let rev = revs.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(rev.len(), 1);
    let rev_name = rev[0].metadata.name.clone().unwrap();
    assert!(rev_name.starts_with("db-"));
    assert_eq!(rev[0].revision, 1);
    for (i, p) in got.iter().enumerate() {
        let name = format!("db-{i}");
        assert_eq!(p.metadata.name.as_deref(), Some(name.as_str()));
        assert_eq!(
            p.metadata.generate_name, None,
            "StatefulSet pods have no generateName"
        );
        assert_eq!(
            label(p, "statefulset.kubernetes.io/pod-name"),
            Some(name.as_str())
        );
        assert_eq!(
            label(p, "apps.kubernetes.io/pod-index"),
            Some(i.to_string().as_str())
        );
        assert_eq!(
            label(p, "controller-revision-hash"),
            Some(rev_name.as_str())
        );
        assert_eq!(controller_of(p), ("StatefulSet".into(), "db".into()));
        let spec = p.spec.as_ref().unwrap();
        assert_eq!(spec.hostname.as_deref(), Some(name.as_str()));
        assert_eq!(spec.subdomain.as_deref(), Some("db"));
    }
    sets.patch_scale(
        "db",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 1}})),
    )
    .await
    .unwrap();
    let left = pods_of(&pods, "app=db", 1).await;
    assert_eq!(
        left[0].metadata.name.as_deref(),
        Some("db-0"),
        "highest ordinals go first"
    );
    let st = eventually("status follows", || async {
        let s = sets.get("db").await.ok()?.status?;
        (s.replicas == 1 && s.ready_replicas == Some(1)).then_some(s)
    })
    .await;
    assert_eq!(st.current_revision.as_deref(), Some(rev_name.as_str()));
}

#[tokio::test]
async fn daemonset_runs_one_pod_per_node_with_revision_and_generation_labels() {
    let sim = start_with(config(3, 1.0)).await;
    let client = sim.client().unwrap();
    let sets: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let ds: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template("agent", "Always", json!({}))}
    }))
    .unwrap();
    sets.create(&PostParams::default(), &ds).await.unwrap();
    let got = pods_of(&pods, "app=agent", 3).await;
    let mut nodes: Vec<_> = got
        .iter()
        .map(|p| p.spec.as_ref().unwrap().node_name.clone().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"]);
    for p in &got {
        assert!(p.metadata.generate_name.as_deref() == Some("agent-"));
        assert_eq!(label(p, "pod-template-generation"), Some("1"));
        assert!(label(p, "controller-revision-hash").is_some_and(|h| !h.is_empty()));
        assert_eq!(controller_of(p), ("DaemonSet".into(), "agent".into()));
        let tolerations = p
            .spec
            .as_ref()
            .unwrap()
            .tolerations
            .clone()
            .unwrap_or_default();
        assert!(
            tolerations
                .iter()
                .any(|t| t.key.as_deref() == Some("node.kubernetes.io/not-ready")
                    && t.effect.as_deref() == Some("NoExecute"))
        );
    }
    eventually("daemonset status", || async {
        let s = sets.get("agent").await.ok()?.status?;
        (s.desired_number_scheduled == 3 && s.number_ready == 3).then_some(())
    })
    .await;
    let bad: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "bad"},
        "spec": {"selector": {"matchLabels": {"app": "bad"}}, "template": template("bad", "Never", json!({}))}
    }))
    .unwrap();
    let st = status_of(sets.create(&PostParams::default(), &bad).await);
    assert_eq!(st.code, 422);
    assert!(st.message.contains(r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#), "{}", st.message);
}

#[tokio::test]
async fn job_pods_carry_the_job_labels_and_the_job_completes() {
    let sim = start_with(config(1, 1.0)).await;
    let client = sim.client().unwrap();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let job: Job = serde_json::from_value(json!({
        "metadata": {"name": "report"},
        "spec": {"completions": 2, "parallelism": 1,
            "template": template("report", "Never", json!({RUN_FOR_ANNOTATION: "1s"}))}
    }))
    .unwrap();
    let created = jobs.create(&PostParams::default(), &job).await.unwrap();
    let uid = created.metadata.uid.clone().unwrap();
    let spec = created.spec.unwrap();
    assert_eq!(spec.backoff_limit, Some(6));
    assert_eq!(
        spec.selector.unwrap().match_labels.unwrap()["batch.kubernetes.io/controller-uid"],
        uid
    );
    let done = eventually("job complete", || async {
        let j = jobs.get("report").await.ok()?;
        let st = j.status.clone()?;
        st.conditions?
            .iter()
            .any(|c| c.type_ == "Complete" && c.status == "True")
            .then_some(j)
    })
    .await;
    let st = done.status.unwrap();
    assert_eq!(st.succeeded, Some(2));
    assert!(st.completion_time.is_some());
    let all = pods
        .list(&ListParams::default().labels("job-name=report"))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 2);
    for p in &all {
        assert_eq!(
            p.status.as_ref().unwrap().phase.as_deref(),
            Some("Succeeded")
        );
        assert_eq!(label(p, "batch.kubernetes.io/job-name"), Some("report"));
        assert_eq!(
            label(p, "batch.kubernetes.io/controller-uid"),
            Some(uid.as_str())
        );
        assert_eq!(label(p, "controller-uid"), Some(uid.as_str()));
        assert_eq!(controller_of(p), ("Job".into(), "report".into()));
    }
    let bad: Job = serde_json::from_value(json!({
        "metadata": {"name": "bad"}, "spec": {"template": template("bad", "Always", json!({}))}
    }))
    .unwrap();
    let st = status_of(jobs.create(&PostParams::default(), &bad).await);
    assert!(st.message.contains(r#"spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#), "{}", st.message);
}

#[tokio::test]
async fn cronjob_starts_jobs_named_by_scheduled_minute_on_the_sped_up_clock() {
    // Speed 120: one simulated minute every half second.
    let sim = start_with(config(1, 120.0)).await;
    let client = sim.client().unwrap();
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), "default");
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let cj: CronJob = serde_json::from_value(json!({
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Forbid", "jobTemplate": {
            "metadata": {"labels": {"team": "data"}},
            "spec": {"template": template("nightly", "OnFailure", json!({RUN_FOR_ANNOTATION: "30s"}))}}}
    }))
    .unwrap();
    cronjobs.create(&PostParams::default(), &cj).await.unwrap();
    let job = first_listed(&jobs, &ListParams::default(), "a job from the cronjob").await;
    let name = job.metadata.name.clone().unwrap();
    let minutes: i64 = name.strip_prefix("nightly-").unwrap().parse().unwrap();
    let scheduled = &job.metadata.annotations.as_ref().unwrap()["batch.kubernetes.io/cronjob-scheduled-timestamp"];
    assert!(scheduled.ends_with(":00Z"), "{scheduled}");
    assert!(minutes > 29_000_000, "minutes since the epoch: {minutes}");
    assert_eq!(job.metadata.labels.as_ref().unwrap()["team"], "data");
    let owner = &job.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("CronJob", "nightly", Some(true))
    );
    let by_job = ListParams::default().labels(&format!("job-name={name}"));
    let pod = first_listed(&pods, &by_job, "a pod of the job").await;
    assert_eq!(controller_of(&pod), ("Job".into(), name.clone()));
    eventually("several runs, status.lastScheduleTime", || async {
        let n = jobs.list(&ListParams::default()).await.ok()?.items.len();
        let cj = cronjobs.get("nightly").await.ok()?;
        (n >= 2 && cj.status?.last_schedule_time.is_some()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn pdb_validation_and_status_follow_the_matching_pods() {
    let sim = start_with(config(1, 1.0)).await;
    let client = sim.client().unwrap();
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), "default");
    let sets: Api<StatefulSet> = Api::namespaced(client, "default");
    let both: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "both"},
        "spec": {"minAvailable": 1, "maxUnavailable": "50%", "selector": {"matchLabels": {"app": "web"}}}
    }))
    .unwrap();
    let st = status_of(pdbs.create(&PostParams::default(), &both).await);
    assert_eq!(st.code, 422);
    assert!(
        st.message
            .contains("minAvailable and maxUnavailable cannot be both set"),
        "{}",
        st.message
    );
    let over: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "over"}, "spec": {"maxUnavailable": "150%", "selector": {"matchLabels": {"app": "web"}}}
    }))
    .unwrap();
    let st = status_of(pdbs.create(&PostParams::default(), &over).await);
    assert!(
        st.message.contains(
            "spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%"
        ),
        "{}",
        st.message
    );
    let pdb: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "web"}, "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}
    }))
    .unwrap();
    pdbs.create(&PostParams::default(), &pdb).await.unwrap();
    let sts: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"replicas": 3, "podManagementPolicy": "Parallel", "selector": {"matchLabels": {"app": "web"}},
            "template": template("web", "Always", json!({}))}
    }))
    .unwrap();
    sets.create(&PostParams::default(), &sts).await.unwrap();
    let st = eventually("pdb status with 3 healthy pods", || async {
        let s = pdbs.get("web").await.ok()?.status?;
        (s.current_healthy == 3).then_some(s)
    })
    .await;
    assert_eq!(
        (st.expected_pods, st.desired_healthy, st.disruptions_allowed),
        (3, 2, 1)
    );
    let cond = &st.conditions.unwrap()[0];
    assert_eq!(
        (
            cond.type_.as_str(),
            cond.status.as_str(),
            cond.reason.as_str()
        ),
        ("DisruptionAllowed", "True", "SufficientPods")
    );
}
