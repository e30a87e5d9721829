//! ServiceAccounts, tokens and RBAC through the real kubectl, as a new user tries them: `kubectl
//! create sa`, `create token`, `create role|rolebinding|clusterrole|clusterrolebinding`, `auth
//! can-i` (SelfSubjectAccessReview) agreeing with real requests made with the token, a refused
//! request with the API server's exact 403 message, and an unknown token refused with 401.
//! kubectl sends `--token` only over TLS, so these use the sim's HTTPS listener
//! (`SimCluster::write_tls_kubeconfig`). Skipped, loudly, where kubectl is not installed.

use std::path::Path;
use std::process::Output;

use crate::common::start;
use rightsize_sim_cluster::testing::kubectl::{self, ok, refused, run_in as run};

/// `kubectl --token T <args>`.
async fn as_token(dir: &Path, token: &str, args: &[&str]) -> Output {
    let flag = format!("--token={token}");
    let mut all = vec![flag.as_str()];
    all.extend_from_slice(args);
    run(dir, &all).await
}

/// `kubectl auth can-i` answers `yes` (exit 0) or `no` (exit 1).
async fn can_i(dir: &Path, token: &str, args: &[&str]) -> bool {
    let mut all = vec!["auth", "can-i"];
    all.extend_from_slice(args);
    let out = as_token(dir, token, &all).await;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match (out.status.success(), stdout.as_str()) {
        (true, "yes") => true,
        (false, s) if s.starts_with("no") => false,
        _ => panic!(
            "auth can-i {args:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// A Burstable pod (so a request change keeps its QoS class).
const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
  - name: web
    image: nginx
    resources:
      requests:
        memory: 32Mi
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_account_token_is_authorised_by_rbac_as_auth_can_i_says() {
    if !kubectl::required("the RBAC kubectl test") {
        return;
    }
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sim.write_tls_kubeconfig(&d.join("kubeconfig")).unwrap();

    ok(&run(d, &["create", "namespace", "shop"]).await, "create ns");
    let sas = ok(&run(d, &["get", "sa", "-n", "shop"]).await, "get sa");
    assert!(sas.contains("default"), "the default ServiceAccount: {sas}");
    let out = ok(
        &run(d, &["create", "sa", "resizer", "-n", "shop"]).await,
        "create sa",
    );
    assert_eq!(out.trim(), "serviceaccount/resizer created");
    let token = ok(
        &run(d, &["create", "token", "resizer", "-n", "shop"]).await,
        "create token",
    );
    let token = token.trim();
    assert!(token.len() >= 40, "a bearer token: {token:?}");

    // With no grant: the real 403 messages, and can-i agrees.
    let e = refused(
        &as_token(d, token, &["get", "pods", "-n", "shop"]).await,
        "list pods without a grant",
    );
    assert!(
        e.contains("Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:shop:resizer\" cannot list resource \"pods\" in API group \"\" in the namespace \"shop\""),
        "{e}"
    );
    assert!(!can_i(d, token, &["list", "pods", "-n", "shop"]).await);
    let e = refused(
        &as_token(d, token, &["get", "nodes"]).await,
        "list nodes without a grant",
    );
    assert!(
        e.contains("nodes is forbidden: User \"system:serviceaccount:shop:resizer\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"),
        "{e}"
    );
    // Discovery, SelfSubjectAccessReview and SelfSubjectReview come from the bootstrap
    // ClusterRoles.
    ok(&as_token(d, token, &["version"]).await, "version");
    let who = ok(
        &as_token(d, token, &["auth", "whoami"]).await,
        "auth whoami",
    );
    assert!(
        who.contains("system:serviceaccount:shop:resizer")
            && who.contains("system:serviceaccounts:shop"),
        "{who}"
    );

    // A Role for pods and pods/resize, bound to the ServiceAccount.
    ok(
        &run(
            d,
            &[
                "create",
                "role",
                "resize",
                "-n",
                "shop",
                "--verb=get,list,watch",
                "--resource=pods,pods/resize",
            ],
        )
        .await,
        "create role",
    );
    ok(
        &run(
            d,
            &[
                "create",
                "rolebinding",
                "resize",
                "-n",
                "shop",
                "--role=resize",
                "--serviceaccount=shop:resizer",
            ],
        )
        .await,
        "create rolebinding",
    );
    assert!(can_i(d, token, &["list", "pods", "-n", "shop"]).await);
    assert!(can_i(d, token, &["watch", "pods", "-n", "shop"]).await);
    assert!(!can_i(d, token, &["list", "pods", "-n", "default"]).await);
    assert!(
        !can_i(
            d,
            token,
            &["patch", "pods", "--subresource=resize", "-n", "shop"]
        )
        .await
    );
    ok(
        &as_token(d, token, &["get", "pods", "-n", "shop"]).await,
        "list pods",
    );
    let table = ok(
        &run(
            d,
            &["get", "rolebinding", "resize", "-n", "shop", "-o", "wide"],
        )
        .await,
        "get rb",
    );
    assert!(
        table.contains("Role/resize") && table.contains("shop/resizer"),
        "{table}"
    );

    // A pod to patch: without the resize grant, refused with the subresource in the message.
    // (`kubectl patch` reads the object first: the Role lets it read pods/resize.)
    std::fs::write(d.join("pod.yaml"), POD).unwrap();
    let pod_file = d.join("pod.yaml").display().to_string();
    ok(&run(d, &["apply", "-f", &pod_file]).await, "create pod");
    let patch =
        r#"{"spec":{"containers":[{"name":"web","resources":{"requests":{"memory":"64Mi"}}}]}}"#;
    let e = refused(
        &as_token(
            d,
            token,
            &[
                "patch",
                "pod",
                "web",
                "-n",
                "shop",
                "--subresource=resize",
                "-p",
                patch,
            ],
        )
        .await,
        "resize without a grant",
    );
    assert!(
        e.contains("pods \"web\" is forbidden: User \"system:serviceaccount:shop:resizer\" cannot patch resource \"pods/resize\" in API group \"\" in the namespace \"shop\""),
        "{e}"
    );
    ok(
        &run(
            d,
            &[
                "create",
                "clusterrole",
                "pod-resizer",
                "--verb=patch",
                "--resource=pods/resize",
            ],
        )
        .await,
        "create clusterrole",
    );
    ok(
        &run(
            d,
            &[
                "create",
                "clusterrolebinding",
                "pod-resizer",
                "--clusterrole=pod-resizer",
                "--serviceaccount=shop:resizer",
            ],
        )
        .await,
        "create clusterrolebinding",
    );
    assert!(
        can_i(
            d,
            token,
            &["patch", "pods", "--subresource=resize", "-n", "shop"]
        )
        .await
    );
    // As on a real cluster, `TYPE/NAME` names an object: `pods/resize` is the pod "resize"
    // (no subresource), which only the resource grant would cover.
    assert!(!can_i(d, token, &["patch", "pods/resize", "-n", "shop"]).await);
    assert!(
        can_i(
            d,
            token,
            &["patch", "pods", "--subresource=resize", "-n", "default"]
        )
        .await
    );
    assert!(
        !can_i(d, token, &["patch", "pods", "-n", "shop"]).await,
        "only the subresource"
    );
    ok(
        &as_token(
            d,
            token,
            &[
                "patch",
                "pod",
                "web",
                "-n",
                "shop",
                "--subresource=resize",
                "-p",
                patch,
            ],
        )
        .await,
        "resize with the grant",
    );

    // roleRef is immutable; an unknown token is 401.
    let e = refused(
        &run(
            d,
            &[
                "patch",
                "rolebinding",
                "resize",
                "-n",
                "shop",
                "--type=merge",
                "-p",
                r#"{"roleRef":{"name":"other"}}"#,
            ],
        )
        .await,
        "change roleRef",
    );
    assert!(
        e.contains("roleRef: Invalid value") && e.contains("cannot change roleRef"),
        "{e}"
    );
    let e = refused(
        &as_token(d, "not-a-token", &["get", "pods", "-n", "shop"]).await,
        "bad token",
    );
    assert!(e.contains("Unauthorized"), "{e}");
}
