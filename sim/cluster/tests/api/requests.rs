//! Request-level scenarios against the simulated API server: Kubernetes-style Status bodies for
//! bad requests, injected faults, list paging and label filters, metadata-only get/list/watch, and
//! quantities stored in the API server's form.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PartialObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use serde_json::json;

use crate::cm;
use crate::common::{start, status_of};
use rightsize_sim_cluster::testing::WAIT;

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
