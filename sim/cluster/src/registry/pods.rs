//! Pod rules of the API server: create-time defaults and QoS class, the 1.32+ rule that a plain
//! update may not change resources, and `pods/resize` validation as `ValidatePodResize` in
//! kubernetes `pkg/apis/core/validation/validation.go` (release-1.33; the memory-limit-decrease
//! check dropped in 1.34 by PR #133012). Messages are the real server's.

use serde_json::{Value, json};

pub use super::pod_resources::{canonicalize_quantities, compute_qos};
use crate::config::KubeVersion;
use crate::error::FieldError;
use crate::quantity::{self, Quantity};

pub(super) const CONTAINER_LISTS: [&str; 2] = ["initContainers", "containers"];

fn res_value(c: &Value, kind: &str, name: &str) -> Option<Quantity> {
    quantity::at(c, &format!("/resources/{kind}/{name}"))
}

/// A quantity as written in the request (a string, or a bare JSON number), for messages.
fn shown(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Create-time defaults (`SetDefaults_Pod`, `SetDefaults_Container`) and the registry's
/// `PrepareForCreate` (status reset, QoS class).
pub fn prepare_create(pod: &mut Value) {
    let spec = crate::util::obj_entry(pod, "spec");
    for (k, v) in [
        ("restartPolicy", json!("Always")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("schedulerName", json!("default-scheduler")),
    ] {
        if spec.get(k).is_none() {
            spec[k] = v;
        }
    }
    for list in CONTAINER_LISTS {
        let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in cs {
            // "If a container specifies limits but not requests, requests default to limits."
            if let Some(limits) = c
                .pointer("/resources/limits")
                .and_then(Value::as_object)
                .cloned()
            {
                let res = crate::util::obj_entry(c, "resources");
                let reqs = crate::util::obj_entry(res, "requests");
                for (k, v) in limits {
                    if reqs.get(&k).is_none() {
                        reqs[&k] = v;
                    }
                }
            }
            if c.get("terminationMessagePath").is_none() {
                c["terminationMessagePath"] = json!("/dev/termination-log");
            }
            if c.get("imagePullPolicy").is_none() {
                c["imagePullPolicy"] = json!("IfNotPresent");
            }
        }
    }
    let qos = compute_qos(&pod["spec"]);
    pod["status"] = json!({"phase": "Pending", "qosClass": qos});
}

/// `ValidateContainerResourceRequirements`: requests at most limits; names present.
pub fn validate_spec(spec: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let containers = spec.get("containers").and_then(Value::as_array);
    if containers.is_none_or(Vec::is_empty) {
        errs.push(FieldError::required("spec.containers", ""));
    }
    for list in CONTAINER_LISTS {
        for (i, c) in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let p = format!("spec.{list}[{i}]");
            if crate::util::str_at(c, "name").is_empty() {
                errs.push(FieldError::required(format!("{p}.name"), ""));
            }
            if crate::util::str_at(c, "image").is_empty() {
                errs.push(FieldError::required(format!("{p}.image"), ""));
            }
            for kind in ["requests", "limits"] {
                for (r, v) in c
                    .pointer(&format!("/resources/{kind}"))
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let s = shown(Some(v));
                    match quantity::from_json(v) {
                        None => errs.push(FieldError::invalid(format!("{p}.resources.{kind}[{r}]"), s, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")),
                        Some(q) if q.nanos() < 0 => errs.push(FieldError::invalid(format!("{p}.resources.{kind}[{r}]"), s, "must be greater than or equal to 0")),
                        _ => {}
                    }
                }
            }
            for r in ["cpu", "memory"] {
                if let (Some(q), Some(l)) = (res_value(c, "requests", r), res_value(c, "limits", r))
                    && q > l
                {
                    let req = shown(c.pointer(&format!("/resources/requests/{r}")));
                    let lim = shown(c.pointer(&format!("/resources/limits/{r}")));
                    errs.push(FieldError::invalid(
                        format!("{p}.resources.requests"),
                        req,
                        format!("must be less than or equal to {r} limit of {lim}"),
                    ));
                }
            }
        }
    }
    errs
}

/// Spec fields a plain pod update may change (`ValidatePodUpdate`, `updatablePodSpecFields`).
const UPDATABLE: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// A plain update (PUT/PATCH on the pod, not a subresource): since 1.32 resources are mutable
/// only through `pods/resize` (KEP-1287 §Validation), so any other spec change is forbidden.
pub fn validate_update(old: &Value, new: &Value) -> Vec<FieldError> {
    let (Some(old_spec), Some(new_spec)) = (old.get("spec"), new.get("spec")) else {
        return vec![FieldError::required("spec", "")];
    };
    let mut munged = new_spec.clone();
    // Let the mutable fields through by copying them from the new spec onto the old shape.
    let mut expected = old_spec.clone();
    for list in CONTAINER_LISTS {
        let (Some(n), Some(e)) = (
            munged.get(list).and_then(Value::as_array).cloned(),
            expected.get_mut(list).and_then(Value::as_array_mut),
        ) else {
            continue;
        };
        if n.len() == e.len() {
            for (ec, nc) in e.iter_mut().zip(n.iter()) {
                if let Some(img) = nc.get("image") {
                    ec["image"] = img.clone();
                }
            }
        }
    }
    for f in [
        "activeDeadlineSeconds",
        "tolerations",
        "terminationGracePeriodSeconds",
    ] {
        match munged.get(f) {
            Some(v) => expected[f] = v.clone(),
            None => {
                if let Some(m) = expected.as_object_mut() {
                    m.remove(f);
                }
            }
        }
    }
    // nodeName is set by binding, never by users, but the kubelet path writes through the store.
    if let Some(m) = munged.as_object_mut() {
        m.remove("nodeName");
    }
    if let Some(m) = expected.as_object_mut() {
        m.remove("nodeName");
    }
    if munged == expected {
        return Vec::new();
    }
    let changed: Vec<String> = munged
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| expected.get(k.as_str()) != Some(v))
        .map(|(k, _)| format!("spec.{k}"))
        .collect();
    vec![FieldError::forbidden(
        "spec",
        format!(
            "pod updates may not change fields other than {UPDATABLE}\n(changed: {})",
            changed.join(", ")
        ),
    )]
}

fn resource_names(c: &Value, kind: &str) -> Vec<String> {
    c.pointer(&format!("/resources/{kind}"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// A container with cpu/memory values reset to the old ones (`dropCPUMemoryResourcesFromContainer`).
fn without_cpu_memory(new: &Value, old: &Value) -> Value {
    let mut c = new.clone();
    for kind in ["requests", "limits"] {
        let old_list = old
            .pointer(&format!("/resources/{kind}"))
            .and_then(Value::as_object);
        let Some(old_list) = old_list else {
            if let Some(r) = c.get_mut("resources").and_then(Value::as_object_mut) {
                r.remove(kind);
            }
            continue;
        };
        let mut list = c
            .pointer(&format!("/resources/{kind}"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        list.remove("cpu");
        list.remove("memory");
        for r in ["cpu", "memory"] {
            if let Some(v) = old_list.get(r) {
                list.insert(r.into(), v.clone());
            }
        }
        crate::util::obj_entry(&mut c, "resources")[kind] = Value::Object(list);
    }
    c
}

/// `ValidatePodResize` for a resize of `old` to `new` (`new` = old pod with the request's
/// containers). Returns the field errors the real server would report.
pub fn validate_resize(old: &Value, new: &Value, version: KubeVersion) -> Vec<FieldError> {
    let mut errs = validate_spec(&new["spec"]);
    let level = |p: &Value| {
        p.pointer("/spec/resources")
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty())
    };
    if level(old) || level(new) {
        return vec![FieldError::forbidden(
            "",
            "pods with pod-level resources cannot be resized",
        )];
    }
    let old_qos = old
        .pointer("/status/qosClass")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| compute_qos(&old["spec"]).to_string());
    if compute_qos(&new["spec"]) != old_qos {
        // field.Invalid(specPath, newPod.Status.QOSClass, ...): the value shown is the stored class.
        errs.push(FieldError::invalid(
            "spec",
            old_qos.clone(),
            "Pod QOS Class may not change as a result of resizing",
        ));
    }
    // isPodResizeRequestSupported: a running container must report status resources.
    let statuses = old
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    if let Some(first_running) = statuses
        .into_iter()
        .flatten()
        .find(|s| s.pointer("/state/running").is_some())
        && first_running.get("resources").is_none()
    {
        errs.push(FieldError::forbidden(
            "spec",
            "Pod running on node without support for resize",
        ));
    }
    let empty = Vec::new();
    let old_cs = old
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let new_cs = new
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    if old_cs.len() != new_cs.len() {
        errs.push(FieldError::forbidden(
            "spec",
            "only cpu and memory resources are mutable",
        ));
        return errs;
    }
    for (i, (o, n)) in old_cs.iter().zip(new_cs).enumerate() {
        let p = format!("spec.containers[{i}].resources");
        for kind in ["requests", "limits"] {
            let now = resource_names(n, kind);
            if resource_names(o, kind).iter().any(|r| !now.contains(r)) {
                errs.push(FieldError::forbidden(
                    format!("{p}.{kind}"),
                    format!("resource {kind} cannot be removed"),
                ));
            }
        }
        if version == KubeVersion::V1_33 {
            let mem_policy = n
                .get("resizePolicy")
                .and_then(Value::as_array)
                .and_then(|ps| ps.iter().find(|p| p["resourceName"] == "memory"))
                .map(|p| crate::util::str_at(p, "restartPolicy").to_string())
                .unwrap_or_default();
            if mem_policy.is_empty() || mem_policy == "NotRequired" {
                match (
                    res_value(n, "limits", "memory"),
                    res_value(o, "limits", "memory"),
                ) {
                    (Some(nl), Some(ol)) if nl < ol => errs.push(FieldError::forbidden(
                        format!("{p}.limits[memory]"),
                        "memory limits cannot be decreased unless resizePolicy is RestartContainer",
                    )),
                    (Some(_), None) => errs.push(FieldError::forbidden(
                        format!("{p}.limits[memory]"),
                        "memory limits cannot be added unless resizePolicy is RestartContainer",
                    )),
                    _ => {}
                }
            }
        }
        if without_cpu_memory(n, o) != *o {
            errs.push(FieldError::forbidden(
                "spec",
                "only cpu and memory resources are mutable",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(req_cpu: &str, lim_cpu: &str, mem: &str) -> Value {
        json!({"spec": {"containers": [{"name": "c", "image": "i", "resources": {
            "requests": {"cpu": req_cpu, "memory": mem}, "limits": {"cpu": lim_cpu, "memory": mem}}}]},
            "status": {"qosClass": "Guaranteed"}})
    }

    #[test]
    fn qos_is_computed_numerically() {
        assert_eq!(compute_qos(&pod("1", "1000m", "1Gi")["spec"]), "Guaranteed");
        assert_eq!(compute_qos(&pod("500m", "1", "1Gi")["spec"]), "Burstable");
        assert_eq!(
            compute_qos(&json!({"containers": [{"name": "c"}]})),
            "BestEffort"
        );
    }

    #[test]
    fn resize_rules_by_version() {
        let old = pod("1", "1", "1Gi");
        let qos_change = pod("500m", "1", "1Gi");
        let errs = validate_resize(&old, &qos_change, KubeVersion::V1_33);
        assert!(errs.iter().any(|e| {
            e.to_string()
                .contains("Pod QOS Class may not change as a result of resizing")
        }));
        let shrink = pod("1", "1", "512Mi");
        assert!(
            validate_resize(&old, &shrink, KubeVersion::V1_33)[0]
                .to_string()
                .contains("memory limits cannot be decreased")
        );
        assert!(validate_resize(&old, &shrink, KubeVersion::V1_34).is_empty());
    }

    #[test]
    fn plain_update_may_not_touch_resources() {
        let old = pod("1", "1", "1Gi");
        let new = pod("1", "1", "2Gi");
        assert!(
            validate_update(&old, &new)[0]
                .to_string()
                .contains("pod updates may not change fields other than")
        );
        let mut img = old.clone();
        img["spec"]["containers"][0]["image"] = json!("other");
        assert!(validate_update(&old, &img).is_empty());
    }
}
