//! The acceptance scenario of the simulated cluster, against the real binary: start
//! `rightsize-sim apiserver --listen 127.0.0.1:0 --kubeconfig <tmp>`, wait for the kubeconfig it
//! writes (naming the port it bound), then with the real kubectl: `create namespace` (a protobuf
//! body), `create -f` of a Deployment with validation on (its pods appear, owned by a ReplicaSet
//! owned by the Deployment), `get pods -A`, `get --raw` of PodMetrics, and a ConfigMap over 1 MiB
//! refused. The process is killed at the end, or when the test fails. Skipped, loudly, where
//! kubectl is not installed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use rightsize_sim_cluster::testing::fixtures::{DEPLOYMENT, big_configmap};
use rightsize_sim_cluster::testing::kubectl::{self, ok, refused};
use rightsize_sim_cluster::testing::{WAIT, poll_blocking};
use serde_json::Value;

/// The running `rightsize-sim apiserver`; killed when dropped, so a failing test stops it too.
struct Apiserver {
    child: Child,
    dir: PathBuf,
}

impl Apiserver {
    fn start(dir: &Path) -> Self {
        let log = |name: &str| std::fs::File::create(dir.join(name)).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_rightsize-sim"))
            .args(["apiserver", "--listen", "127.0.0.1:0", "--kubeconfig"])
            .arg(dir.join("kubeconfig"))
            .args(["--nodes", "2"])
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"))
            .spawn()
            .expect("rightsize-sim starts");
        Self {
            child,
            dir: dir.to_path_buf(),
        }
    }

    fn logs(&self) -> String {
        logs_in(&self.dir)
    }

    /// Wait for the kubeconfig (written atomically once the port is bound); its server URL.
    fn wait_ready(&mut self) -> String {
        let (child, dir) = (&mut self.child, &self.dir);
        let url = poll_blocking(WAIT, || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("rightsize-sim exited early ({status}); {}", logs_in(dir));
            }
            let k = std::fs::read_to_string(dir.join("kubeconfig")).ok()?;
            let url = k.lines().find_map(|l| l.trim().strip_prefix("server: "))?;
            Some(url.to_string())
        });
        url.unwrap_or_else(|| panic!("no kubeconfig after {WAIT:?}; {}", self.logs()))
    }

    fn kubectl(&self, args: &[&str]) -> std::process::Output {
        kubectl::run(&self.dir.join("kubeconfig"), &self.dir, args)
    }
}

/// What the server wrote to stdout and stderr in `dir`.
fn logs_in(dir: &Path) -> String {
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    format!(
        "stdout:\n{}\nstderr:\n{}",
        read("stdout.log"),
        read("stderr.log")
    )
}

impl Drop for Apiserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `f` until it returns `Some`, failing after [`WAIT`] with the server's logs.
fn eventually<T>(what: &str, server: &Apiserver, f: impl FnMut() -> Option<T>) -> T {
    poll_blocking(WAIT, f)
        .unwrap_or_else(|| panic!("timed out waiting for {what}; {}", server.logs()))
}

fn json_of(o: &std::process::Output) -> Option<Value> {
    serde_json::from_slice(&o.stdout).ok()
}

#[test]
fn kubectl_against_the_apiserver_binary() {
    if !kubectl::required("the rightsize-sim apiserver kubectl scenario") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut server = Apiserver::start(d);
    let url = server.wait_ready();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    // The startup line names the URL; it follows the kubeconfig by a moment.
    eventually("the startup line naming the server URL", &server, || {
        let printed = std::fs::read_to_string(d.join("stdout.log")).unwrap_or_default();
        printed
            .contains(&format!("simulated Kubernetes API server on {url}"))
            .then_some(())
    });

    // A typed-client command: kubectl sends the Namespace as protobuf.
    let out = ok(
        &server.kubectl(&["create", "namespace", "shop"]),
        "create namespace",
    );
    assert_eq!(out.trim(), "namespace/shop created");

    // A manifest, with kubectl's validation on (the default).
    std::fs::write(d.join("deploy.yaml"), DEPLOYMENT).unwrap();
    let manifest = d.join("deploy.yaml");
    let out = ok(
        &server.kubectl(&["create", "-n", "shop", "-f", manifest.to_str().unwrap()]),
        "create -f",
    );
    assert_eq!(out.trim(), "deployment.apps/frontend created");

    let pods = eventually("two running pods owned by a ReplicaSet", &server, || {
        let v = json_of(&server.kubectl(&["get", "pods", "-n", "shop", "-o", "json"]))?;
        let items = v["items"].as_array()?.clone();
        let good = items.len() == 2
            && items.iter().all(|p| {
                p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
                    && p["status"]["phase"] == "Running"
            });
        good.then_some(items)
    });
    let rs = json_of(&server.kubectl(&["get", "rs", "-n", "shop", "-o", "json"])).unwrap();
    let rs = &rs["items"][0];
    assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
    assert_eq!(rs["metadata"]["ownerReferences"][0]["name"], "frontend");
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap();
    for p in &pods {
        assert_eq!(
            p["metadata"]["ownerReferences"][0]["name"],
            rs["metadata"]["name"]
        );
        assert_eq!(p["metadata"]["labels"]["pod-template-hash"], hash);
    }
    let name = pods[0]["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with(&format!("frontend-{hash}-")), "{name}");

    let all = ok(&server.kubectl(&["get", "pods", "-A"]), "get pods -A");
    let header = all.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("NAMESPACE") && header.contains("STATUS"),
        "{all}"
    );
    let row = all
        .lines()
        .find(|l| l.contains(&name))
        .unwrap_or_else(|| panic!("{name} not listed: {all}"));
    assert!(row.starts_with("shop ") && row.contains("Running"), "{row}");

    let metrics = eventually("PodMetrics of both pods", &server, || {
        let raw = server.kubectl(&[
            "get",
            "--raw",
            "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods",
        ]);
        let m = json_of(&raw)?;
        (m["items"].as_array()?.len() == 2).then_some(m)
    });
    assert_eq!(metrics["kind"], "PodMetricsList");
    for item in metrics["items"].as_array().unwrap() {
        assert_eq!(item["metadata"]["namespace"], "shop");
        assert_eq!(item["containers"][0]["name"], "web");
        assert_eq!(item["containers"][0]["usage"]["memory"], "102400Ki");
    }

    std::fs::write(d.join("big.yaml"), big_configmap("big")).unwrap();
    let err = refused(
        &server.kubectl(&[
            "create",
            "-n",
            "shop",
            "-f",
            d.join("big.yaml").to_str().unwrap(),
        ]),
        "create of a ConfigMap over 1 MiB",
    );
    assert!(
        err.contains("ConfigMap \"big\" is invalid") && err.contains("1048576"),
        "{err}"
    );
    let cms = ok(
        &server.kubectl(&["get", "configmaps", "-n", "shop", "-o", "name"]),
        "get cm",
    );
    assert!(!cms.contains("configmap/big"), "{cms}");

    // Stop the server: it exits on SIGKILL at once; Drop reaps it.
    drop(server);
}
