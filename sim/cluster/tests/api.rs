//! Scenarios against the simulated API server through kube-rs `Api<T>` over HTTP: CRUD,
//! optimistic concurrency, watch order and 410 recovery, ConfigMap limits, leases, events, and
//! Kubernetes-style Status bodies for bad requests.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{WAIT, start, status_of};
use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ObjectReference};
use k8s_openapi::api::events::v1::Event as EventV1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, DeleteParams, ListParams, PartialObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
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

/// Raw HTTP checks of error bodies, without a Kubernetes client in the way.
#[tokio::test]
async fn bad_requests_get_status_bodies() {
    let sim = start().await;
    let base = sim.url();
    let client = sim.client().unwrap();
    async fn send(
        client: &kube::Client,
        base: &str,
        method: &str,
        path: &str,
        ct: &str,
        body: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let req = axum::http::Request::builder()
            .method(method)
            .uri(format!("{base}{path}"))
            .header("content-type", ct)
            .body(body)
            .unwrap();
        let resp = client
            .send(req.map(kube::client::Body::from))
            .await
            .unwrap();
        let code = resp.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("JSON body for {path}"));
        (code, v)
    }
    /// method, path, content type, body, expected code, expected reason
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Vec<u8>,
        u16,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "GET",
            "/api/v1/widgets",
            "application/json",
            vec![],
            404,
            "NotFound",
        ),
        (
            "GET",
            "/apis/nope.example/v1/things",
            "application/json",
            vec![],
            404,
            "NotFound",
        ),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            b"{not json".to_vec(),
            400,
            "BadRequest",
        ),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            br#"{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}"#.to_vec(),
            400,
            "BadRequest",
        ),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}"#.to_vec(),
            400,
            "BadRequest",
        ),
        (
            "GET",
            "/api/v1/pods?labelSelector=a%20in%20(b",
            "application/json",
            vec![],
            400,
            "BadRequest",
        ),
        (
            "GET",
            "/api/v1/pods?fieldSelector=spec.bogus%3D1",
            "application/json",
            vec![],
            400,
            "BadRequest",
        ),
        (
            "PATCH",
            "/api/v1/namespaces/default/configmaps/missing",
            "application/merge-patch+json",
            b"{}".to_vec(),
            404,
            "NotFound",
        ),
        (
            "PATCH",
            "/api/v1/namespaces/default/configmaps/x",
            "text/plain",
            b"{}".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            vec![b' '; 3 * 1024 * 1024 + 1],
            413,
            "RequestEntityTooLarge",
        ),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}"#.to_vec(),
            422,
            "Invalid",
        ),
    ];
    for (method, path, ct, body, code, reason) in cases {
        let (got, v) = send(&client, &base, method, path, ct, body).await;
        assert_eq!(got, code, "{method} {path}: {v}");
        assert_eq!(v["kind"], "Status", "{method} {path}");
        assert_eq!(v["reason"], reason, "{method} {path}: {v}");
        assert_eq!(v["code"], code);
    }
}

#[tokio::test]
async fn injected_faults_surface_as_status_errors() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(sim.client().unwrap(), "default");
    cms.create(&PostParams::default(), &cm("f", &[]))
        .await
        .unwrap();
    sim.faults().set_error_rate(1.0);
    assert_eq!(status_of(cms.get("f").await).code, 500);
    sim.faults().set_error_rate(0.0);
    sim.faults().set_conflict_rate(1.0);
    let s = status_of(
        cms.patch(
            "f",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"a": "b"}})),
        )
        .await,
    );
    assert_eq!(s.code, 409);
    sim.faults().clear();
    sim.faults().set_latency(Duration::from_millis(50));
    let t = std::time::Instant::now();
    cms.get("f").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn list_pages_with_limit_and_continue_and_filters_by_label() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(sim.client().unwrap(), "default");
    for i in 0..5 {
        let mut c = cm(&format!("page-{i}"), &[("i", "x")]);
        c.metadata.labels = Some(BTreeMap::from([(
            "parity".to_string(),
            if i % 2 == 0 { "even" } else { "odd" }.to_string(),
        )]));
        cms.create(&PostParams::default(), &c).await.unwrap();
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    for page in 0.. {
        let mut lp = ListParams::default().limit(2);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let list = cms.list(&lp).await.unwrap();
        assert!(list.items.len() <= 2);
        if page == 0 {
            assert_eq!(list.metadata.remaining_item_count, Some(3));
        }
        names.extend(list.items.iter().filter_map(|c| c.metadata.name.clone()));
        token = list.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
        assert!(page < 5, "paging does not end");
    }
    assert_eq!(names, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
    let even = cms
        .list(&ListParams::default().labels("parity=even"))
        .await
        .unwrap();
    let even: Vec<_> = even
        .items
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    assert_eq!(even, ["page-0", "page-2", "page-4"]);
}

#[tokio::test]
async fn metadata_only_get_list_and_watch_serve_partial_object_metadata() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(sim.client().unwrap(), "default");
    cms.create(&PostParams::default(), &cm("meta", &[("big", "value")]))
        .await
        .unwrap();
    let one = cms.get_metadata("meta").await.unwrap();
    assert_eq!(
        one.types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );
    assert_eq!(one.metadata.name.as_deref(), Some("meta"));
    let list = cms.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(list.types.kind, "PartialObjectMetadataList");
    assert_eq!(list.items.len(), 1);
    assert_eq!(
        list.items[0].types.as_ref().map(|t| t.api_version.as_str()),
        Some("meta.k8s.io/v1")
    );

    // `Api<PartialObjectMeta<K>>` makes kube-rs ask for metadata only (Accept as=...).
    let meta_api: Api<PartialObjectMeta<ConfigMap>> =
        Api::namespaced(sim.client().unwrap(), "default");
    let mut events = watcher(meta_api, watcher::Config::default()).boxed();
    let mut next = async |initial: bool| {
        tokio::time::timeout(WAIT, async {
            loop {
                match events.next().await {
                    Some(Ok(watcher::Event::InitApply(o))) if initial => break o,
                    Some(Ok(watcher::Event::Apply(o))) if !initial => break o,
                    _ => {}
                }
            }
        })
        .await
        .unwrap()
    };
    let first = next(true).await;
    assert_eq!(first.metadata.name.as_deref(), Some("meta"));
    cms.create(&PostParams::default(), &cm("meta-2", &[]))
        .await
        .unwrap();
    let added = next(false).await;
    assert_eq!(added.metadata.name.as_deref(), Some("meta-2"));
    assert_eq!(
        added.types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );
}

#[tokio::test]
async fn quantities_are_stored_in_the_api_server_form() {
    use k8s_openapi::api::core::v1::Pod;
    let sim = start().await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "q"},
        "spec": {"containers": [{"name": "c", "image": "i", "resources": {
            "requests": {"cpu": "1000m", "memory": "0.5Gi"},
            "limits": {"cpu": "2000m", "memory": "1073741824"}}}]},
    }))
    .unwrap();
    let created = pods.create(&PostParams::default(), &pod).await.unwrap();
    let res = created.spec.unwrap().containers[0]
        .resources
        .clone()
        .unwrap();
    let requests = res.requests.unwrap();
    assert_eq!(requests["cpu"].0, "1");
    assert_eq!(requests["memory"].0, "512Mi");
    let limits = res.limits.unwrap();
    assert_eq!(limits["cpu"].0, "2");
    // apimachinery's fast path keeps a short plain integer as written.
    assert_eq!(limits["memory"].0, "1073741824");
}
