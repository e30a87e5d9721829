//! End to end against the simulated cluster over real HTTP/TLS: `rightsize_certs::reconcile`
//! makes the certificates and patches the caBundle of the registered MutatingWebhookConfiguration
//! (`clientConfig.service`, resolved by `SimConfig::service_endpoints`, verified as
//! `rightsize-webhook.rightsize-system.svc`); the real webhook server runs in-process on the
//! Secret's files, laid out as the kubelet mounts them, with the real HistoryView and cluster
//! caches. Pods of a Deployment with history come up sized; a certificate rotated by swapping
//! `..data` is served to new connections and every call of a CA renewal verifies; with the
//! webhook stopped and `failurePolicy: Ignore`, pods are still created.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{Api, ListParams, PostParams};
use rightsize_certs::{CertSpec, days, reconcile};
use rightsize_history::{HistoryConfig, HistoryMetrics, HistoryView, HistoryWriter};
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::quantity::Quantity;
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_sim_cluster::testing::{WAIT, eventually};
use rightsize_sim_cluster::{SimCluster, SimConfig};
use rightsize_webhook::admission::AdmissionConfig;
use rightsize_webhook::app::{App, ClusterState};
use rightsize_webhook::metrics::{Outcome, WebhookMetrics};
use rightsize_webhook::server::{self, TlsServer};
use rightsize_webhook::tls::ReloadingCert;
use serde_json::json;
use support::pki::{SecretVolume, client_config, handshake};

const SYSTEM: &str = "rightsize-system";
const SERVICE: &str = "rightsize-webhook";
const SECRET: &str = "rightsize-webhook-tls";
const CONFIG: &str = "rightsize";
const SERVER_NAME: &str = "rightsize-webhook.rightsize-system.svc";
const ADMITTED: &str = "rightsize.dev/admitted";
use rightsize_policy::seed::MIB;

/// Certificates that are always due for the next rotation step, with no settling time, so
/// consecutive reconciles walk a whole CA renewal (as the certs crate's own test does).
fn rotating_spec() -> CertSpec {
    let mut s = CertSpec::new(SERVICE, SYSTEM, SECRET, CONFIG);
    s.ca_validity = days(20);
    s.serving_validity = days(10);
    s.renew_before = days(25);
    s.settle = Duration::ZERO;
    s
}

fn configuration() -> MutatingWebhookConfiguration {
    serde_json::from_value(json!({"metadata": {"name": CONFIG}, "webhooks": [{
        "name": "pods.rightsize.dev",
        "clientConfig": {"service": {"namespace": SYSTEM, "name": SERVICE, "path": "/mutate", "port": 443}},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "namespaceSelector": {"matchLabels": {"rightsize.dev/enabled": "true"}},
        "failurePolicy": "Ignore", "timeoutSeconds": 2, "sideEffects": "None",
        "admissionReviewVersions": ["v1"], "reinvocationPolicy": "IfNeeded",
    }]}))
    .unwrap()
}

async fn namespace(client: &kube::Client, name: &str, labels: serde_json::Value) {
    let ns = json!({"metadata": {"name": name, "labels": labels}});
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &serde_json::from_value(ns).unwrap())
        .await
        .unwrap();
}

/// The Secret's files as (name, bytes).
async fn secret_files(client: &kube::Client) -> Vec<(String, Vec<u8>)> {
    let s = Api::<Secret>::namespaced(client.clone(), SYSTEM)
        .get(SECRET)
        .await
        .unwrap();
    assert_eq!(s.type_.as_deref(), Some("kubernetes.io/tls"));
    let data = s.data.unwrap();
    ["tls.crt", "tls.key", "ca.crt"]
        .iter()
        .map(|k| (k.to_string(), data[*k].0.clone()))
        .collect()
}

fn as_files(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect()
}

async fn reconcile_step(client: &kube::Client, spec: &CertSpec) -> String {
    let out = reconcile(client, spec, SystemTime::now()).await.unwrap();
    format!("{:?}", out.plan)
        .split([' ', '{'])
        .next()
        .unwrap()
        .to_owned()
}

/// Two days of a 300 MiB peak for Deployment shop/cart, container app, ending now.
fn learned_profile() -> UsageProfile {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let mut p = UsageProfile::new();
    for h in (0..48).rev() {
        let t = now - f64::from(h) * 3600.0;
        p.record(t, 300.0 * MIB);
        p.count_replica(t);
    }
    p
}

fn memory_limit(pod: &Pod) -> Quantity {
    let c = &pod.spec.as_ref().unwrap().containers[0];
    let q = &c.resources.as_ref().unwrap().limits.as_ref().unwrap()["memory"];
    Quantity::parse(&q.0).unwrap()
}

fn admitted(pod: &Pod) -> bool {
    pod.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(ADMITTED))
}

/// A pod of the `cart` Deployment's ReplicaSet, as its controller would create it (labels kept
/// out of the ReplicaSet's selector, so it does not scale the pod away).
fn cart_pod(template: &Pod) -> Pod {
    let owner = &template.metadata.owner_references.as_ref().unwrap()[0];
    let hash = &template.metadata.labels.as_ref().unwrap()["pod-template-hash"];
    serde_json::from_value(json!({
        "metadata": {"generateName": format!("{}-", owner.name),
            "labels": {"app": "cart-extra", "pod-template-hash": hash},
            "ownerReferences": [owner]},
        "spec": {"containers": [{"name": "app", "image": "cart:1",
            "resources": {"requests": {"memory": "128Mi"}, "limits": {"memory": "256Mi"}}}]}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_are_sized_over_tls_through_rotation_renewal_and_a_stopped_webhook() {
    rightsize_webhook::tls::install_default_provider();
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    // The webhook's port is reserved first, so the sim can resolve the Service to it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = SimCluster::start(SimConfig {
        service_endpoints: HashMap::from([(format!("{SYSTEM}/{SERVICE}"), addr)]),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = sim.client().unwrap();
    namespace(&client, SYSTEM, json!({})).await;
    // The Service deploy/ ships: the webhook configuration reaches the webhook through it.
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/base");
    sim.create_from_files(&[&deploy.join("webhook.yaml")], &["Service"], SYSTEM)
        .await
        .unwrap();
    // Each binary's part runs as its deploy/ ServiceAccount, authorised by deploy/'s RBAC: a
    // missing grant fails here. `client` (the administrator) only sets the scenario up.
    sim.install_rbac(&deploy).await.unwrap();
    let as_sa = |name: &'static str| sim.service_account_client(SYSTEM, name);
    let certs_client = as_sa("rightsize-certs").await.unwrap();
    let webhook_client = as_sa("rightsize-webhook").await.unwrap();
    let controller_client = as_sa("rightsize-controller").await.unwrap();
    namespace(&client, "shop", json!({"rightsize.dev/enabled": "true"})).await;
    Api::<MutatingWebhookConfiguration>::all(client.clone())
        .create(&PostParams::default(), &configuration())
        .await
        .unwrap();

    // Certificates: the certs crate creates the Secret and publishes the caBundle.
    let spec = rotating_spec();
    assert_eq!(reconcile_step(&certs_client, &spec).await, "Create");
    let mwc = Api::<MutatingWebhookConfiguration>::all(client.clone())
        .get(CONFIG)
        .await
        .unwrap();
    assert!(mwc.webhooks.unwrap()[0].client_config.ca_bundle.is_some());
    let dir = tempfile::tempdir().unwrap();
    let files = secret_files(&client).await;
    let volume = SecretVolume::new(dir.path(), &as_files(&files));

    // History for Deployment shop/cart, written by the store's own writer.
    let writer = HistoryWriter::new(
        controller_client.clone(),
        HistoryConfig::new(SYSTEM),
        HistoryMetrics::default(),
    );
    writer.update(
        &WorkloadRef::new("shop", WorkloadKind::Deployment, "cart"),
        "app",
        &learned_profile(),
    );
    writer.flush_now().await.unwrap();

    // The webhook, as `run` wires it.
    let metrics = WebhookMetrics::default();
    let view = Arc::new(HistoryView::start(
        webhook_client.clone(),
        SYSTEM,
        HistoryMetrics::default(),
    ));
    tokio::time::timeout(WAIT, view.ready()).await.unwrap();
    let app = Arc::new(App::new(
        view.clone(),
        AdmissionConfig::default(),
        ClusterState::watch(&webhook_client),
        metrics.clone(),
    ));
    let cert = ReloadingCert::load(
        volume.path("tls.crt"),
        volume.path("tls.key"),
        metrics.clone(),
    )
    .unwrap();
    let tls = TlsServer::start_on(listener, Arc::new(cert), server::router(app)).unwrap();

    // A Deployment created after its history exists: its pods come up with the learned sizes.
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let d: Deployment = serde_json::from_value(json!({"metadata": {"name": "cart"}, "spec": {"replicas": 2,
        "selector": {"matchLabels": {"app": "cart"}},
        "template": {"metadata": {"labels": {"app": "cart"}}, "spec": {"containers": [{"name": "app", "image": "cart:1",
            "resources": {"requests": {"memory": "128Mi"}, "limits": {"memory": "256Mi"}}}]}}}}))
    .unwrap();
    deploys.create(&PostParams::default(), &d).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let sized = eventually("2 cart pods", || async {
        let l = pods
            .list(&ListParams::default().labels("app=cart"))
            .await
            .ok()?;
        (l.items.len() == 2).then_some(l.items)
    })
    .await;
    let declared = Quantity::parse("256Mi").unwrap();
    for pod in &sized {
        assert!(
            admitted(pod),
            "{}; reviews patched {} unchanged {} malformed {}",
            serde_json::to_string(pod).unwrap(),
            metrics.reviews(Outcome::Patched),
            metrics.reviews(Outcome::Unchanged),
            metrics.reviews(Outcome::Malformed)
        );
        assert!(memory_limit(pod) > declared, "{:?}", memory_limit(pod));
    }
    assert_eq!(metrics.reviews(Outcome::Patched), 2);
    assert!(metrics.history_lookups(true) >= 2);
    let template = sized[0].clone();
    let admit = || {
        let (pods, template, metrics) = (pods.clone(), template.clone(), metrics.clone());
        async move {
            let p = pods
                .create(&PostParams::default(), &cart_pod(&template))
                .await
                .unwrap();
            assert!(
                admitted(&p),
                "the webhook did not size the pod (call not verified?): patched {} unchanged {}",
                metrics.reviews(Outcome::Patched),
                metrics.reviews(Outcome::Unchanged)
            );
        }
    };

    // A CA renewal: every call in between verifies (a failed verification would leave the pod
    // unsized under failurePolicy Ignore), and each Secret change reaches the mounted files by a
    // `..data` swap; new connections get the new serving certificate.
    let calls_before = metrics.reviews(Outcome::Patched);
    assert_eq!(reconcile_step(&certs_client, &spec).await, "AddCa");
    admit().await;
    volume.update(&as_files(&secret_files(&client).await));
    admit().await;
    assert_eq!(reconcile_step(&certs_client, &spec).await, "SwitchServing");
    admit().await; // the old pair, still trusted: CA1 is in the bundle
    let files = secret_files(&client).await;
    volume.update(&as_files(&files));
    let ca_bundle = String::from_utf8(files[2].1.clone()).unwrap();
    let seen = handshake(
        addr,
        SERVER_NAME,
        client_config(&ca_bundle, &[b"h2"], &[&rustls::version::TLS13]),
    )
    .await
    .unwrap();
    let served = rustls::pki_types::CertificateDer::from_pem_slice(&files[0].1);
    use rustls::pki_types::pem::PemObject;
    assert_eq!(
        seen.leaf_der,
        served.unwrap().to_vec(),
        "new connections get the new pair"
    );
    admit().await;
    assert_eq!(reconcile_step(&certs_client, &spec).await, "DropOldCas");
    admit().await;
    volume.update(&as_files(&secret_files(&client).await));
    admit().await;
    assert_eq!(metrics.reviews(Outcome::Patched), calls_before + 6);
    assert!(metrics.cert_reloads(true) >= 2);
    assert_eq!(metrics.cert_reloads(false), 0);

    // The cluster caches see the simulated node (8Gi allocatable by default).
    let cluster = ClusterState::watch(&webhook_client);
    let node = eventually("the largest node", || {
        let n = *cluster.largest_node.get();
        async move { n }
    })
    .await;
    assert_eq!(node.memory, Some(Quantity::parse("8Gi").unwrap()));

    // The webhook stops: with failurePolicy Ignore, pods are still created, unsized.
    tls.shutdown(Duration::from_secs(1)).await.unwrap();
    let p = pods
        .create(&PostParams::default(), &cart_pod(&template))
        .await
        .expect("failurePolicy Ignore admits the pod without the webhook");
    assert!(!admitted(&p));
    assert_eq!(memory_limit(&p), declared);
    drop(sim);
}
