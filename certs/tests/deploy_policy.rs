//! deploy/'s promises checked on `kubectl kustomize deploy/`: the RBAC grants exactly what issue
//! 9 lists for each binary (more or less fails), every pod keeps the restricted hardening, and
//! the MutatingWebhookConfiguration keeps its never-block settings.

mod common;

use std::process::Command;

use common::deploy_dir;
use rightsize_sim_cluster::testing::{kubectl, needs};
use serde_json::json;

/// `kubectl kustomize deploy/` as JSON objects (YAML read by PyYAML, which the manifest schema
/// check of CI, `kubernetes-validate`, installs too).
fn built_objects() -> Option<Vec<serde_json::Value>> {
    if !kubectl::required("the deploy/ RBAC and hardening checks")
        || !needs::require(
            needs::tool_runs("python3", &["-c", "import yaml"]),
            "python3 with PyYAML",
            "the deploy/ RBAC and hardening checks",
        )
    {
        return None;
    }
    let rendered = kubectl::kustomize(&deploy_dir());
    let mut py = Command::new("python3")
        .args([
            "-c",
            "import sys, json, yaml; json.dump(list(yaml.safe_load_all(sys.stdin)), sys.stdout)",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write as _;
    py.stdin
        .take()
        .unwrap()
        .write_all(rendered.as_bytes())
        .unwrap();
    let converted = py.wait_with_output().unwrap();
    assert!(
        converted.status.success(),
        "PyYAML could not read `kubectl kustomize deploy/`: {}",
        String::from_utf8_lossy(&converted.stderr)
    );
    Some(serde_json::from_slice(&converted.stdout).unwrap())
}

/// Every (apiGroup, resource, resourceName or "", verb) a role grants, sorted.
fn grants(role: &serde_json::Value) -> Vec<String> {
    let strs = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    };
    let mut out = Vec::new();
    for rule in role["rules"].as_array().into_iter().flatten() {
        let names = strs(&rule["resourceNames"]);
        let names = if names.is_empty() {
            vec![String::new()]
        } else {
            names
        };
        for g in strs(&rule["apiGroups"]) {
            for r in strs(&rule["resources"]) {
                for n in &names {
                    for v in strs(&rule["verbs"]) {
                        out.push(format!("{g}|{r}|{n}|{v}"));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

fn expand(spec: &[(&str, &str, &str, &[&str])]) -> Vec<String> {
    let mut out: Vec<String> = spec
        .iter()
        .flat_map(|(g, r, n, verbs)| verbs.iter().map(move |v| format!("{g}|{r}|{n}|{v}")))
        .collect();
    out.sort();
    out
}

/// Issue 9's grants, exactly: a role that grants more (or less) fails here.
#[test]
fn rbac_grants_exactly_what_each_binary_needs() {
    let Some(objects) = built_objects() else {
        return;
    };
    let expected: [(&str, &str, Vec<String>); 6] = [
        (
            "ClusterRole",
            "rightsize-controller",
            expand(&[
                ("", "pods", "", &["get", "list", "watch", "patch"]),
                ("", "pods/resize", "", &["patch"]),
                ("", "namespaces", "", &["get", "list", "watch"]),
                ("", "nodes", "", &["get", "list", "watch"]),
                ("", "limitranges", "", &["list", "watch"]),
                ("metrics.k8s.io", "pods", "", &["get", "list"]),
                ("events.k8s.io", "events", "", &["create", "patch"]),
            ]),
        ),
        (
            "Role",
            "rightsize-controller",
            expand(&[
                (
                    "",
                    "configmaps",
                    "",
                    &[
                        "get", "list", "watch", "create", "update", "patch", "delete",
                    ],
                ),
                (
                    "coordination.k8s.io",
                    "leases",
                    "",
                    &["get", "create", "update"],
                ),
            ]),
        ),
        (
            "Role",
            "rightsize-webhook",
            expand(&[("", "configmaps", "", &["get", "list", "watch"])]),
        ),
        (
            "ClusterRole",
            "rightsize-webhook",
            expand(&[
                ("", "limitranges", "", &["list", "watch"]),
                ("", "nodes", "", &["list", "watch"]),
            ]),
        ),
        (
            "Role",
            "rightsize-certs",
            expand(&[
                ("", "secrets", "", &["create"]),
                (
                    "",
                    "secrets",
                    "rightsize-webhook-tls",
                    &["get", "update", "delete"],
                ),
            ]),
        ),
        (
            "ClusterRole",
            "rightsize-certs",
            expand(&[(
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
                "rightsize",
                &["get", "patch"],
            )]),
        ),
    ];
    let roles: Vec<_> = objects
        .iter()
        .filter(|o| matches!(o["kind"].as_str(), Some("Role" | "ClusterRole")))
        .collect();
    assert_eq!(roles.len(), expected.len(), "no other roles");
    for (kind, name, want) in &expected {
        let role = roles
            .iter()
            .find(|o| o["kind"] == *kind && o["metadata"]["name"] == *name)
            .unwrap_or_else(|| panic!("{kind} {name} missing"));
        assert_eq!(&grants(role), want, "{kind} {name}");
        // Bound to its own ServiceAccount only.
        let binding_kind = format!("{kind}Binding");
        let binding = objects
            .iter()
            .find(|o| o["kind"] == binding_kind.as_str() && o["metadata"]["name"] == *name)
            .unwrap_or_else(|| panic!("{binding_kind} {name} missing"));
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": name, "namespace": "rightsize-system"}])
        );
        assert_eq!(binding["roleRef"]["name"], *name);
    }
}

/// Every pod template (Deployments, the Job, the CronJob) keeps the restricted hardening.
#[test]
fn every_pod_runs_non_root_read_only_without_privileges() {
    let Some(objects) = built_objects() else {
        return;
    };
    let ns = objects.iter().find(|o| o["kind"] == "Namespace").unwrap();
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let mut templates = 0;
    for o in &objects {
        let (kind, name) = (
            o["kind"].as_str().unwrap(),
            o["metadata"]["name"].as_str().unwrap(),
        );
        let template = match kind {
            "Deployment" | "Job" => &o["spec"]["template"],
            "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"],
            _ => continue,
        };
        templates += 1;
        let pod = &template["spec"];
        let sc = &pod["securityContext"];
        assert_eq!(sc["runAsNonRoot"], true, "{kind} {name}");
        assert_eq!(sc["runAsUser"], 65532, "{kind} {name}");
        assert_eq!(
            sc["seccompProfile"]["type"], "RuntimeDefault",
            "{kind} {name}"
        );
        assert!(
            pod["serviceAccountName"]
                .as_str()
                .is_some_and(|s| s.starts_with("rightsize-"))
        );
        for c in pod["containers"].as_array().unwrap() {
            let what = format!("{kind} {name} container {}", c["name"]);
            let csc = &c["securityContext"];
            assert_eq!(csc["allowPrivilegeEscalation"], false, "{what}");
            assert_eq!(csc["readOnlyRootFilesystem"], true, "{what}");
            assert_eq!(csc["capabilities"]["drop"], json!(["ALL"]), "{what}");
            assert!(csc.get("runAsUser").is_none_or(|u| *u == 65532), "{what}");
            assert!(c["resources"]["requests"]["cpu"].is_string(), "{what}");
            assert!(c["resources"]["requests"]["memory"].is_string(), "{what}");
            if kind == "Deployment" {
                for probe in ["livenessProbe", "readinessProbe"] {
                    assert_eq!(c[probe]["httpGet"]["port"], "admin", "{what} {probe}");
                }
            }
        }
    }
    assert_eq!(templates, 4, "webhook, controller, certs Job and CronJob");
    let job = objects.iter().find(|o| o["kind"] == "Job").unwrap();
    assert!(job["spec"]["ttlSecondsAfterFinished"].is_number());
    let mwc = objects
        .iter()
        .find(|o| o["kind"] == "MutatingWebhookConfiguration")
        .unwrap();
    let hook = &mwc["webhooks"][0];
    assert_eq!(
        (
            &hook["failurePolicy"],
            &hook["timeoutSeconds"],
            &hook["sideEffects"],
            &hook["reinvocationPolicy"]
        ),
        (
            &json!("Ignore"),
            &json!(2),
            &json!("None"),
            &json!("IfNeeded")
        )
    );
}
