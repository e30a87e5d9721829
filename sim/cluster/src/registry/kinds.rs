//! Create-time defaults and validation of LimitRanges, ResourceQuotas, Deployments and
//! ReplicaSets (the other workload kinds and PDBs: `workload_kinds`), from kubernetes `pkg/apis/{core,apps,batch,policy}/v1/defaults.go`,
//! the registries' `PrepareForCreate` and `pkg/apis/*/validation`. Messages are the real ones.

use serde_json::{Value, json};

use crate::error::{FieldError, FieldErrorKind};
use crate::quantity;
use crate::resources::ResourceDef;
use crate::util;

/// apps/v1 and batch/v1 `RevisionHistoryLimit` / history defaults.
pub(super) const DEFAULT_REVISION_HISTORY: i64 = 10;
/// `NewForbidden` text for negative numbers (`apimachinery validation.isNegativeErrorMsg`).
pub(super) const NEGATIVE: &str = "must be greater than or equal to 0";

pub(super) fn default(obj: &mut Value, key: &str, v: Value) {
    if obj.get(key).is_none() {
        obj[key] = v;
    }
}

/// The pod spec inside a workload object, if it has one.
pub(super) fn pod_spec_mut<'a>(def: &ResourceDef, obj: &'a mut Value) -> Option<&'a mut Value> {
    match (def.group, def.plural) {
        ("apps", "deployments" | "replicasets" | "statefulsets" | "daemonsets")
        | ("batch", "jobs") => obj.pointer_mut("/spec/template/spec"),
        ("batch", "cronjobs") => obj.pointer_mut("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// Defaults applied whenever such an object is decoded (create and update):
/// `SetDefaults_LimitRangeItem` (a `Container` item's `default` from `max`, `defaultRequest`
/// from `default`, then from `min`).
pub(super) fn default_on_write(def: &ResourceDef, obj: &mut Value) {
    if (def.group, def.plural) != ("", "limitranges") {
        return;
    }
    let Some(items) = obj
        .pointer_mut("/spec/limits")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for item in items.iter_mut().filter(|i| i["type"] == "Container") {
        for (from, to) in [
            ("max", "default"),
            ("default", "defaultRequest"),
            ("min", "defaultRequest"),
        ] {
            let src = item
                .get(from)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if src.is_empty() && item.get(to).is_none() {
                continue;
            }
            let dst = util::obj_entry(item, to);
            for (k, v) in src {
                default(dst, &k, v);
            }
        }
    }
}

/// Create-time defaults and status reset (`PrepareForCreate`). Returns false for kinds this
/// module does not own.
pub(super) fn prepare_create(def: &ResourceDef, obj: &mut Value) -> bool {
    match (def.group, def.plural) {
        ("apps", "deployments" | "replicasets") => {
            let spec = util::obj_entry(obj, "spec");
            default(spec, "replicas", json!(1));
            if def.plural == "deployments" {
                default(
                    spec,
                    "revisionHistoryLimit",
                    json!(DEFAULT_REVISION_HISTORY),
                );
                default(
                    spec,
                    "strategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
                );
            }
            obj["status"] = json!({});
        }
        ("", "resourcequotas") => obj["status"] = json!({}),
        _ => return super::workload_kinds::prepare_create(def, obj),
    }
    true
}

/// Quantity checks of a resource list (`ValidateResourceQuantityValue`).
fn quantities(path: &str, list: Option<&Value>, errs: &mut Vec<FieldError>) {
    for (k, v) in list.and_then(Value::as_object).into_iter().flatten() {
        let shown = v.as_str().map_or_else(|| v.to_string(), String::from);
        match quantity::from_json(v) {
            None => errs.push(FieldError::invalid(format!("{path}[{k}]"), shown, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")),
            Some(q) if q.nanos() < 0 => errs.push(FieldError::invalid(format!("{path}[{k}]"), q.canonical(), NEGATIVE)),
            _ => {}
        }
    }
}

/// `ValidateLimitRange` (core validation): type supported, quantities valid, and the order
/// min ≤ defaultRequest ≤ default ≤ max with ratio ≥ 1.
fn validate_limit_range(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let items = obj.pointer("/spec/limits").and_then(Value::as_array);
    for (i, item) in items.into_iter().flatten().enumerate() {
        let p = format!("spec.limits[{i}]");
        let ty = util::str_at(item, "type");
        if !matches!(ty, "Container" | "Pod" | "PersistentVolumeClaim") {
            errs.push(FieldError {
                field: format!("{p}.type"),
                kind: FieldErrorKind::NotSupported(ty.into()),
                detail: r#"supported values: "Container", "PersistentVolumeClaim", "Pod""#.into(),
            });
        }
        for key in [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ] {
            quantities(&format!("{p}.{key}"), item.get(key), &mut errs);
        }
        if ty == "Pod" {
            for key in ["default", "defaultRequest"] {
                if item
                    .get(key)
                    .and_then(Value::as_object)
                    .is_some_and(|m| !m.is_empty())
                {
                    errs.push(FieldError::forbidden(
                        format!("{p}.{key}"),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
            }
        }
        let q = |key: &str, r: &str| {
            item.pointer(&format!("/{key}/{r}"))
                .and_then(quantity::from_json)
        };
        let names: std::collections::BTreeSet<String> = [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ]
        .iter()
        .flat_map(|k| {
            item.get(*k)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(n, _)| n.clone())
        })
        .collect();
        for r in names {
            let (min, max, def, dreq, ratio) = (
                q("min", &r),
                q("max", &r),
                q("default", &r),
                q("defaultRequest", &r),
                q("maxLimitRequestRatio", &r),
            );
            let mut bad = |key: &str, v: &quantity::Quantity, msg: String| {
                errs.push(FieldError::invalid(
                    format!("{p}.{key}[{r}]"),
                    v.canonical(),
                    msg,
                ))
            };
            if let (Some(mn), Some(mx)) = (&min, &max)
                && mn > mx
            {
                bad(
                    "min",
                    mn,
                    format!(
                        "min value {} is greater than max value {}",
                        mn.canonical(),
                        mx.canonical()
                    ),
                );
            }
            if let (Some(d), Some(mn)) = (&dreq, &min)
                && mn > d
            {
                bad(
                    "defaultRequest",
                    d,
                    format!(
                        "min value {} is greater than default request value {}",
                        mn.canonical(),
                        d.canonical()
                    ),
                );
            }
            if let (Some(d), Some(mx)) = (&dreq, &max)
                && d > mx
            {
                bad(
                    "defaultRequest",
                    d,
                    format!(
                        "default request value {} is greater than max value {}",
                        d.canonical(),
                        mx.canonical()
                    ),
                );
            }
            if let (Some(d), Some(dl)) = (&dreq, &def)
                && d > dl
            {
                bad(
                    "defaultRequest",
                    d,
                    format!(
                        "default request value {} is greater than default limit value {}",
                        d.canonical(),
                        dl.canonical()
                    ),
                );
            }
            if let (Some(d), Some(mn)) = (&def, &min)
                && mn > d
            {
                bad(
                    "default",
                    d,
                    format!(
                        "min value {} is greater than default value {}",
                        mn.canonical(),
                        d.canonical()
                    ),
                );
            }
            if let (Some(d), Some(mx)) = (&def, &max)
                && d > mx
            {
                bad(
                    "default",
                    d,
                    format!(
                        "default value {} is greater than max value {}",
                        d.canonical(),
                        mx.canonical()
                    ),
                );
            }
            if let Some(rt) = &ratio
                && rt.nanos() < 1_000_000_000
            {
                bad(
                    "maxLimitRequestRatio",
                    rt,
                    format!("ratio {} is less than 1", rt.canonical()),
                );
            }
        }
    }
    errs
}

/// `IsStandardQuotaResourceName` plus the prefixed forms (`count/…`, `requests.hugepages-…`).
fn standard_quota_name(n: &str) -> bool {
    const NAMES: [&str; 19] = [
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
    ];
    NAMES.contains(&n)
        || n.contains('/')
        || n.starts_with("hugepages-")
        || n.starts_with("requests.hugepages-")
}

/// `ValidateResourceQuota`: standard names, valid non-negative quantities.
fn validate_resource_quota(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for k in obj
        .pointer("/spec/hard")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !standard_quota_name(k) {
            errs.push(FieldError::invalid(
                format!("spec.hard[{k}]"),
                k.clone(),
                "must be a standard resource for quota",
            ));
        }
    }
    quantities("spec.hard", obj.pointer("/spec/hard"), &mut errs);
    errs
}

/// Kind validation for the kinds this module owns (`None` for others).
pub(super) fn validate(def: &ResourceDef, obj: &Value) -> Option<Vec<FieldError>> {
    Some(match (def.group, def.plural) {
        ("", "limitranges") => validate_limit_range(obj),
        ("", "resourcequotas") => validate_resource_quota(obj),
        _ => return super::workload_kinds::validate(def, obj),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources;

    #[test]
    fn limit_range_items_default_from_max_and_default() {
        let def = resources::by_storage("limitranges");
        let mut lr = json!({"spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "min": {"cpu": "100m"}}]}});
        default_on_write(def, &mut lr);
        let item = &lr["spec"]["limits"][0];
        assert_eq!(item["default"], json!({"memory": "1Gi"}));
        assert_eq!(
            item["defaultRequest"],
            json!({"memory": "1Gi", "cpu": "100m"})
        );
    }

    #[test]
    fn limit_range_order_and_quota_names_are_validated() {
        let def = resources::by_storage("limitranges");
        let lr = json!({"spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "min": {"memory": "2Gi"}}]}});
        let errs = validate(def, &lr).unwrap();
        assert!(errs.iter().any(|e| e.to_string() == r#"spec.limits[0].min[memory]: Invalid value: "2Gi": min value 2Gi is greater than max value 1Gi"#), "{errs:?}");
        let q = json!({"spec": {"hard": {"limits.memory": "-1Gi", "bananas": "1"}}});
        let errs = validate(resources::by_storage("resourcequotas"), &q).unwrap();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0]
                .to_string()
                .contains("must be a standard resource for quota")
        );
        assert!(errs[1].to_string().contains(NEGATIVE));
    }
}
