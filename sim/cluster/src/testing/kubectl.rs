//! Running the real kubectl in tests: against a simulated cluster through a kubeconfig, or
//! offline (`kubectl kustomize`). Blocking: async callers use [`run_in`], which runs kubectl on a
//! blocking thread. Whether kubectl is there at all goes through [`required`] (the [`needs`]
//! rule: fails under CI, a loud skip otherwise).

use std::path::Path;
use std::process::{Command, Output};

use super::needs;

/// Every kubectl call against a cluster is bounded by this request timeout.
pub const REQUEST_TIMEOUT: &str = "--request-timeout=20s";

/// How a missing kubectl is named in failures and skip notices.
const NEED: &str = "kubectl (on PATH)";

/// Whether a kubectl binary is on PATH.
pub fn present() -> bool {
    needs::tool_runs("kubectl", &["version", "--client"])
}

/// Whether `what` can run: kubectl is installed. Fails the test when it is not and `CI` is set,
/// otherwise says loudly that `what` was skipped ([`needs::require`]).
#[track_caller]
pub fn required(what: &str) -> bool {
    needs::require(present(), NEED, what)
}

/// Run `kubectl --kubeconfig=<kubeconfig> <args>` with `$HOME` in `home` (kubectl caches
/// discovery and OpenAPI under `$HOME/.kube`; keep that in the test's directory) and no
/// `KUBECONFIG` from the environment.
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

/// [`run`] from async code: `kubeconfig` in `dir`, which is also `$HOME`; on a blocking thread,
/// off the async runtime's workers (which serve the simulated cluster kubectl is talking to).
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

/// `kubectl kustomize <dir>` (offline, no cluster): the rendered YAML; fails the test with
/// kubectl's stderr when it does not build.
#[track_caller]
pub fn kustomize(dir: &Path) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl runs");
    ok(&out, &format!("kubectl kustomize {}", dir.display()))
}

/// The stdout of a successful call; fails the test with both streams otherwise.
#[track_caller]
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
#[track_caller]
pub fn refused(o: &Output, what: &str) -> String {
    assert!(
        !o.status.success(),
        "{what} succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}
