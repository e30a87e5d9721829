//! `kubectl apply -k` against the simulated cluster, as an operator installs: kubectl's
//! client-side apply (last-applied annotation, a three-way strategic merge patch computed by
//! kubectl, GET then PATCH) creates every object of a kustomization; a second apply reports
//! every object `unchanged`; an apply after a change (a ConfigMap value, a Deployment's
//! replicas) patches exactly those objects; `kubectl delete -k` removes them all. The
//! Deployment's pods come up as simulated containers. Runs on the project's deploy/ and on
//! `tests/data/kustomize` (a smaller kustomization of the same shape). Skipped, loudly, without
//! kubectl.

use std::path::{Path, PathBuf};

use rightsize_sim_cluster::testing::kubectl::{self, ok};
use rightsize_sim_cluster::testing::{eventually, kubectl::run_in as run};
use serde_json::Value;

/// The kustomization under test and the objects its change step edits.
struct Install {
    base: PathBuf,
    namespace: &'static str,
    configmap: &'static str,
    key: &'static str,
    deployment: &'static str,
    /// Objects kubectl patches on every apply although nothing changed: a PodDisruptionBudget,
    /// whose `spec.selector` has `patchStrategy:"replace"` (k8s.io/api policy/v1), so kubectl's
    /// three-way diff always sends the selector and reports `configured`, on a real cluster too.
    always_patched: &'static [&'static str],
}

fn test_kustomization() -> Install {
    Install {
        base: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kustomize"),
        namespace: "shop-system",
        configmap: "shop-config",
        key: "MODE",
        deployment: "shop-web",
        always_patched: &[],
    }
}

/// Copy the kustomization's files to `<dir>/base` and write `<dir>/changed`, an overlay that
/// sets the ConfigMap key to "changed-by-test" and the Deployment to 3 replicas (kustomize
/// refuses absolute paths to a base, so both live side by side).
fn write_overlay(install: &Install, dir: &Path) -> (PathBuf, PathBuf) {
    let base = dir.join("base");
    std::fs::create_dir_all(&base).unwrap();
    for entry in std::fs::read_dir(&install.base).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, base.join(path.file_name().unwrap())).unwrap();
        }
    }
    let changed = dir.join("changed");
    std::fs::create_dir_all(&changed).unwrap();
    let overlay = format!(
        "resources:\n  - ../base\npatches:\n  - target: {{kind: ConfigMap, name: {cm}}}\n    patch: |-\n      - op: replace\n        path: /data/{key}\n        value: changed-by-test\n  - target: {{kind: Deployment, name: {deploy}}}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\n",
        cm = install.configmap,
        key = install.key,
        deploy = install.deployment,
    );
    std::fs::write(changed.join("kustomization.yaml"), overlay).unwrap();
    (base, changed)
}

/// The objects a kustomization renders, as `kind/name` lines of `kubectl kustomize`.
async fn objects(home: &Path, dir: &Path) -> Vec<(String, String)> {
    let rendered = ok(
        &run(home, &["kustomize", dir.to_str().unwrap()]).await,
        "kustomize",
    );
    rendered
        .split("\n---\n")
        .filter_map(|doc| {
            let kind = doc.lines().find_map(|l| l.strip_prefix("kind: "))?;
            let name = doc
                .lines()
                .skip_while(|l| *l != "metadata:")
                .find_map(|l| l.strip_prefix("  name: "))?;
            Some((kind.to_string(), name.to_string()))
        })
        .collect()
}

/// kubectl's apply/delete output: one `<resource>/<name> <verb>` (or `... "<name>" deleted`)
/// line per object. Returns the verb of each line.
fn verbs(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
        .collect()
}

/// The verb each line of a no-op apply must end with.
fn unchanged_verbs(out: &str, install: &Install) -> Vec<String> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let object = l.split(' ').next().unwrap_or("");
            let verb = if install.always_patched.contains(&object) {
                "configured"
            } else {
                "unchanged"
            };
            verb.to_string()
        })
        .collect()
}

fn line_for<'a>(out: &'a str, resource: &str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{resource}/{name} ")))
        .unwrap_or_else(|| panic!("no line for {resource}/{name} in:\n{out}"))
}

async fn ready_replicas(home: &Path, install: &Install, want: i64) {
    let what = format!("{} with {want} ready replicas", install.deployment);
    eventually(&what, || async {
        let out = run(
            home,
            &[
                "get",
                "deployment",
                install.deployment,
                "-n",
                install.namespace,
                "-o",
                "json",
            ],
        )
        .await;
        let d: Value = serde_json::from_slice(&out.stdout).ok()?;
        (d["status"]["readyReplicas"].as_i64() == Some(want)).then_some(())
    })
    .await;
}

async fn apply_twice_change_and_delete(install: Install) {
    let (_sim, dir) = crate::session().await;
    let home = dir.path();
    let (base, changed) = write_overlay(&install, home);
    let base_s = base.to_str().unwrap();
    let changed_s = changed.to_str().unwrap();
    let objects = objects(home, &base).await;
    assert!(objects.len() >= 5, "{objects:?}");

    let out = ok(&run(home, &["apply", "-k", base_s]).await, "first apply");
    assert_eq!(verbs(&out), vec!["created"; objects.len()], "{out}");
    ready_replicas(home, &install, 2).await;

    let out = ok(&run(home, &["apply", "-k", base_s]).await, "second apply");
    assert_eq!(verbs(&out).len(), objects.len(), "{out}");
    assert_eq!(verbs(&out), unchanged_verbs(&out, &install), "{out}");

    let out = ok(
        &run(home, &["apply", "-k", changed_s]).await,
        "changed apply",
    );
    assert_eq!(verbs(&out).len(), objects.len(), "{out}");
    assert!(line_for(&out, "configmap", install.configmap).ends_with(" configured"));
    assert!(line_for(&out, "deployment.apps", install.deployment).ends_with(" configured"));
    assert_eq!(
        out.lines().filter(|l| l.ends_with(" configured")).count(),
        2 + install.always_patched.len(),
        "only the two changed objects are patched: {out}"
    );
    let cm = ok(
        &run(
            home,
            &[
                "get",
                "configmap",
                install.configmap,
                "-n",
                install.namespace,
                "-o",
                "json",
            ],
        )
        .await,
        "get configmap",
    );
    let cm: Value = serde_json::from_str(&cm).unwrap();
    assert_eq!(cm["data"][install.key], "changed-by-test");
    ready_replicas(home, &install, 3).await;
    let out = ok(
        &run(home, &["apply", "-k", changed_s]).await,
        "changed apply again",
    );
    assert_eq!(verbs(&out).len(), objects.len(), "{out}");
    assert_eq!(verbs(&out), unchanged_verbs(&out, &install), "{out}");

    let out = ok(&run(home, &["delete", "-k", changed_s]).await, "delete -k");
    assert_eq!(verbs(&out), vec!["deleted"; objects.len()], "{out}");
    eventually("every object gone", || async {
        let out = run(
            home,
            &["get", "-k", changed_s, "--ignore-not-found", "-o", "name"],
        )
        .await;
        (out.status.success() && out.stdout.iter().all(u8::is_ascii_whitespace)).then_some(())
    })
    .await;
}

/// The project's own install, deploy/: every kind it uses is served.
fn deploy_kustomization() -> Install {
    Install {
        base: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/base"),
        namespace: "rightsize-system",
        configmap: "rightsize-config",
        key: "RIGHTSIZE_MARGIN",
        deployment: "rightsize-webhook",
        always_patched: &["poddisruptionbudget.policy/rightsize-webhook"],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_k_deploy_twice_change_and_delete() {
    if !kubectl::required("the kubectl apply -k deploy/ test") {
        return;
    }
    apply_twice_change_and_delete(deploy_kustomization()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_k_twice_change_and_delete() {
    if !kubectl::required("the kubectl apply -k test") {
        return;
    }
    apply_twice_change_and_delete(test_kustomization()).await;
}
