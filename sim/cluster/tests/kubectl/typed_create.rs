//! kubectl's typed-client commands against the in-process simulated cluster: `kubectl create
//! namespace` and `kubectl create configmap` send protobuf bodies, which the sim decodes; `kubectl
//! apply -f` runs without `--validate=false` thanks to the OpenAPI v3 discovery; a kind the sim
//! cannot decode from protobuf gets a 415 that says to send JSON. The acceptance scenario against
//! the `rightsize-sim apiserver` binary is in `sim/tests/apiserver_kubectl.rs`. Skipped, loudly,
//! where kubectl is not installed.

use rightsize_sim_cluster::testing::fixtures::{DEPLOYMENT, big_configmap};
use rightsize_sim_cluster::testing::kubectl::{self, ok, refused};
use rightsize_sim_cluster::testing::{eventually, kubectl::run_in as run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_typed_create_commands_apply_and_delete() {
    if !kubectl::required("the typed-client kubectl test") {
        return;
    }
    let (_sim, dir) = crate::session().await;
    let d = dir.path();

    let out = ok(
        &run(d, &["create", "namespace", "shop"]).await,
        "create namespace",
    );
    assert_eq!(out.trim(), "namespace/shop created");
    let ns = ok(
        &run(d, &["get", "namespace", "shop", "-o", "json"]).await,
        "get ns",
    );
    let ns: serde_json::Value = serde_json::from_str(&ns).unwrap();
    assert_eq!(ns["status"]["phase"], "Active");
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "shop"
    );

    // Literal data and a non-UTF-8 file (which kubectl puts in binaryData).
    std::fs::write(d.join("blob.bin"), [0xffu8, 0x00, 0x80]).unwrap();
    let blob = format!("blob={}", d.join("blob.bin").display());
    ok(
        &run(
            d,
            &[
                "create",
                "configmap",
                "settings",
                "-n",
                "shop",
                "--from-literal=mode=fast",
                "--from-file",
                &blob,
            ],
        )
        .await,
        "create configmap",
    );
    let cm = ok(
        &run(d, &["get", "cm", "settings", "-n", "shop", "-o", "json"]).await,
        "get cm",
    );
    let cm: serde_json::Value = serde_json::from_str(&cm).unwrap();
    assert_eq!(cm["data"]["mode"], "fast");
    assert_eq!(cm["binaryData"]["blob"], "/wCA");

    // Over 1 MiB through the protobuf path: the same 422 as through JSON.
    std::fs::write(d.join("big.txt"), "x".repeat(1024 * 1024 + 100)).unwrap();
    let big = format!("--from-file={}", d.join("big.txt").display());
    let err = refused(
        &run(d, &["create", "configmap", "big", "-n", "shop", &big]).await,
        "create configmap over 1 MiB",
    );
    assert!(
        err.contains("is invalid") && err.contains("1048576"),
        "{err}"
    );
    // And through a manifest with client-side validation on (the default).
    std::fs::write(d.join("big.yaml"), big_configmap("big")).unwrap();
    let err = refused(
        &run(
            d,
            &[
                "create",
                "-n",
                "shop",
                "-f",
                d.join("big.yaml").to_str().unwrap(),
            ],
        )
        .await,
        "create -f configmap over 1 MiB",
    );
    assert!(err.contains("1048576"), "{err}");

    // `kubectl create deployment` sends a protobuf Deployment, which the sim does not decode.
    let err = refused(
        &run(
            d,
            &["create", "deployment", "web", "-n", "shop", "--image=nginx"],
        )
        .await,
        "create deployment",
    );
    assert!(
        err.contains("apps/v1 Deployment") && err.contains("application/json"),
        "{err}"
    );

    // `apply -f` (validation on, client-side apply): created, then configured on a change.
    let manifest = d.join("deploy.yaml");
    std::fs::write(&manifest, DEPLOYMENT).unwrap();
    let m = manifest.to_str().unwrap();
    let out = ok(
        &run(d, &["apply", "-n", "shop", "-f", m]).await,
        "apply (create)",
    );
    assert!(out.contains("deployment.apps/frontend created"), "{out}");
    std::fs::write(&manifest, DEPLOYMENT.replace("replicas: 2", "replicas: 3")).unwrap();
    let out = ok(
        &run(d, &["apply", "-n", "shop", "-f", m]).await,
        "apply (update)",
    );
    assert!(out.contains("deployment.apps/frontend configured"), "{out}");
    eventually("three pods after the scale-up", || async {
        let out = run(d, &["get", "pods", "-n", "shop", "-o", "json"]).await;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        (v["items"].as_array()?.len() == 3).then_some(())
    })
    .await;

    let out = ok(
        &run(d, &["delete", "configmap", "settings", "-n", "shop"]).await,
        "delete cm",
    );
    assert!(out.contains("deleted"), "{out}");
}
