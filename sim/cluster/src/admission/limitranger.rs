//! The LimitRanger admission plugin for pods (kubernetes `plugin/pkg/admission/limitranger/
//! admission.go`), written from that source:
//!
//! - **Mutating** (`PodMutateLimitFunc`, run before the mutating webhooks, as LimitRanger comes
//!   before MutatingAdmissionWebhook in the default plugin order): every `Container` item's
//!   `defaultRequest` and `default` fill the requests and limits a container leaves out, and the
//!   pod is annotated `kubernetes.io/limit-ranger: LimitRanger plugin set: cpu, memory request
//!   for container app; ...`.
//! - **Validating** (`PodValidateLimitFunc`, after the webhooks): `min`, `max` and
//!   `maxLimitRequestRatio` of `Container` items per container and init container, and of `Pod`
//!   items over the pod's summed requests and limits. The first LimitRange with violations
//!   refuses the request with 403 `pods "NAME" is forbidden: <aggregate>`, the aggregate being
//!   the one message alone or `[m1, m2]` (apimachinery `utilerrors.NewAggregate`).
//! - **Resize**: `DefaultLimitRangerActions.SupportsAttributes` accepts UPDATE of the `resize`
//!   subresource of pods (KEP-1287 §Affected Components: "LimitRanger and ResourceQuota evaluate
//!   resizes"), so a resize is validated the same way. Defaults are not applied on resize: the
//!   resize validation forbids removing a request or limit, so a default has nothing to fill.
//!
//! Items are read from the stored LimitRanges after their own defaulting
//! (`SetDefaults_LimitRangeItem`, applied on write in `registry::kinds`).

use std::borrow::Borrow;

use serde_json::{Map, Value, json};

use crate::quantity::{self, Quantity};
use crate::util;

/// `limitRangerAnnotation`.
pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

const LISTS: [(&str, &str); 2] = [
    ("containers", "container"),
    ("initContainers", "init container"),
];

fn items(lr: &Value) -> impl Iterator<Item = &Value> {
    lr.pointer("/spec/limits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn list<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

/// `defaultContainerResourceRequirements` + `mergePodResourceRequirements`: fill missing
/// requests/limits of every container from the `Container` items of `ranges`.
pub fn apply_defaults(ranges: &[impl Borrow<Value>], pod: &mut Value) {
    let mut annotations: Vec<String> = Vec::new();
    for lr in ranges {
        let mut req = Map::new();
        let mut lim = Map::new();
        for item in items(lr.borrow()).filter(|i| i["type"] == "Container") {
            req.extend(list(item, "defaultRequest").cloned().unwrap_or_default());
            lim.extend(list(item, "default").cloned().unwrap_or_default());
        }
        if req.is_empty() && lim.is_empty() {
            continue;
        }
        for (key, prefix) in LISTS {
            let Some(cs) = pod
                .pointer_mut(&format!("/spec/{key}"))
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for c in cs {
                let cname = util::str_at(c, "name").to_string();
                let res = util::obj_entry(c, "resources");
                for (kind, defaults, word) in
                    [("requests", &req, "request"), ("limits", &lim, "limit")]
                {
                    let target = util::obj_entry(res, kind);
                    let mut set: Vec<&str> = Vec::new();
                    for (k, v) in defaults {
                        if target.get(k.as_str()).is_none() {
                            target[k.as_str()] = v.clone();
                            set.push(k.as_str());
                        }
                    }
                    if !set.is_empty() {
                        set.sort_unstable();
                        annotations.push(format!("{} {word} for {prefix} {cname}", set.join(", ")));
                    }
                }
            }
        }
    }
    if !annotations.is_empty() {
        let meta = util::obj_entry(pod, "metadata");
        util::obj_entry(meta, "annotations")[ANNOTATION] = json!(format!(
            "LimitRanger plugin set: {}",
            annotations.join("; ")
        ));
    }
}

/// `requestLimitEnforcedValues`: milli-units when all three fit, whole units otherwise.
fn observed(
    req: Option<&Quantity>,
    lim: Option<&Quantity>,
    enforced: &Quantity,
) -> (i128, i128, i128) {
    const MAX_MILLI: i128 = i64::MAX as i128 / 1000;
    let v = |q: Option<&Quantity>| q.map_or(0, Quantity::value);
    if v(req) <= MAX_MILLI && v(lim) <= MAX_MILLI && enforced.value() <= MAX_MILLI {
        let m = |q: Option<&Quantity>| q.map_or(0, Quantity::milli_value);
        (m(req), m(lim), enforced.milli_value())
    } else {
        (v(req), v(lim), enforced.value())
    }
}

/// Resource name → quantity.
pub type Resources = std::collections::BTreeMap<String, Quantity>;

pub fn parse_list(v: Option<&Map<String, Value>>) -> Resources {
    v.into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), quantity::from_json(v)?)))
        .collect()
}

/// `minConstraint`, `maxConstraint`, `limitRequestRatioConstraint` of one item over one set of
/// requests and limits; messages verbatim.
fn check(item: &Value, kind: &str, req: &Resources, lim: &Resources, errs: &mut Vec<String>) {
    for (r, min) in parse_list(list(item, "min")) {
        let (rq, lq) = (req.get(&r), lim.get(&r));
        let (ov, ol, e) = observed(rq, lq, &min);
        let m = min.canonical();
        match rq {
            None => errs.push(format!(
                "minimum {r} usage per {kind} is {m}.  No request is specified"
            )),
            Some(q) if ov < e => errs.push(format!(
                "minimum {r} usage per {kind} is {m}, but request is {}",
                q.canonical()
            )),
            _ if lq.is_some() && ol < e => errs.push(format!(
                "minimum {r} usage per {kind} is {m}, but limit is {}",
                lq.map(Quantity::canonical).unwrap_or_default()
            )),
            _ => {}
        }
    }
    for (r, max) in parse_list(list(item, "max")) {
        let (rq, lq) = (req.get(&r), lim.get(&r));
        let (ov, ol, e) = observed(rq, lq, &max);
        let m = max.canonical();
        match lq {
            None => errs.push(format!(
                "maximum {r} usage per {kind} is {m}.  No limit is specified"
            )),
            Some(l) if ol > e => errs.push(format!(
                "maximum {r} usage per {kind} is {m}, but limit is {}",
                l.canonical()
            )),
            _ if rq.is_some() && ov > e => errs.push(format!(
                "maximum {r} usage per {kind} is {m}, but request is {}",
                rq.map(Quantity::canonical).unwrap_or_default()
            )),
            _ => {}
        }
    }
    for (r, ratio) in parse_list(list(item, "maxLimitRequestRatio")) {
        let (rq, lq) = (req.get(&r), lim.get(&r));
        let (ov, ol, _) = observed(rq, lq, &ratio);
        let m = ratio.canonical();
        if rq.is_none() || ov == 0 {
            errs.push(format!("{r} max limit to request ratio per {kind} is {m}, but no request is specified or request is 0"));
        } else if lq.is_none() || ol == 0 {
            errs.push(format!("{r} max limit to request ratio per {kind} is {m}, but no limit is specified or limit is 0"));
        } else {
            let shown = ol as f64 / ov as f64;
            // Compared in thousandths when the ratio fits, as the source does.
            let (obs, max) = if ratio.value() <= i64::MAX as i128 / 1000 {
                (shown * 1000.0, ratio.milli_value() as f64)
            } else {
                (shown, ratio.value() as f64)
            };
            if obs > max {
                errs.push(format!("{r} max limit to request ratio per {kind} is {m}, but provided ratio is {shown:.6}"));
            }
        }
    }
}

fn container_lists(c: &Value) -> (Resources, Resources) {
    (
        parse_list(c.pointer("/resources/requests").and_then(Value::as_object)),
        parse_list(c.pointer("/resources/limits").and_then(Value::as_object)),
    )
}

/// Pod totals (`computePodResourceRequest`, also `resourcehelper.PodRequests`/`PodLimits`):
/// containers summed, then each init container taken if larger (init containers run one at a
/// time before the others). `per_container` reads one container's requests and limits.
pub fn pod_totals_with(
    pod: &Value,
    per_container: impl Fn(&Value) -> (Resources, Resources),
) -> (Resources, Resources) {
    let (mut req, mut lim) = (Resources::new(), Resources::new());
    let cs = |k: &str| {
        pod.pointer(&format!("/spec/{k}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for c in cs("containers") {
        let (r, l) = per_container(&c);
        for (total, add) in [(&mut req, r), (&mut lim, l)] {
            for (k, q) in add {
                let sum = total.get(&k).map_or(q.clone(), |t| t.add(&q));
                total.insert(k, sum);
            }
        }
    }
    for c in cs("initContainers") {
        let (r, l) = per_container(&c);
        for (total, one) in [(&mut req, r), (&mut lim, l)] {
            for (k, q) in one {
                if total.get(&k).is_none_or(|t| q > *t) {
                    total.insert(k, q);
                }
            }
        }
    }
    (req, lim)
}

fn pod_totals(pod: &Value) -> (Resources, Resources) {
    pod_totals_with(pod, container_lists)
}

/// `PodValidateLimitFunc` over each LimitRange in turn: the first one with violations gives the
/// aggregated message (without the `pods "x" is forbidden: ` prefix).
pub fn validate(ranges: &[impl Borrow<Value>], pod: &Value) -> Result<(), String> {
    for lr in ranges {
        let mut errs = Vec::new();
        for item in items(lr.borrow()) {
            match util::str_at(item, "type") {
                "Container" => {
                    for (key, _) in LISTS {
                        for c in pod
                            .pointer(&format!("/spec/{key}"))
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let (req, lim) = container_lists(c);
                            check(item, "Container", &req, &lim, &mut errs);
                        }
                    }
                }
                "Pod" => {
                    let (req, lim) = pod_totals(pod);
                    check(item, "Pod", &req, &lim, &mut errs);
                }
                _ => {}
            }
        }
        if !errs.is_empty() {
            return Err(aggregate(errs));
        }
    }
    Ok(())
}

/// apimachinery `aggregate.Error()`: duplicates dropped; one message alone, several in brackets.
pub fn aggregate(errs: Vec<String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errs {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    if seen.len() == 1 {
        seen.remove(0)
    } else {
        format!("[{}]", seen.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> Value {
        json!({"spec": {"limits": [{"type": "Container",
            "max": {"memory": "1Gi"}, "min": {"memory": "64Mi"},
            "default": {"memory": "512Mi", "cpu": "500m"}, "defaultRequest": {"memory": "256Mi"},
            "maxLimitRequestRatio": {"memory": "4"}}]}})
    }

    fn pod(resources: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "i", "resources": resources}]}})
    }

    #[test]
    fn defaults_fill_only_what_the_container_left_out_and_annotate() {
        let mut p = pod(json!({"limits": {"memory": "768Mi"}, "requests": {"memory": "768Mi"}}));
        apply_defaults(&[range()], &mut p);
        let r = &p["spec"]["containers"][0]["resources"];
        assert_eq!(r["limits"], json!({"memory": "768Mi", "cpu": "500m"}));
        assert_eq!(r["requests"], json!({"memory": "768Mi"}));
        assert_eq!(
            p["metadata"]["annotations"][ANNOTATION],
            "LimitRanger plugin set: cpu limit for container app"
        );
    }

    #[test]
    fn max_violation_names_the_limit_and_several_are_bracketed() {
        let p = pod(json!({"limits": {"memory": "2Gi"}, "requests": {"memory": "2Gi"}}));
        assert_eq!(
            validate(&[range()], &p).unwrap_err(),
            "maximum memory usage per Container is 1Gi, but limit is 2Gi"
        );
        let p = pod(json!({"limits": {"memory": "2Gi"}, "requests": {"memory": "32Mi"}}));
        assert_eq!(
            validate(&[range()], &p).unwrap_err(),
            "[minimum memory usage per Container is 64Mi, but request is 32Mi, maximum memory usage per Container is 1Gi, but limit is 2Gi, memory max limit to request ratio per Container is 4, but provided ratio is 64.000000]"
        );
        let p = pod(json!({"limits": {"memory": "1Gi"}, "requests": {"memory": "128Mi"}}));
        assert_eq!(
            validate(&[range()], &p).unwrap_err(),
            "memory max limit to request ratio per Container is 4, but provided ratio is 8.000000"
        );
        let p = pod(json!({"limits": {"memory": "1Gi"}}));
        assert_eq!(
            validate(&[range()], &p).unwrap_err(),
            "[minimum memory usage per Container is 64Mi.  No request is specified, memory max limit to request ratio per Container is 4, but no request is specified or request is 0]"
        );
        let ok = pod(json!({"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}}));
        assert!(validate(&[range()], &ok).is_ok());
    }

    #[test]
    fn pod_items_judge_the_summed_containers() {
        let lr = json!({"spec": {"limits": [{"type": "Pod", "max": {"memory": "1Gi"}}]}});
        let mut p = pod(json!({"limits": {"memory": "600Mi"}}));
        let c = p["spec"]["containers"][0].clone();
        let mut c2 = c.clone();
        c2["name"] = json!("side");
        p["spec"]["containers"] = json!([c, c2]);
        assert_eq!(
            validate(&[lr], &p).unwrap_err(),
            "maximum memory usage per Pod is 1Gi, but limit is 1200Mi"
        );
    }
}
