//! Services through the real kubectl: `kubectl create service clusterip` and `get svc` with the
//! real columns. Skipped, loudly, where kubectl is not installed.

use rightsize_sim_cluster::testing::kubectl::{self, ok, refused, run_in as run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_creates_and_lists_services_with_the_real_columns() {
    if !kubectl::required("the Service kubectl test") {
        return;
    }
    let (_sim, dir) = crate::session().await;
    let d = dir.path();
    ok(&run(d, &["create", "namespace", "shop"]).await, "create ns");
    ok(
        &run(
            d,
            &[
                "create",
                "service",
                "clusterip",
                "web",
                "-n",
                "shop",
                "--tcp=80:8080",
            ],
        )
        .await,
        "create clusterip",
    );
    ok(
        &run(
            d,
            &[
                "create",
                "service",
                "nodeport",
                "edge",
                "-n",
                "shop",
                "--tcp=443:8443",
                "--node-port=30443",
            ],
        )
        .await,
        "create nodeport",
    );
    ok(
        &run(
            d,
            &[
                "create",
                "service",
                "clusterip",
                "peers",
                "-n",
                "shop",
                "--clusterip=None",
            ],
        )
        .await,
        "create headless",
    );
    let table = ok(&run(d, &["get", "svc", "-n", "shop"]).await, "get svc");
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    let row = |name: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {table}"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let web = row("web");
    assert_eq!(
        (web[1].as_str(), web[3].as_str(), web[4].as_str()),
        ("ClusterIP", "<none>", "80/TCP")
    );
    assert!(web[2].starts_with("10."), "{web:?}");
    let edge = row("edge");
    assert_eq!(
        (edge[1].as_str(), edge[4].as_str()),
        ("NodePort", "443:30443/TCP")
    );
    assert_eq!(row("peers")[2], "None");
    // The allocated ClusterIP may not change.
    let e = refused(
        &run(
            d,
            &[
                "patch",
                "svc",
                "web",
                "-n",
                "shop",
                "--type=merge",
                "-p",
                r#"{"spec":{"clusterIP":"10.96.0.99","clusterIPs":["10.96.0.99"]}}"#,
            ],
        )
        .await,
        "change clusterIP",
    );
    assert!(
        e.contains("spec.clusterIPs[0]") && e.contains("may not change once set"),
        "{e}"
    );
    let e = refused(
        &run(
            d,
            &[
                "create",
                "service",
                "nodeport",
                "taken",
                "-n",
                "shop",
                "--tcp=443:8443",
                "--node-port=30443",
            ],
        )
        .await,
        "node port in use",
    );
    assert!(e.contains("provided port is already allocated"), "{e}");
    // The `kubernetes` Service of every cluster.
    let k = ok(
        &run(d, &["get", "svc", "kubernetes", "-n", "default"]).await,
        "get kubernetes",
    );
    assert!(k.contains("10.96.0.1") && k.contains("443/TCP"), "{k}");
}
