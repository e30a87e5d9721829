//! `rightsize-sim demo` end to end: the real binary runs a short demo with `--keep`; its summary
//! JSON must show every acceptance figure (an admission from history, a resize up and one down,
//! an OOM bump, less memory requested than the static baseline), one figure is found again in the
//! cluster through the kubeconfig the demo wrote (as a person would with kubectl), and Ctrl-C
//! (SIGINT) stops the binaries and the demo cleanly.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use rightsize_sim_cluster::testing::{eventually_within, kubectl, needs};
use serde_json::Value;

const SIM: &str = env!("CARGO_BIN_EXE_rightsize-sim");
/// Seconds of the run: enough for the shortened down interval (15 s) and a history flush.
const DURATION: &str = "40";
/// Start-up on a loaded 2-core machine plus the run itself.
const SUMMARY_WAIT: Duration = Duration::from_secs(300);
/// The binaries' shutdown after SIGINT.
const EXIT_WAIT: Duration = Duration::from_secs(60);

fn binaries_present() -> bool {
    let dir = Path::new(SIM).parent().unwrap();
    rightsize_sim::demo::binaries::BINARIES
        .iter()
        .all(|b| dir.join(b).is_file())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_shows_history_admission_resizes_both_ways_an_oom_bump_and_savings() {
    // `cargo test --workspace` builds them beside rightsize-sim; the demo itself would run
    // `cargo build`, which waits on the lock the running `cargo test` holds.
    if !needs::require(
        binaries_present(),
        "rightsize-certs/-webhook/-controller beside rightsize-sim (cargo build --workspace)",
        "the demo test",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (json, kubeconfig, out) = (
        dir.path().join("summary.json"),
        dir.path().join("kubeconfig"),
        dir.path().join("demo.out"),
    );
    let mut demo = Command::new(SIM)
        .args(["demo", "--keep", "--duration", DURATION, "--summary-json"])
        .arg(&json)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--svg")
        .arg(dir.path().join("demo.svg"))
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    eventually_within(SUMMARY_WAIT, "the demo's summary", || {
        if let Some(status) = demo.try_wait().unwrap() {
            panic!(
                "demo exited ({status}) before its summary:\n{}",
                std::fs::read_to_string(&out).unwrap_or_default()
            );
        }
        std::future::ready(json.exists().then_some(()))
    })
    .await;
    let printed = std::fs::read_to_string(&out).unwrap();
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let n = |k: &str| {
        summary[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} missing: {summary}"))
    };
    for k in [
        "admitted_with_history",
        "resizes_up",
        "resizes_down",
        "oom_bumps",
        "oom_kills",
    ] {
        assert!(n(k) >= 1.0, "{k} = {}\n{printed}", n(k));
    }
    assert!(
        n("requested_bytes_avg") < n("static_requested_bytes_avg"),
        "{summary}"
    );
    assert_eq!(
        summary["overlay"]["METRICS_FETCH_INTERVAL"], "2",
        "{summary}"
    );
    assert!(
        printed.contains("RIGHTSIZE_DOWN_INTERVAL_SECONDS=15"),
        "{printed}"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("demo.svg"))
            .unwrap()
            .contains("<polyline")
    );

    // The same figures in the cluster, read with the demo's kubeconfig while it keeps serving.
    let client = rightsize_sim::history::client(&kubeconfig).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "demo");
    let from_history = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .iter()
        .filter(|p| {
            p.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("rightsize.dev/admitted"))
                .is_some_and(|a| a.contains("from history"))
        })
        .count();
    assert_eq!(from_history as f64, n("admitted_with_history"), "{summary}");
    let bumps = Api::<Event>::namespaced(client, "demo")
        .list(&ListParams::default())
        .await
        .unwrap()
        .iter()
        .filter(|e| e.reason.as_deref() == Some("OOMKillBump"))
        .count();
    // Events only accumulate; the controller keeps running under --keep.
    assert!(bumps as f64 >= n("oom_bumps"), "{bumps} < {summary}");

    // Ctrl-C: the binaries get SIGTERM, the demo exits 0.
    let interrupted = Command::new("kill")
        .args(["-INT", &demo.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = eventually_within(EXIT_WAIT, "the demo to exit after SIGINT", || {
        std::future::ready(demo.try_wait().unwrap())
    })
    .await;
    let printed = std::fs::read_to_string(&out).unwrap();
    assert!(status.success(), "{status}\n{printed}");
    for name in ["rightsize-controller", "rightsize-webhook"] {
        assert!(printed.contains(&format!("stopped {name}\n")), "{printed}");
    }
}

/// The demo reads deploy/ without kubectl; what it reads must be what `kubectl kustomize`
/// renders, object for object.
#[test]
fn demo_reader_renders_deploy_demo_as_kubectl_kustomize_does() {
    if !kubectl::required("the deploy/demo rendering comparison") {
        return;
    }
    let overlay = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/demo");
    let text = kubectl::kustomize(&overlay);
    let mut theirs = rightsize_sim_cluster::manifests::parse(&text, "kubectl kustomize").unwrap();
    let mut ours = rightsize_sim::demo::manifests::render(&overlay).unwrap();
    let key = |v: &Value| format!("{}/{}", v["kind"], v["metadata"]["name"]);
    theirs.sort_by_key(key);
    ours.sort_by_key(key);
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "{} differs from kubectl kustomize", key(a));
    }
}
