//! ResourceQuota for pods: what a pod counts against a quota and whether a pod CREATE or a
//! `pods/resize` fits, written from kubernetes `pkg/quota/v1/evaluator/core/pods.go` (usage,
//! `Constraints`, scopes) and `plugin/pkg/admission/resourcequota/controller.go`
//! (`checkRequest`). Messages are the real ones:
//!
//! - `failed quota: NAME: must specify limits.memory for: app,side; requests.cpu for: app`
//!   when a quota constrains cpu/memory and a container leaves that resource out;
//! - `status unknown for quota: NAME, resources: limits.memory` while the quota controller has
//!   not filled `status.used` for a constrained resource;
//! - `exceeded quota: NAME, requested: limits.memory=2Gi, used: limits.memory=1Gi, limited:
//!   limits.memory=2Gi` (only the exceeded resources, sorted, `k=v` joined by commas).
//!
//! A pod's usage follows KEP-1287 §Resource Quota (`resourcehelper.PodRequests`/`PodLimits`
//! with `UseStatusResources`): per container the larger of the desired spec and the actual
//! (`status.containerStatuses[].resources`, and `allocatedResources` for requests), except that
//! an `Infeasible` resize counts at the actual values only. Pods in a terminal phase count
//! nothing. Scopes `BestEffort`, `NotBestEffort`, `Terminating`, `NotTerminating` are honoured;
//! `scopeSelector` is not (such a quota is matched as if it had none).
//!
//! Simplification: two creates racing each other are checked against the same `status.used`
//! (the real plugin serialises them through quota status updates with resourceVersions).

use std::borrow::Borrow;
use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

pub use super::limitranger::Resources;
use super::limitranger::{parse_list, pod_totals_with};
use crate::quantity::Quantity;
use crate::util;

/// Resources a pod is counted in (`podResources`, the ones this sim serves).
pub const POD_RESOURCES: [&str; 8] = [
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "pods",
    "count/pods",
];
/// `validationSet`: constrained resources every container must state.
const VALIDATION_SET: [&str; 6] = [
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

fn is_infeasible(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "PodResizePending" && c["reason"] == "Infeasible")
        })
}

fn max_into(into: &mut Resources, other: Resources) {
    for (k, q) in other {
        if into.get(&k).is_none_or(|have| q > *have) {
            into.insert(k, q);
        }
    }
}

/// One container's requests and limits as quota counts them (see the module doc).
fn effective(pod: &Value, c: &Value) -> (Resources, Resources) {
    let spec = |k: &str| {
        parse_list(
            c.pointer(&format!("/resources/{k}"))
                .and_then(Value::as_object),
        )
    };
    let status = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|ss| ss.iter().find(|s| s["name"] == c["name"]))
        .filter(|s| s.get("resources").is_some());
    let Some(s) = status else {
        return (spec("requests"), spec("limits"));
    };
    let actual = |k: &str| {
        parse_list(
            s.pointer(&format!("/resources/{k}"))
                .and_then(Value::as_object),
        )
    };
    let allocated = parse_list(s.get("allocatedResources").and_then(Value::as_object));
    let (mut req, mut lim) = if is_infeasible(pod) {
        (Resources::new(), Resources::new())
    } else {
        (spec("requests"), spec("limits"))
    };
    max_into(&mut req, actual("requests"));
    max_into(&mut req, allocated);
    max_into(&mut lim, actual("limits"));
    (req, lim)
}

/// `podComputeUsageHelper` over a requests/limits pair.
fn usage_of(req: &Resources, lim: &Resources, counted: bool) -> Resources {
    let mut out = Resources::new();
    if counted {
        out.insert("pods".into(), Quantity::parse("1").expect("literal"));
        out.insert("count/pods".into(), Quantity::parse("1").expect("literal"));
    }
    for r in ["cpu", "memory"] {
        if let Some(q) = req.get(r) {
            out.insert(r.into(), q.clone());
            out.insert(format!("requests.{r}"), q.clone());
        }
        if let Some(q) = lim.get(r) {
            out.insert(format!("limits.{r}"), q.clone());
        }
    }
    out
}

/// What `pod` counts against a quota now (nothing once terminal: `QuotaV1Pod`).
pub fn pod_usage(pod: &Value) -> Resources {
    if matches!(util::str_at(pod, "status.phase"), "Succeeded" | "Failed") {
        return Resources::new();
    }
    let (req, lim) = pod_totals_with(pod, |c| effective(pod, c));
    usage_of(&req, &lim, true)
}

/// Whether the quota's `scopes` select `pod` (`podMatchesScopeFunc`).
pub fn matches(quota: &Value, pod: &Value) -> bool {
    let best_effort = crate::registry::pods::compute_qos(&pod["spec"]) == "BestEffort";
    let terminating = pod
        .pointer("/spec/activeDeadlineSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|s| s >= 0);
    quota
        .pointer("/spec/scopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|s| match s.as_str().unwrap_or("") {
            "BestEffort" => best_effort,
            "NotBestEffort" => !best_effort,
            "Terminating" => terminating,
            "NotTerminating" => !terminating,
            _ => true,
        })
}

/// `quota.Add`: per key, the sum (a key missing on the left takes the right's value).
pub fn add(a: &Resources, b: &Resources) -> Resources {
    let mut out = a.clone();
    for (k, q) in b {
        let sum = out.get(k).map_or(q.clone(), |have| have.add(q));
        out.insert(k.clone(), sum);
    }
    out
}

fn mask(r: &Resources, names: &BTreeSet<String>) -> Resources {
    r.iter()
        .filter(|(k, _)| names.contains(*k))
        .map(|(k, q)| (k.clone(), q.clone()))
        .collect()
}

/// `prettyPrint`: sorted `name=quantity` joined by commas.
fn pretty(r: &Resources) -> String {
    r.iter()
        .map(|(k, q)| format!("{k}={}", q.canonical()))
        .collect::<Vec<_>>()
        .join(",")
}

/// `podEvaluator.Constraints`: each container must state every constrained cpu/memory resource.
fn constraints(required: &BTreeSet<String>, pod: &Value) -> Result<(), String> {
    let required: BTreeSet<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|r| VALIDATION_SET.contains(r))
        .collect();
    let mut missing: std::collections::BTreeMap<&str, BTreeSet<String>> = Default::default();
    for key in ["containers", "initContainers"] {
        for c in pod
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let req = parse_list(c.pointer("/resources/requests").and_then(Value::as_object));
            let lim = parse_list(c.pointer("/resources/limits").and_then(Value::as_object));
            let have = usage_of(&req, &lim, false);
            for r in &required {
                if !have.contains_key(*r) {
                    missing
                        .entry(r)
                        .or_default()
                        .insert(util::str_at(c, "name").to_string());
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = missing
        .iter()
        .map(|(r, names)| {
            format!(
                "{r} for: {}",
                names.iter().cloned().collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    Err(format!("must specify {}", parts.join("; ")))
}

/// A quota whose `status.used` must change because a request was admitted.
pub struct UsedUpdate {
    pub quota: String,
    pub used: Resources,
}

/// `checkRequest` for a pod CREATE (`old` None) or resize (`old` the stored pod): the new
/// `status.used` of each affected quota, or the refusal message (without the `pods "x" is
/// forbidden: ` prefix).
pub fn check(
    quotas: &[impl Borrow<Value>],
    old: Option<&Value>,
    new: &Value,
) -> Result<Vec<UsedUpdate>, String> {
    let mut relevant = Vec::new();
    for q in quotas
        .iter()
        .map(Borrow::borrow)
        .filter(|q| matches(q, new))
    {
        let name = util::str_at(q, "metadata.name");
        let hard = parse_list(q.pointer("/status/hard").and_then(Value::as_object));
        let used = parse_list(q.pointer("/status/used").and_then(Value::as_object));
        let restricted: BTreeSet<String> = hard
            .keys()
            .filter(|k| POD_RESOURCES.contains(&k.as_str()))
            .cloned()
            .collect();
        if restricted.is_empty() {
            continue;
        }
        constraints(&restricted, new).map_err(|e| format!("failed quota: {name}: {e}"))?;
        if restricted.iter().any(|r| !used.contains_key(r)) {
            let names: Vec<&str> = restricted.iter().map(String::as_str).collect();
            return Err(format!(
                "status unknown for quota: {name}, resources: {}",
                names.join(",")
            ));
        }
        relevant.push((name.to_string(), hard, used, restricted));
    }
    let mut delta = pod_usage(new);
    if let Some(old) = old {
        let before = pod_usage(old);
        for (k, q) in &mut delta {
            if let Some(b) = before.get(k) {
                *q = q.sub(b);
            }
        }
    }
    delta.retain(|_, q| q.nanos() != 0);
    if delta.is_empty() {
        return Ok(Vec::new());
    }
    let mut updates = Vec::new();
    for (name, hard, used, restricted) in relevant {
        let requested = mask(&delta, &restricted);
        if requested.is_empty() {
            continue;
        }
        let new_used = add(&used, &requested);
        let exceeded: BTreeSet<String> = requested
            .keys()
            .filter(|k| {
                new_used
                    .get(*k)
                    .is_some_and(|u| hard.get(*k).is_some_and(|h| u > h))
            })
            .cloned()
            .collect();
        if !exceeded.is_empty() {
            return Err(format!(
                "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
                pretty(&mask(&requested, &exceeded)),
                pretty(&mask(&used, &exceeded)),
                pretty(&mask(&hard, &exceeded)),
            ));
        }
        updates.push(UsedUpdate {
            quota: name,
            used: new_used,
        });
    }
    Ok(updates)
}

/// A resource list as JSON (`status.used`).
pub fn to_json(r: &Resources) -> Value {
    Value::Object(
        r.iter()
            .map(|(k, q)| (k.clone(), json!(q.canonical())))
            .collect::<Map<String, Value>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(hard: Value, used: Value) -> Value {
        json!({"metadata": {"name": "mem"}, "spec": {"hard": hard}, "status": {"hard": hard, "used": used}})
    }

    fn pod(limit: &str) -> Value {
        json!({"spec": {"containers": [{"name": "app", "image": "i", "resources": {
            "limits": {"memory": limit}, "requests": {"memory": limit}}}]}})
    }

    #[test]
    fn create_over_the_hard_limit_gets_the_real_message() {
        let q = quota(
            json!({"limits.memory": "2Gi"}),
            json!({"limits.memory": "1Gi"}),
        );
        assert_eq!(
            check(std::slice::from_ref(&q), None, &pod("2Gi"))
                .err()
                .unwrap(),
            "exceeded quota: mem, requested: limits.memory=2Gi, used: limits.memory=1Gi, limited: limits.memory=2Gi"
        );
        let ok = check(&[q], None, &pod("1Gi")).unwrap();
        assert_eq!(to_json(&ok[0].used), json!({"limits.memory": "2Gi"}));
    }

    #[test]
    fn a_container_without_the_constrained_resource_must_specify_it() {
        let q = quota(
            json!({"limits.memory": "2Gi", "requests.cpu": "1"}),
            json!({"limits.memory": "0", "requests.cpu": "0"}),
        );
        let p = json!({"spec": {"containers": [{"name": "app", "image": "i"}, {"name": "b", "image": "i"}]}});
        assert_eq!(
            check(&[q], None, &p).err().unwrap(),
            "failed quota: mem: must specify limits.memory for: app,b; requests.cpu for: app,b"
        );
    }

    #[test]
    fn a_resize_counts_only_its_growth_and_unknown_status_refuses() {
        let q = quota(
            json!({"limits.memory": "2Gi"}),
            json!({"limits.memory": "1Gi"}),
        );
        let old = pod("1Gi");
        assert!(check(std::slice::from_ref(&q), Some(&old), &pod("2Gi")).is_ok());
        assert!(
            check(std::slice::from_ref(&q), Some(&old), &pod("3Gi"))
                .err()
                .unwrap()
                .contains("requested: limits.memory=2Gi")
        );
        let unknown = json!({"metadata": {"name": "mem"}, "status": {"hard": {"pods": "3"}}});
        assert_eq!(
            check(&[unknown], None, &old).err().unwrap(),
            "status unknown for quota: mem, resources: pods"
        );
    }

    #[test]
    fn an_infeasible_resize_counts_at_the_actual_resources() {
        let mut p = pod("4Gi");
        p["status"] = json!({"phase": "Running",
            "conditions": [{"type": "PodResizePending", "status": "True", "reason": "Infeasible"}],
            "containerStatuses": [{"name": "app", "allocatedResources": {"memory": "1Gi"},
                "resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}}]});
        assert_eq!(pod_usage(&p)["limits.memory"].canonical(), "1Gi");
        p["status"]["conditions"] = json!([]);
        assert_eq!(pod_usage(&p)["limits.memory"].canonical(), "4Gi");
    }
}
