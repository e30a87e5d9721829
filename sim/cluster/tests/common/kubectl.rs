//! Running the real kubectl against a simulated cluster. Shared by this crate's kubectl test and
//! the `rightsize-sim apiserver` test in `sim/tests/` (included there by path), so both drive
//! kubectl the same way. Blocking: async callers wrap [`run`] in `spawn_blocking`.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Every kubectl call is bounded by this request timeout.
pub const REQUEST_TIMEOUT: &str = "--request-timeout=20s";

/// Whether a kubectl binary is on PATH.
pub fn present() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `what` can run: kubectl is installed. Fails the test when it is not and `CI` is set,
/// otherwise says loudly that `what` was skipped (`needs::available`).
pub fn required(what: &str) -> bool {
    super::needs::available(present(), "kubectl (on PATH)", what)
}

/// Run `kubectl --kubeconfig=<kubeconfig> <args>` with `$HOME` in `home` (kubectl caches
/// discovery and OpenAPI under `$HOME/.kube`; keep that in the test's directory).
pub fn run(kubeconfig: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .arg(REQUEST_TIMEOUT)
        .args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs")
}

/// [`run`] from async code: `kubeconfig` in `dir`, which is also `$HOME`; on a blocking thread.
pub async fn run_in(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&dir.join("kubeconfig"), &dir, &args)
    })
    .await
    .expect("kubectl thread")
}

/// The stdout of a successful call; fails the test with both streams otherwise.
pub fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The stderr of a failed call; fails the test if it succeeded.
pub fn refused(o: &Output, what: &str) -> String {
    assert!(
        !o.status.success(),
        "{what} succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A Deployment of two pods with a 100 MiB constant memory profile.
pub const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
      annotations:
        sim.rightsize.dev/memory-profile: constant:100Mi
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
";

/// A ConfigMap manifest whose data is over the 1 MiB limit (and under the 3 MiB body limit).
pub fn big_configmap(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  blob: {}\n",
        "x".repeat(1024 * 1024 + 100)
    )
}
