//! deploy/'s objects as the demo overlay renders them, read without kubectl: the subset of
//! kustomize that deploy/ uses (`resources` as files or directories, `namespace`, `labels`,
//! `images`, `patches` by path), so the demo needs no tool beside the checkout. Any other
//! kustomization field is refused with a message naming it, rather than silently rendering
//! something else than `kubectl kustomize` would; a test compares both renderings.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// Fields of a kustomization this reader understands.
const KNOWN_FIELDS: [&str; 7] = [
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "patches",
];

/// Kinds kustomize's namespace transformer leaves without a namespace (cluster-scoped).
const CLUSTER_SCOPED: [&str; 5] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The name of the configuration ConfigMap in deploy/.
pub const CONFIG_MAP: &str = "rightsize-config";

/// Every object of the kustomization in `dir`, rendered.
pub fn render(dir: &Path) -> anyhow::Result<Vec<Value>> {
    let file = dir.join("kustomization.yaml");
    let k = read_documents(&file)?
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    if let Some(map) = k.as_object()
        && let Some(field) = map.keys().find(|f| !KNOWN_FIELDS.contains(&f.as_str()))
    {
        bail!(
            "{}: field {field:?} is not understood by the demo's reader; render it with `kubectl kustomize` instead",
            file.display()
        );
    }
    let mut objects = Vec::new();
    for r in strings(&k["resources"]) {
        let path = dir.join(r);
        if path.is_dir() {
            objects.extend(render(&path)?);
        } else {
            objects.extend(read_documents(&path)?);
        }
    }
    for p in k["patches"].as_array().into_iter().flatten() {
        let Some(path) = p["path"].as_str() else {
            bail!(
                "{}: only `patches: - path: FILE` is understood",
                file.display()
            );
        };
        for patch in read_documents(&dir.join(path))? {
            apply_patch(&mut objects, &patch)
                .with_context(|| format!("{}: patch {path}", file.display()))?;
        }
    }
    if let Some(ns) = k["namespace"].as_str() {
        for o in objects
            .iter_mut()
            .filter(|o| !CLUSTER_SCOPED.contains(&o["kind"].as_str().unwrap_or("")))
        {
            o["metadata"]["namespace"] = json!(ns);
        }
    }
    for l in k["labels"].as_array().into_iter().flatten() {
        for (key, value) in l["pairs"].as_object().into_iter().flatten() {
            for o in &mut objects {
                o["metadata"]["labels"][key] = value.clone();
            }
        }
    }
    for image in k["images"].as_array().into_iter().flatten() {
        for o in &mut objects {
            set_image(o, image);
        }
    }
    Ok(objects)
}

/// kustomize's `images` transformer: every container image named `name` (any tag) becomes
/// `newName:newTag` (each part kept when not given).
fn set_image(v: &mut Value, image: &Value) {
    let Some(name) = image["name"].as_str() else {
        return;
    };
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "containers" || key == "initContainers" {
                    for c in child.as_array_mut().into_iter().flatten() {
                        let Some(current) = c["image"].as_str() else {
                            continue;
                        };
                        let (base, tag) = current.split_once(':').unwrap_or((current, ""));
                        if base != name {
                            continue;
                        }
                        let new_name = image["newName"].as_str().unwrap_or(base);
                        let new_tag = image["newTag"].as_str().unwrap_or(tag);
                        c["image"] = if new_tag.is_empty() {
                            json!(new_name)
                        } else {
                            json!(format!("{new_name}:{new_tag}"))
                        };
                    }
                } else {
                    set_image(child, image);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| set_image(i, image)),
        _ => {}
    }
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// The YAML documents of one file (the simulated cluster's manifest reader).
fn read_documents(path: &Path) -> anyhow::Result<Vec<Value>> {
    Ok(rightsize_sim_cluster::manifests::read(path)?)
}

/// A strategic-merge patch of maps only (what the overlay does to the ConfigMap); lists would
/// need the kind's merge keys, so a patch containing one is refused.
fn apply_patch(objects: &mut [Value], patch: &Value) -> anyhow::Result<()> {
    fn has_list(v: &Value) -> bool {
        match v {
            Value::Array(_) => true,
            Value::Object(m) => m.values().any(has_list),
            _ => false,
        }
    }
    if has_list(patch) {
        bail!("a patch with a list needs strategic-merge keys: use `kubectl kustomize`");
    }
    let target = objects
        .iter_mut()
        .find(|o| o["kind"] == patch["kind"] && o["metadata"]["name"] == patch["metadata"]["name"])
        .with_context(|| {
            format!(
                "no {} {} to patch",
                patch["kind"], patch["metadata"]["name"]
            )
        })?;
    json_patch::merge(target, patch);
    Ok(())
}

/// The `data` of the configuration ConfigMap: the environment of every binary.
pub fn config_data(objects: &[Value]) -> anyhow::Result<BTreeMap<String, String>> {
    let cm = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == CONFIG_MAP)
        .with_context(|| format!("no ConfigMap {CONFIG_MAP} in deploy/"))?;
    Ok(cm["data"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect())
}

/// Kinds whose pods the demo replaces with child processes of the real binaries: the cluster
/// gets every other object of deploy/.
pub const RUN_AS_PROCESSES: [&str; 4] = ["Deployment", "Job", "CronJob", "PodDisruptionBudget"];

/// The objects the cluster gets (everything but [`RUN_AS_PROCESSES`]).
pub fn cluster_objects(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| !RUN_AS_PROCESSES.contains(&o["kind"].as_str().unwrap_or("")))
        .cloned()
        .collect()
}

/// The ServiceAccount the pods of `kind`/`name` run as (`serviceAccountName` of its pod
/// template), so the demo runs each binary with that account's token.
pub fn service_account(objects: &[Value], kind: &str, name: &str) -> anyhow::Result<String> {
    let o = objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .with_context(|| format!("no {kind} {name} in deploy/"))?;
    let spec = if kind == "CronJob" {
        &o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &o["spec"]["template"]["spec"]
    };
    spec["serviceAccountName"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{kind} {name} names no serviceAccountName"))
}

/// The settings the overlay changes against its base: (name, base value, demo value).
pub fn overlay_changes(
    base: &BTreeMap<String, String>,
    demo: &BTreeMap<String, String>,
) -> Vec<(String, Option<String>, String)> {
    demo.iter()
        .filter(|(k, v)| base.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), base.get(k).cloned(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn deploy() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
    }

    #[test]
    fn demo_overlay_shortens_the_intervals_and_keeps_everything_else() {
        let base = config_data(&render(&deploy()).unwrap()).unwrap();
        let demo = config_data(&render(&deploy().join("demo")).unwrap()).unwrap();
        let changed: Vec<String> = overlay_changes(&base, &demo)
            .into_iter()
            .map(|(k, _, _)| k)
            .collect();
        for key in [
            "METRICS_FETCH_INTERVAL",
            "RIGHTSIZE_DOWN_INTERVAL_SECONDS",
            "COOLDOWN_PERIOD_SECONDS",
            "HISTORY_FLUSH_INTERVAL",
        ] {
            assert!(changed.contains(&key.to_owned()), "{key} not shortened");
            let (b, d) = (
                base[key].parse::<f64>().unwrap(),
                demo[key].parse::<f64>().unwrap(),
            );
            assert!(d < b, "{key}: {d} is not shorter than {b}");
        }
        assert_eq!(changed.len(), 4, "{changed:?}");
        assert_eq!(demo["METRICS_SOURCE"], "api");
    }

    #[test]
    fn namespaced_objects_get_the_namespace_and_cluster_objects_do_not() {
        let objects = render(&deploy().join("demo")).unwrap();
        let get = |kind: &str| objects.iter().find(|o| o["kind"] == kind).unwrap();
        assert_eq!(
            get("ConfigMap")["metadata"]["namespace"],
            "rightsize-system"
        );
        assert!(get("MutatingWebhookConfiguration")["metadata"]["namespace"].is_null());
        assert_eq!(
            get("Service")["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "rightsize"
        );
    }

    #[test]
    fn an_unknown_kustomization_field_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            "resources: []\nconfigMapGenerator: []\n",
        )
        .unwrap();
        let e = render(dir.path()).unwrap_err().to_string();
        assert!(e.contains("configMapGenerator"), "{e}");
    }

    #[test]
    fn malformed_yaml_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            "resources: [x.yaml]\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("x.yaml"), "kind: [unclosed\n").unwrap();
        let e = format!("{:#}", render(dir.path()).unwrap_err());
        assert!(e.contains("x.yaml"), "{e}");
    }
}
