//! Workload identity tests: one scenario per kind, then the edge cases of admission-time pods and
//! of the ConfigMap key.
use super::*;
use std::collections::{BTreeMap, HashSet};

/// Builder for pod metadata as the API server shows it at mutating admission.
#[derive(Default)]
struct Pod(ObjectMeta);

impl Pod {
    fn new() -> Self {
        Self::default()
    }
    fn namespace(mut self, ns: &str) -> Self {
        self.0.namespace = Some(ns.into());
        self
    }
    fn name(mut self, name: &str) -> Self {
        self.0.name = Some(name.into());
        self
    }
    fn generate_name(mut self, prefix: &str) -> Self {
        self.0.generate_name = Some(prefix.into());
        self
    }
    fn label(mut self, k: &str, v: &str) -> Self {
        self.0
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(k.into(), v.into());
        self
    }
    fn owner(
        mut self,
        api_version: &str,
        kind: &str,
        name: &str,
        controller: Option<bool>,
    ) -> Self {
        self.0
            .owner_references
            .get_or_insert_with(Vec::new)
            .push(OwnerReference {
                api_version: api_version.into(),
                kind: kind.into(),
                name: name.into(),
                uid: format!("uid-{name}"),
                controller,
                block_owner_deletion: Some(true),
            });
        self
    }
    fn controlled_by(self, api_version: &str, kind: &str, name: &str) -> Self {
        self.owner(api_version, kind, name, Some(true))
    }
    fn workload(&self) -> WorkloadRef {
        WorkloadRef::of_pod(&self.0, Some("shop")).unwrap()
    }
}

fn wl(kind: WorkloadKind, name: &str) -> WorkloadRef {
    WorkloadRef::new("shop", kind, name)
}

#[test]
fn deployment_pod_is_keyed_by_the_deployment_not_the_replicaset() {
    let pod = Pod::new()
        .generate_name("web-7d4b9c8f5d-")
        .label(POD_TEMPLATE_HASH_LABEL, "7d4b9c8f5d")
        .controlled_by("apps/v1", "ReplicaSet", "web-7d4b9c8f5d");
    assert_eq!(pod.workload(), wl(WorkloadKind::Deployment, "web"));
    assert_eq!(pod.workload().key(), "deploy.shop.web");
}

#[test]
fn two_rollouts_of_a_deployment_share_one_workload() {
    let old = Pod::new()
        .label(POD_TEMPLATE_HASH_LABEL, "aaaa")
        .controlled_by("apps/v1", "ReplicaSet", "web-api-aaaa");
    let new = Pod::new()
        .label(POD_TEMPLATE_HASH_LABEL, "bbbb")
        .controlled_by("apps/v1", "ReplicaSet", "web-api-bbbb");
    assert_eq!(old.workload(), new.workload());
    assert_eq!(old.workload().name, "web-api");
}

#[test]
fn replicaset_without_template_hash_label_is_a_bare_replicaset() {
    let pod = Pod::new().controlled_by("apps/v1", "ReplicaSet", "frontend");
    assert_eq!(pod.workload(), wl(WorkloadKind::ReplicaSet, "frontend"));
    assert_eq!(pod.workload().key(), "rs.shop.frontend");
}

#[test]
fn replicaset_whose_name_lacks_the_hash_suffix_is_a_bare_replicaset() {
    let pod = Pod::new()
        .label(POD_TEMPLATE_HASH_LABEL, "abc123")
        .controlled_by("apps/v1", "ReplicaSet", "frontend");
    assert_eq!(pod.workload(), wl(WorkloadKind::ReplicaSet, "frontend"));
    // The hash must follow a dash and leave a non-empty prefix.
    let glued = Pod::new()
        .label(POD_TEMPLATE_HASH_LABEL, "abc123")
        .controlled_by("apps/v1", "ReplicaSet", "frontendabc123");
    assert_eq!(glued.workload().kind, WorkloadKind::ReplicaSet);
    let only_hash = Pod::new()
        .label(POD_TEMPLATE_HASH_LABEL, "abc123")
        .controlled_by("apps/v1", "ReplicaSet", "-abc123");
    assert_eq!(only_hash.workload().kind, WorkloadKind::ReplicaSet);
    let empty_hash = Pod::new().label(POD_TEMPLATE_HASH_LABEL, "").controlled_by(
        "apps/v1",
        "ReplicaSet",
        "web-",
    );
    assert_eq!(empty_hash.workload(), wl(WorkloadKind::ReplicaSet, "web-"));
}

#[test]
fn statefulset_daemonset_and_replication_controller_are_keyed_by_owner() {
    let sts = Pod::new()
        .name("db-0")
        .controlled_by("apps/v1", "StatefulSet", "db");
    assert_eq!(sts.workload(), wl(WorkloadKind::StatefulSet, "db"));
    assert_eq!(sts.workload().key(), "sts.shop.db");
    let ds =
        Pod::new()
            .generate_name("node-agent-")
            .controlled_by("apps/v1", "DaemonSet", "node-agent");
    assert_eq!(ds.workload().key(), "ds.shop.node-agent");
    let rc =
        Pod::new()
            .generate_name("legacy-")
            .controlled_by("v1", "ReplicationController", "legacy");
    assert_eq!(
        rc.workload(),
        wl(WorkloadKind::ReplicationController, "legacy")
    );
    assert_eq!(rc.workload().key(), "rc.shop.legacy");
}

#[test]
fn plain_job_is_keyed_by_job_name() {
    let pod = Pod::new()
        .generate_name("migrate-")
        .label("job-name", "migrate")
        .controlled_by("batch/v1", "Job", "migrate");
    assert_eq!(pod.workload(), wl(WorkloadKind::Job, "migrate"));
    assert_eq!(pod.workload().key(), "job.shop.migrate");
}

#[test]
fn cronjob_made_job_is_keyed_by_the_cronjob() {
    // 2025-01-15T10:30:00Z = 1736937000 s = 28948950 min.
    let pod = Pod::new()
        .generate_name("nightly-report-28948950-")
        .controlled_by("batch/v1", "Job", "nightly-report-28948950");
    assert_eq!(pod.workload(), wl(WorkloadKind::CronJob, "nightly-report"));
    assert_eq!(pod.workload().key(), "cronjob.shop.nightly-report");
    let next_run = Pod::new().controlled_by("batch/v1", "Job", "nightly-report-28950390");
    assert_eq!(next_run.workload(), pod.workload());
}

#[test]
fn job_names_that_only_look_numeric_stay_jobs() {
    for name in [
        "backup-20240101",   // a date, not minutes since 2010
        "backup-1234567",    // 7 digits
        "backup-123456789",  // 9 digits
        "backup-1736937000", // seconds, as the pre-1.21 controller wrote
        "backup-2894895a",
        "backup-+2894895",
        "-28948950",
        "28948950",
    ] {
        assert_eq!(cronjob_of_job(name), None, "{name}");
        let pod = Pod::new().controlled_by("batch/v1", "Job", name);
        assert_eq!(pod.workload(), wl(WorkloadKind::Job, name));
    }
    assert_eq!(cronjob_of_job("a-b-21038400"), Some("a-b"));
    assert_eq!(cronjob_of_job("x-21038399"), None);
}

#[test]
fn bare_pod_is_keyed_by_generate_name_else_name() {
    let generated = Pod::new().generate_name("worker-").name("worker-x7k2p");
    assert_eq!(generated.workload(), wl(WorkloadKind::Pod, "worker-"));
    assert_eq!(generated.workload().key(), "pod.shop.worker-");
    let named = Pod::new().name("debug");
    assert_eq!(named.workload(), wl(WorkloadKind::Pod, "debug"));
    let empty_generate = Pod::new().generate_name("").name("debug");
    assert_eq!(empty_generate.workload().name, "debug");
}

#[test]
fn bare_pod_without_any_name_is_an_error() {
    let err = WorkloadRef::of_pod(&Pod::new().0, Some("shop")).unwrap_err();
    assert_eq!(
        err,
        WorkloadError::MissingName {
            namespace: "shop".into()
        }
    );
}

#[test]
fn non_controller_owners_are_ignored() {
    let pod = Pod::new()
        .name("tool")
        .owner("v1", "ConfigMap", "settings", None)
        .owner("apps/v1", "StatefulSet", "not-mine", Some(false));
    assert_eq!(pod.workload(), wl(WorkloadKind::Pod, "tool"));
    let mixed = Pod::new()
        .owner("apps/v1", "StatefulSet", "other", Some(false))
        .controlled_by("apps/v1", "StatefulSet", "db");
    assert_eq!(mixed.workload(), wl(WorkloadKind::StatefulSet, "db"));
}

#[test]
fn other_controller_kinds_and_groups_are_kept_apart_from_builtins() {
    let rollout = Pod::new().controlled_by("argoproj.io/v1alpha1", "Rollout", "checkout");
    assert_eq!(
        rollout.workload(),
        wl(WorkloadKind::Other("Rollout".into()), "checkout")
    );
    assert_eq!(rollout.workload().key(), "x-Rollout.shop.checkout");
    // A "Job" from another API group is not a batch Job.
    let volcano = Pod::new().controlled_by("batch.volcano.sh/v1alpha1", "Job", "train-28948950");
    assert_eq!(volcano.workload().kind, WorkloadKind::Other("Job".into()));
    assert_eq!(volcano.workload().name, "train-28948950");
}

#[test]
fn admission_time_pod_takes_the_request_namespace() {
    let meta = Pod::new()
        .generate_name("db-")
        .controlled_by("apps/v1", "StatefulSet", "db")
        .0;
    assert_eq!(
        WorkloadRef::of_pod(&meta, Some("payments"))
            .unwrap()
            .namespace,
        "payments"
    );
    assert_eq!(
        WorkloadRef::of_pod(&meta, None).unwrap_err(),
        WorkloadError::MissingNamespace
    );
    assert_eq!(
        WorkloadRef::of_pod(&meta, Some("")).unwrap_err(),
        WorkloadError::MissingNamespace
    );
    let with_ns = Pod::new().namespace("own").name("p").0;
    assert_eq!(
        WorkloadRef::of_pod(&with_ns, None).unwrap().namespace,
        "own"
    );
    let empty_ns = Pod::new().namespace("").name("p").0;
    assert_eq!(
        WorkloadRef::of_pod(&empty_ns, Some("req"))
            .unwrap()
            .namespace,
        "req"
    );
}

#[test]
fn plain_keys_parse_back_to_the_same_workload() {
    let cases = [
        wl(WorkloadKind::Deployment, "web"),
        wl(WorkloadKind::StatefulSet, "db.primary"),
        wl(WorkloadKind::DaemonSet, "a"),
        wl(WorkloadKind::Job, "migrate-v2"),
        wl(WorkloadKind::CronJob, "nightly"),
        wl(WorkloadKind::ReplicationController, "rc1"),
        wl(WorkloadKind::ReplicaSet, "frontend"),
        wl(WorkloadKind::Pod, "worker-"),
        wl(WorkloadKind::Other("CloneSet".into()), "x.y.z"),
        WorkloadRef::new("kube-public", WorkloadKind::Deployment, "dns"),
    ];
    for w in cases {
        let key = w.key();
        assert_eq!(WorkloadRef::from_key(&key).unwrap(), w, "{key}");
    }
}

#[test]
fn same_name_in_different_kinds_or_namespaces_gives_different_keys() {
    let kinds = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
        WorkloadKind::ReplicationController,
        WorkloadKind::ReplicaSet,
        WorkloadKind::Pod,
        WorkloadKind::Other("Deployment".into()),
    ];
    let mut keys: HashSet<String> = kinds.iter().map(|k| wl(k.clone(), "web").key()).collect();
    keys.insert(WorkloadRef::new("shop2", WorkloadKind::Deployment, "web").key());
    // "a.b" in namespace "c" vs "b" in namespace "c.a" cannot happen: namespaces have no dots.
    keys.insert(WorkloadRef::new("shop", WorkloadKind::Deployment, "web.x").key());
    assert_eq!(keys.len(), kinds.len() + 2);
}

#[test]
fn long_names_are_truncated_with_a_stable_hash_and_stay_valid_keys() {
    let long = "a".repeat(253);
    let w = WorkloadRef::new(
        "team-with-a-long-namespace-name",
        WorkloadKind::Deployment,
        &long,
    );
    let key = w.key();
    assert_eq!(key.len(), MAX_KEY_LEN);
    assert!(key.starts_with("deploy.team-with-a-long-namespace-name.aaaa"));
    assert!(key.chars().all(is_key_char));
    assert_eq!(key, w.key(), "deterministic");
    // A different long name with the same prefix gets a different key.
    let other = WorkloadRef::new(&w.namespace, WorkloadKind::Deployment, format!("{long}b"));
    assert_ne!(other.key(), key);
    assert_eq!(other.key().len(), MAX_KEY_LEN);
    assert_eq!(
        WorkloadRef::from_key(&key).unwrap_err(),
        KeyError::Hashed(key.clone())
    );
}

#[test]
fn key_exactly_at_the_limit_stays_plain() {
    let name = "n".repeat(MAX_KEY_LEN - "deploy.shop.".len());
    let w = wl(WorkloadKind::Deployment, &name);
    assert_eq!(w.key().len(), MAX_KEY_LEN);
    assert_eq!(WorkloadRef::from_key(&w.key()).unwrap(), w);
    let over = wl(WorkloadKind::Deployment, &format!("{name}n"));
    assert!(over.key().contains(".."));
}

#[test]
fn unusual_characters_are_hashed_into_a_valid_key() {
    // Owner names are not validated as DNS names; a key must stay valid whatever they hold.
    for w in [
        wl(WorkloadKind::Other("Weird.Kind".into()), "x"),
        wl(WorkloadKind::Other(String::new()), "x"),
        wl(WorkloadKind::Pod, "has space/slash:colon"),
        wl(WorkloadKind::Pod, "dots..inside"),
        wl(WorkloadKind::Pod, ".leading"),
        wl(WorkloadKind::Pod, "ünïcode"),
        WorkloadRef::new("ns.with.dots", WorkloadKind::Pod, "p"),
    ] {
        let key = w.key();
        assert!(key.contains(".."), "{key}");
        assert!(key.len() <= MAX_KEY_LEN);
        assert!(key.chars().all(is_key_char), "{key}");
        assert!(!key.starts_with(".."), "{key}");
    }
}

#[test]
fn malformed_keys_are_rejected() {
    for key in [
        "",
        "deploy",
        "deploy.shop",
        "deploy.shop.",
        "deploy..web",
        "nope.shop.web",
        "x-.shop.web",
        "pod.shop.a b",
    ] {
        assert!(WorkloadRef::from_key(key).is_err(), "{key:?}");
    }
    assert_eq!(
        WorkloadRef::from_key("deploy.shop")
            .unwrap_err()
            .to_string(),
        r#"malformed workload key "deploy.shop": expected <kind>.<namespace>.<name>"#
    );
}

#[test]
fn fnv1a64_matches_the_published_test_vectors() {
    // From the FNV reference test suite (FNV-1a, 64 bit).
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"\0"), 0xaf63_bd4c_8601_b7df);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn display_reads_like_kubectl() {
    assert_eq!(
        wl(WorkloadKind::Deployment, "web").to_string(),
        "Deployment shop/web"
    );
    assert_eq!(
        wl(WorkloadKind::Other("Rollout".into()), "c").to_string(),
        "Rollout shop/c"
    );
}
