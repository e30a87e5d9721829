//! ServiceAccount tokens, RBAC enforcement and Services through kube-rs: a client built from a
//! ServiceAccount kubeconfig (`SimCluster::service_account_client`, HTTPS) is authorised by the
//! Roles and bindings in the cluster exactly as the real RBAC authorizer would (verbs including
//! `watch`, resourceNames, subresources), refused with the real 403 Status, and
//! SelfSubjectAccessReview gives the same answers; tokens stop working when their
//! ServiceAccount goes; the admin client stays unrestricted.

mod common;

use common::{start, status_of};
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchParams};
use serde_json::json;

fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

async fn setup(client: &kube::Client) {
    let pp = PostParams::default();
    Api::<Namespace>::all(client.clone())
        .create(&pp, &from(json!({"metadata": {"name": "app"}})))
        .await
        .unwrap();
    Api::<ServiceAccount>::namespaced(client.clone(), "app")
        .create(&pp, &from(json!({"metadata": {"name": "ctl"}})))
        .await
        .unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "app");
    for name in ["state", "other"] {
        cms.create(&pp, &from(json!({"metadata": {"name": name}})))
            .await
            .unwrap();
    }
}

async fn grant(client: &kube::Client, role: serde_json::Value) {
    let pp = PostParams::default();
    Api::<Role>::namespaced(client.clone(), "app")
        .create(
            &pp,
            &from(json!({"metadata": {"name": "r"}, "rules": role})),
        )
        .await
        .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), "app")
        .create(
            &pp,
            &from(json!({"metadata": {"name": "r"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                "subjects": [{"kind": "ServiceAccount", "name": "ctl", "namespace": "app"}]})),
        )
        .await
        .unwrap();
}

async fn may(client: &kube::Client, verb: &str, resource: &str, name: &str) -> bool {
    let review: SelfSubjectAccessReview = from(json!({"spec": {"resourceAttributes": {
        "namespace": "app", "verb": verb, "resource": resource, "name": name}}}));
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .unwrap();
    answer.status.unwrap().allowed
}

#[tokio::test]
async fn role_with_resource_names_allows_one_config_map_and_refuses_the_rest() {
    let sim = start().await;
    let admin = sim.client().unwrap();
    setup(&admin).await;
    grant(
        &admin,
        json!([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["state"],
            "verbs": ["get", "list", "watch", "update"]}]),
    )
    .await;
    let sa = sim.service_account_client("app", "ctl").await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(sa.clone(), "app");

    cms.get("state").await.unwrap();
    let s = status_of(cms.get("other").await);
    assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        s.message,
        "configmaps \"other\" is forbidden: User \"system:serviceaccount:app:ctl\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"app\""
    );
    // A list carries no name, unless it selects one by metadata.name (as kube-rs reflectors of
    // one object do), and then the resourceName grant covers it.
    let s = status_of(cms.list(&ListParams::default()).await);
    assert_eq!(
        s.message,
        "configmaps is forbidden: User \"system:serviceaccount:app:ctl\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"app\""
    );
    let one = cms
        .list(&ListParams::default().fields("metadata.name=state"))
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);
    let mut watch = cms
        .watch(&WatchParams::default().fields("metadata.name=state"), "0")
        .await;
    assert!(watch.is_ok(), "watch of the named object is allowed");
    drop(watch.as_mut());
    let s = status_of(cms.watch(&WatchParams::default(), "0").await.map(|_| ()));
    assert!(
        s.message.contains("cannot watch resource \"configmaps\""),
        "{}",
        s.message
    );

    // SelfSubjectAccessReview agrees with the requests.
    assert!(may(&sa, "get", "configmaps", "state").await);
    assert!(!may(&sa, "get", "configmaps", "other").await);
    assert!(!may(&sa, "list", "configmaps", "").await);
    assert!(!may(&sa, "delete", "configmaps", "state").await);
    // The administrator may do anything, also by review.
    assert!(may(&admin, "delete", "configmaps", "state").await);
    Api::<ConfigMap>::namespaced(admin.clone(), "app")
        .list(&ListParams::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn binding_to_a_missing_role_says_so_in_the_forbidden_reason() {
    let sim = start().await;
    let admin = sim.client().unwrap();
    setup(&admin).await;
    Api::<RoleBinding>::namespaced(admin.clone(), "app")
        .create(
            &PostParams::default(),
            &from(json!({"metadata": {"name": "ghost"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "ghost"},
                "subjects": [{"kind": "ServiceAccount", "name": "ctl"}]})),
        )
        .await
        .unwrap();
    let sa = sim.service_account_client("app", "ctl").await.unwrap();
    let s = status_of(Api::<ConfigMap>::namespaced(sa, "app").get("state").await);
    assert!(
        s.message.ends_with(
            "in the namespace \"app\": RBAC: role.rbac.authorization.k8s.io \"ghost\" not found"
        ),
        "{}",
        s.message
    );
}

#[tokio::test]
async fn token_request_mints_tokens_that_die_with_their_service_account() {
    let sim = start().await;
    let admin = sim.client().unwrap();
    setup(&admin).await;
    let sas: Api<ServiceAccount> = Api::namespaced(admin.clone(), "app");
    let tr = sas
        .create_token_request("ctl", &PostParams::default(), &from(json!({"spec": {}})))
        .await
        .unwrap();
    let spec = tr.spec;
    assert_eq!(spec.expiration_seconds, Some(3600));
    assert_eq!(
        spec.audiences,
        vec!["https://kubernetes.default.svc.cluster.local".to_string()]
    );
    assert!(!tr.status.unwrap().token.is_empty());
    let short: TokenRequest = from(json!({"spec": {"expirationSeconds": 60}}));
    let s = status_of(
        sas.create_token_request("ctl", &PostParams::default(), &short)
            .await,
    );
    assert_eq!(s.code, 422);
    assert!(
        s.message
            .contains("may not specify a duration less than 10 minutes"),
        "{}",
        s.message
    );
    let s = status_of(
        sas.create_token_request("nobody", &PostParams::default(), &from(json!({"spec": {}})))
            .await,
    );
    assert_eq!(s.code, 404);

    // Every namespace has its default ServiceAccount.
    sas.get("default").await.unwrap();

    let sa = sim.service_account_client("app", "ctl").await.unwrap();
    // Discovery is granted to everyone authenticated (system:discovery).
    sa.apiserver_version().await.unwrap();
    sas.delete("ctl", &DeleteParams::default()).await.unwrap();
    let e = Api::<ConfigMap>::namespaced(sa, "app").get("state").await;
    assert_eq!(
        status_of(e).code,
        401,
        "the token is bound to the deleted ServiceAccount"
    );
}

#[tokio::test]
async fn services_get_cluster_ips_from_the_service_cidr() {
    let sim = start().await;
    let admin = sim.client().unwrap();
    setup(&admin).await;
    let svcs: Api<Service> = Api::namespaced(admin.clone(), "app");
    let pp = PostParams::default();
    let made = svcs
        .create(
            &pp,
            &from(json!({"metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 443, "targetPort": 8443}]}})),
        )
        .await
        .unwrap();
    let spec = made.spec.unwrap();
    let ip: std::net::Ipv4Addr = spec.cluster_ip.clone().unwrap().parse().unwrap();
    assert_eq!(
        (ip.octets()[0], ip.octets()[1] & 0xf0),
        (10, 96),
        "{ip} in 10.96.0.0/12"
    );
    assert_eq!(spec.cluster_ips, Some(vec![ip.to_string()]));
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    let out_of_range = svcs
        .create(
            &pp,
            &from(json!({"metadata": {"name": "odd"},
            "spec": {"clusterIP": "192.168.0.1", "ports": [{"port": 80}]}})),
        )
        .await;
    let s = status_of(out_of_range);
    assert_eq!(s.code, 422);
    assert!(
        s.message.contains("the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"),
        "{}",
        s.message
    );
    let taken = svcs
        .create(
            &pp,
            &from(json!({"metadata": {"name": "twin"},
            "spec": {"clusterIP": ip.to_string(), "ports": [{"port": 80}]}})),
        )
        .await;
    assert!(
        status_of(taken)
            .message
            .contains("provided IP is already allocated")
    );
    let no_ports = svcs
        .create(
            &pp,
            &from(json!({"metadata": {"name": "bare"}, "spec": {}})),
        )
        .await;
    assert!(
        status_of(no_ports)
            .message
            .contains("spec.ports: Required value")
    );
    // A PUT without the addresses keeps them (the server fills in what was allocated).
    let mut again = svcs.get("web").await.unwrap();
    let s = again.spec.as_mut().unwrap();
    s.cluster_ip = None;
    s.cluster_ips = None;
    let kept = svcs.replace("web", &pp, &again).await.unwrap();
    assert_eq!(kept.spec.unwrap().cluster_ip, Some(ip.to_string()));
}

#[tokio::test]
async fn deploy_rbac_grants_each_binary_its_job_and_refuses_the_rest() {
    use k8s_openapi::api::core::v1::{Pod, Secret};
    let sim = start().await;
    let admin = sim.client().unwrap();
    Api::<Namespace>::all(admin.clone())
        .create(
            &PostParams::default(),
            &from(json!({"metadata": {"name": "rightsize-system"}})),
        )
        .await
        .unwrap();
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    sim.install_rbac(&deploy).await.unwrap();
    let as_sa = |name: &'static str| sim.service_account_client("rightsize-system", name);

    // The controller watches pods cluster-wide but never reads Secrets.
    let ctl = as_sa("rightsize-controller").await.unwrap();
    Api::<Pod>::all(ctl.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    let s = status_of(
        Api::<Secret>::namespaced(ctl, "rightsize-system")
            .list(&ListParams::default())
            .await,
    );
    assert_eq!(
        s.message,
        "secrets is forbidden: User \"system:serviceaccount:rightsize-system:rightsize-controller\" cannot list resource \"secrets\" in API group \"\" in the namespace \"rightsize-system\""
    );
    // The certs job reads only its own Secret; the webhook never writes ConfigMaps.
    let certs = as_sa("rightsize-certs").await.unwrap();
    let secrets: Api<Secret> = Api::namespaced(certs, "rightsize-system");
    assert_eq!(status_of(secrets.get("other").await).code, 403);
    assert_eq!(
        status_of(secrets.get("rightsize-webhook-tls").await).code,
        404
    );
    let webhook = as_sa("rightsize-webhook").await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(webhook, "rightsize-system");
    cms.list(&ListParams::default()).await.unwrap();
    let s = status_of(
        cms.create(
            &PostParams::default(),
            &from(json!({"metadata": {"name": "x"}})),
        )
        .await,
    );
    assert!(
        s.message.contains("cannot create resource \"configmaps\""),
        "{}",
        s.message
    );
}
