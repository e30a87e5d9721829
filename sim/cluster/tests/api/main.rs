//! Scenarios against the simulated API server through kube-rs `Api<T>` over HTTP: CRUD,
//! optimistic concurrency, watch order and 410 recovery, ConfigMap limits, leases, events and
//! namespaces; `requests` holds the request-level ones (Status bodies for bad requests, injected
//! faults, paging, metadata-only views, stored quantities).

#[path = "../common/mod.rs"]
mod common;
mod requests;

use std::collections::BTreeMap;

use common::{start, status_of};
use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ObjectReference};
use k8s_openapi::api::events::v1::Event as EventV1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use rightsize_sim_cluster::testing::WAIT;
use serde_json::json;

fn cm(name: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    }
}

#[tokio::test]
async fn stale_update_conflicts_and_generate_name_creates_unique_names() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(sim.client().unwrap(), "default");
    let pp = PostParams::default();
    let first = cms
        .create(&pp, &cm("settings", &[("a", "1")]))
        .await
        .unwrap();
    let mut fresh = first.clone();
    fresh.data = Some(BTreeMap::from([("a".into(), "2".into())]));
    cms.replace("settings", &pp, &fresh).await.unwrap();

    let mut stale = first.clone();
    stale.data = Some(BTreeMap::from([("a".into(), "3".into())]));
    let s = status_of(cms.replace("settings", &pp, &stale).await);
    assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
    assert!(
        s.message.contains("the object has been modified"),
        "{}",
        s.message
    );

    let s = status_of(cms.create(&pp, &cm("settings", &[])).await);
    assert_eq!((s.code, s.reason.as_str()), (409, "AlreadyExists"));

    let template = ConfigMap {
        metadata: ObjectMeta {
            generate_name: Some("shard-".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let a = cms
        .create(&pp, &template)
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    let b = cms
        .create(&pp, &template)
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    assert!(
        a.starts_with("shard-") && a.len() == "shard-".len() + 5,
        "{a}"
    );
    assert_ne!(a, b);
}

#[tokio::test]
async fn configmap_over_one_mebibyte_and_bad_keys_are_invalid() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(sim.client().unwrap(), "default");
    let big = "x".repeat(1024 * 1024 + 1);
    let s = status_of(
        cms.create(&PostParams::default(), &cm("big", &[("blob", &big)]))
            .await,
    );
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(s.message.contains("1048576"), "{}", s.message);

    let exactly = "x".repeat(1024 * 1024);
    cms.create(&PostParams::default(), &cm("limit", &[("blob", &exactly)]))
        .await
        .unwrap();

    let s = status_of(
        cms.create(&PostParams::default(), &cm("keys", &[("no/slash", "v")]))
            .await,
    );
    assert_eq!(s.code, 422);
    assert!(
        s.message
            .contains("a valid config key must consist of alphanumeric characters"),
        "{}",
        s.message
    );

    // A body over the server's 3 MiB request limit is refused before decoding.
    let huge = "y".repeat(3 * 1024 * 1024 + 10);
    let s = status_of(
        cms.create(&PostParams::default(), &cm("huge", &[("blob", &huge)]))
            .await,
    );
    assert_eq!((s.code, s.reason.as_str()), (413, "RequestEntityTooLarge"));
}

#[tokio::test]
async fn watcher_sees_changes_in_order_and_recovers_from_expired_history() {
    let sim = start().await;
    let client = sim.client().unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let stream = watcher(cms.clone(), watcher::Config::default().labels("team=sim"));
    let mut stream = Box::pin(stream);
    async fn next<S>(s: &mut S) -> watcher::Event<ConfigMap>
    where
        S: futures_util::Stream<Item = Result<watcher::Event<ConfigMap>, watcher::Error>> + Unpin,
    {
        tokio::time::timeout(WAIT, StreamExt::next(s))
            .await
            .expect("watch event in time")
            .expect("stream open")
            .expect("no watch error")
    }
    // Initial list of an empty selection.
    assert!(matches!(next(&mut stream).await, watcher::Event::Init));
    assert!(matches!(next(&mut stream).await, watcher::Event::InitDone));

    let mut obj = cm("watched", &[("v", "1")]);
    obj.metadata.labels = Some(BTreeMap::from([("team".into(), "sim".into())]));
    let pp = PostParams::default();
    cms.create(&pp, &obj).await.unwrap();
    cms.patch(
        "watched",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"v": "2"}})),
    )
    .await
    .unwrap();
    cms.delete("watched", &DeleteParams::default())
        .await
        .unwrap();

    let mut seen = Vec::new();
    while seen.len() < 3 {
        match next(&mut stream).await {
            watcher::Event::Apply(c) => seen.push(format!("apply:{}", c.data.unwrap()["v"])),
            watcher::Event::Delete(c) => seen.push(format!("delete:{}", c.data.unwrap()["v"])),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["apply:1", "apply:2", "delete:2"]);

    // Force a 410: history is compacted and the stream dropped; the watcher must re-list.
    sim.expire_watch_history();
    sim.faults().drop_watches();
    obj.metadata.name = Some("after-expiry".into());
    cms.create(&pp, &obj).await.unwrap();
    let mut relisted = false;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watcher never saw the object created after the 410"
        );
        // The 410 surfaces as one watch error, after which the watcher re-lists.
        match tokio::time::timeout(WAIT, StreamExt::next(&mut stream))
            .await
            .expect("event in time")
            .expect("stream open")
        {
            Ok(watcher::Event::Init) => relisted = true,
            Ok(watcher::Event::InitApply(c) | watcher::Event::Apply(c))
                if c.metadata.name.as_deref() == Some("after-expiry") =>
            {
                break;
            }
            _ => {}
        }
    }
    assert!(relisted, "the watcher re-listed after 410 Expired");
}

#[tokio::test]
async fn leases_support_optimistic_renewal() {
    let sim = start().await;
    let leases: Api<Lease> = Api::namespaced(sim.client().unwrap(), "kube-node-lease");
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some("rightsize-controller".into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("a".into()),
            lease_duration_seconds: Some(15),
            ..Default::default()
        }),
    };
    let created = leases.create(&PostParams::default(), &lease).await.unwrap();
    let mut renewed = created.clone();
    renewed.spec.as_mut().unwrap().holder_identity = Some("b".into());
    let after = leases
        .replace("rightsize-controller", &PostParams::default(), &renewed)
        .await
        .unwrap();
    assert_eq!(after.spec.unwrap().holder_identity.as_deref(), Some("b"));
    let s = status_of(
        leases
            .replace("rightsize-controller", &PostParams::default(), &created)
            .await,
    );
    assert_eq!(s.code, 409);
    // Server-side apply with create-if-missing, as kube-rs users take leases.
    let pp = PatchParams::apply("sim-test").force();
    let applied = leases
        .patch(
            "other",
            &pp,
            &Patch::Apply(
                json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "other"}, "spec": {"holderIdentity": "c"}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(applied.spec.unwrap().holder_identity.as_deref(), Some("c"));
}

#[tokio::test]
async fn events_written_as_events_k8s_io_are_listed_as_core_events() {
    let sim = start().await;
    let client = sim.client().unwrap();
    let events: Api<EventV1> = Api::namespaced(client.clone(), "default");
    let ev = EventV1 {
        metadata: ObjectMeta {
            name: Some("web-1.17f".into()),
            ..Default::default()
        },
        event_time: Some(MicroTime(k8s_openapi::jiff::Timestamp::now())),
        reason: Some("Resized".into()),
        note: Some("memory 256Mi -> 384Mi".into()),
        type_: Some("Normal".into()),
        action: Some("Resize".into()),
        reporting_controller: Some("rightsize.dev/controller".into()),
        reporting_instance: Some("controller-0".into()),
        regarding: Some(ObjectReference {
            kind: Some("Pod".into()),
            name: Some("web-1".into()),
            namespace: Some("default".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    events.create(&PostParams::default(), &ev).await.unwrap();
    let core: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client, "default");
    let list = core
        .list(&ListParams::default().fields("involvedObject.name=web-1"))
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(
        list.items[0].message.as_deref(),
        Some("memory 256Mi -> 384Mi")
    );
    assert_eq!(list.items[0].reason.as_deref(), Some("Resized"));
    let back = events.get("web-1.17f").await.unwrap();
    assert_eq!(back.note.as_deref(), Some("memory 256Mi -> 384Mi"));
}

#[tokio::test]
async fn namespaces_with_labels_and_missing_namespaces() {
    let sim = start().await;
    let client = sim.client().unwrap();
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some("shop".into()),
            labels: Some(BTreeMap::from([(
                "rightsize.dev/enabled".into(),
                "true".into(),
            )])),
            ..Default::default()
        },
        ..Default::default()
    };
    nss.create(&PostParams::default(), &ns).await.unwrap();
    let got = nss
        .list(&ListParams::default().labels("rightsize.dev/enabled in (true,yes)"))
        .await
        .unwrap();
    assert_eq!(got.items.len(), 1);
    assert_eq!(
        got.items[0].metadata.labels.as_ref().unwrap()["kubernetes.io/metadata.name"],
        "shop"
    );
    let cms: Api<ConfigMap> = Api::namespaced(client, "nowhere");
    let s = status_of(cms.create(&PostParams::default(), &cm("x", &[])).await);
    assert_eq!((s.code, s.reason.as_str()), (404, "NotFound"));
}
