//! core/v1 Secrets through real clients: kube-rs (JSON) and kubectl's typed `create secret`
//! commands (protobuf). `stringData` lands in `data`, bad base64 is a 400, the rules of
//! `ValidateSecret` / `ValidateSecretUpdate` give 422s, and list/watch see Secrets like any kind.

mod common;

use std::collections::BTreeMap;

use common::{start, status_of};
use futures_util::StreamExt;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use rightsize_sim_cluster::testing::kubectl::{self, ok, refused};
use rightsize_sim_cluster::testing::{eventually, kubectl::run_in as run};
use serde_json::json;

async fn namespace(client: &kube::Client, name: &str) {
    let nss: Api<Namespace> = Api::all(client.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": name}})).unwrap(),
    )
    .await
    .unwrap();
}

fn secret(v: serde_json::Value) -> Secret {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn tls_secret_round_trips_with_string_data_merged_and_type_defaulted() {
    let sim = start().await;
    let client = sim.client().unwrap();
    namespace(&client, "certs").await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "certs");

    let made = api
        .create(
            &PostParams::default(),
            &secret(
                json!({"metadata": {"name": "serving"}, "type": "kubernetes.io/tls",
                "data": {"tls.key": "a2V5"},
                "stringData": {"tls.crt": "cert", "ca.crt": "ca"}}),
            ),
        )
        .await
        .unwrap();
    assert!(made.string_data.is_none(), "stringData is never served");
    let data = made.data.unwrap();
    assert_eq!(data["tls.crt"], ByteString(b"cert".to_vec()));
    assert_eq!(data["tls.key"], ByteString(b"key".to_vec()));
    assert_eq!(data["ca.crt"], ByteString(b"ca".to_vec()));

    let plain = api
        .create(
            &PostParams::default(),
            &secret(json!({"metadata": {"name": "plain"}, "stringData": {"a": "b"}})),
        )
        .await
        .unwrap();
    assert_eq!(plain.type_.as_deref(), Some("Opaque"));

    // A merge patch with stringData overwrites that key in data and keeps the others.
    let patched = api
        .patch(
            "serving",
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData": {"ca.crt": "ca2"}})),
        )
        .await
        .unwrap();
    let data = patched.data.unwrap();
    assert_eq!(data["ca.crt"], ByteString(b"ca2".to_vec()));
    assert_eq!(data["tls.crt"], ByteString(b"cert".to_vec()));

    // Listed and selected by type (the one extra field label Secrets have).
    let tls = api
        .list(&ListParams::default().fields("type=kubernetes.io/tls"))
        .await
        .unwrap();
    let names: Vec<_> = tls
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect();
    assert_eq!(names, ["serving"]);
}

#[tokio::test]
async fn invalid_secrets_are_refused_with_the_api_servers_codes() {
    let sim = start().await;
    let client = sim.client().unwrap();
    namespace(&client, "certs").await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "certs");
    let pp = PostParams::default();

    // Not base64: the body cannot be decoded, 400 before validation.
    let raw = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"},
        "data": {"a": "%%%"}});
    let req = axum::http::Request::post("/api/v1/namespaces/certs/secrets")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&raw).unwrap())
        .unwrap();
    let s = status_of(client.request::<Secret>(req).await);
    assert_eq!(s.code, 400, "{s:?}");
    assert!(s.message.contains("illegal base64"), "{}", s.message);

    // kubernetes.io/tls without tls.key.
    let s = status_of(
        api.create(
            &pp,
            &secret(
                json!({"metadata": {"name": "t"}, "type": "kubernetes.io/tls",
                "stringData": {"tls.crt": "c"}}),
            ),
        )
        .await,
    );
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(
        s.message.contains("data[tls.key]: Required value"),
        "{}",
        s.message
    );

    // A key outside [-._a-zA-Z0-9]+.
    let s = status_of(
        api.create(
            &pp,
            &secret(json!({"metadata": {"name": "k"}, "stringData": {"a/b": "x"}})),
        )
        .await,
    );
    assert_eq!(s.code, 422);
    assert!(s.message.contains("data[a/b]"), "{}", s.message);

    // Over 1 MiB of decoded data.
    let big = "x".repeat(1024 * 1024 + 1);
    let s = status_of(
        api.create(
            &pp,
            &secret(json!({"metadata": {"name": "big"}, "stringData": {"a": big}})),
        )
        .await,
    );
    assert_eq!(s.code, 422);
    assert!(s.message.contains("1048576"), "{}", s.message);

    // The type never changes after creation.
    api.create(
        &pp,
        &secret(json!({"metadata": {"name": "o"}, "stringData": {"tls.crt": "c", "tls.key": "k"}})),
    )
    .await
    .unwrap();
    let s = status_of(
        api.patch(
            "o",
            &PatchParams::default(),
            &Patch::Merge(json!({"type": "kubernetes.io/tls"})),
        )
        .await,
    );
    assert_eq!(s.code, 422);
    assert!(
        s.message.contains("type: Invalid value") && s.message.contains("immutable"),
        "{}",
        s.message
    );
    let kept = api.get("o").await.unwrap();
    assert_eq!(kept.type_.as_deref(), Some("Opaque"));
}

#[tokio::test]
async fn secret_watch_sees_adds_and_modifications() {
    let sim = start().await;
    let client = sim.client().unwrap();
    namespace(&client, "certs").await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "certs");
    let rv = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = api
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    api.create(
        &PostParams::default(),
        &secret(json!({"metadata": {"name": "w"}, "stringData": {"a": "1"}})),
    )
    .await
    .unwrap();
    api.patch(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"stringData": {"a": "2"}})),
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = tokio::time::timeout(rightsize_sim_cluster::testing::WAIT, stream.next())
            .await
            .expect("watch event in time")
            .expect("stream open")
            .unwrap();
        match ev {
            WatchEvent::Added(s) | WatchEvent::Modified(s) => {
                let a: BTreeMap<_, _> = s.data.unwrap_or_default();
                seen.push(String::from_utf8(a["a"].0.clone()).unwrap());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_secret_generic_and_tls() {
    if !kubectl::required("the kubectl create secret test") {
        return;
    }
    let sim = start().await;
    let client = sim.client().unwrap();
    namespace(&client, "certs").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sim.write_kubeconfig(&d.join("kubeconfig")).unwrap();

    let out = ok(
        &run(
            d,
            &[
                "create",
                "secret",
                "generic",
                "db",
                "-n",
                "certs",
                "--from-literal=password=s3cret",
            ],
        )
        .await,
        "create secret generic",
    );
    assert_eq!(out.trim(), "secret/db created");
    let api: Api<Secret> = Api::namespaced(client.clone(), "certs");
    let db = eventually("secret db", || async { api.get("db").await.ok() }).await;
    assert_eq!(db.type_.as_deref(), Some("Opaque"));
    assert_eq!(db.data.unwrap()["password"], ByteString(b"s3cret".to_vec()));

    // A real certificate and key, as `kubectl create secret tls` reads and checks them.
    let ck = rcgen::generate_simple_self_signed(vec!["web.certs.svc".to_string()]).unwrap();
    std::fs::write(d.join("tls.crt"), ck.cert.pem()).unwrap();
    std::fs::write(d.join("tls.key"), ck.signing_key.serialize_pem()).unwrap();
    let cert = format!("--cert={}", d.join("tls.crt").display());
    let key = format!("--key={}", d.join("tls.key").display());
    ok(
        &run(
            d,
            &["create", "secret", "tls", "web", "-n", "certs", &cert, &key],
        )
        .await,
        "create secret tls",
    );
    let web = api.get("web").await.unwrap();
    assert_eq!(web.type_.as_deref(), Some("kubernetes.io/tls"));
    assert_eq!(
        web.data.unwrap()["tls.crt"],
        ByteString(ck.cert.pem().into_bytes())
    );

    let err = refused(
        &run(
            d,
            &[
                "create",
                "secret",
                "generic",
                "bad",
                "-n",
                "certs",
                "--from-literal=a/b=c",
            ],
        )
        .await,
        "create secret with a bad key",
    );
    assert!(err.contains("a/b"), "{err}");
    let listed = ok(
        &run(d, &["get", "secrets", "-n", "certs", "-o", "name"]).await,
        "get secrets",
    );
    assert_eq!(listed.trim(), "secret/db\nsecret/web");
}
