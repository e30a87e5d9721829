//! Create-time defaults and validation of StatefulSets, DaemonSets, Jobs, CronJobs and
//! PodDisruptionBudgets (kubernetes `pkg/apis/{apps,batch}/v1/defaults.go`, the Job registry's
//! `generateSelector`, `pkg/apis/{apps,batch,policy}/validation`). Messages are the real ones.

use serde_json::{Value, json};

use super::kinds::{DEFAULT_REVISION_HISTORY, NEGATIVE, default};
use super::validate::validate_workload;
use crate::error::{FieldError, FieldErrorKind};
use crate::resources::ResourceDef;
use crate::util;

/// batch/v1 `SetDefaults_Job` `backoffLimit`.
const DEFAULT_BACKOFF_LIMIT: i64 = 6;
/// batch/v1 `SetDefaults_CronJob` history limits.
const DEFAULT_SUCCESSFUL_HISTORY: i64 = 3;
const DEFAULT_FAILED_HISTORY: i64 = 1;
/// `batch.ControllerUidLabel`, `batch.JobNameLabel` and their legacy forms.
pub const JOB_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
const LEGACY_UID_LABEL: &str = "controller-uid";
const LEGACY_NAME_LABEL: &str = "job-name";

/// `SetDefaults_Job` plus the Job strategy's `generateSelector`: the uid is fixed here (the
/// store keeps it) so the selector and template labels can name it.
fn prepare_job(obj: &mut Value) {
    let name = util::str_at(obj, "metadata.name").to_string();
    let uid = util::new_uid();
    obj["metadata"]["uid"] = json!(uid);
    let spec = util::obj_entry(obj, "spec");
    if spec.get("completions").is_none() && spec.get("parallelism").is_none() {
        spec["completions"] = json!(1);
    }
    default(spec, "parallelism", json!(1));
    default(spec, "backoffLimit", json!(DEFAULT_BACKOFF_LIMIT));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    if spec.get("manualSelector") != Some(&json!(true)) {
        let labels = util::obj_entry(
            util::obj_entry(util::obj_entry(spec, "template"), "metadata"),
            "labels",
        );
        for (k, v) in [
            (JOB_UID_LABEL, &uid),
            (JOB_NAME_LABEL, &name),
            (LEGACY_UID_LABEL, &uid),
            (LEGACY_NAME_LABEL, &name),
        ] {
            default(labels, k, json!(v));
        }
        let sel = util::obj_entry(util::obj_entry(spec, "selector"), "matchLabels");
        default(sel, JOB_UID_LABEL, json!(uid));
    }
    obj["status"] = json!({});
}

/// Create-time defaults and status reset. Returns false for kinds this module does not own.
pub(super) fn prepare_create(def: &ResourceDef, obj: &mut Value) -> bool {
    match (def.group, def.plural) {
        ("apps", "statefulsets") => {
            let spec = util::obj_entry(obj, "spec");
            default(spec, "replicas", json!(1));
            default(spec, "podManagementPolicy", json!("OrderedReady"));
            default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            default(
                spec,
                "revisionHistoryLimit",
                json!(DEFAULT_REVISION_HISTORY),
            );
            default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            obj["status"] = json!({"replicas": 0, "availableReplicas": 0});
        }
        ("apps", "daemonsets") => {
            let spec = util::obj_entry(obj, "spec");
            default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
            );
            default(
                spec,
                "revisionHistoryLimit",
                json!(DEFAULT_REVISION_HISTORY),
            );
            obj["status"] = json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0});
        }
        ("batch", "jobs") => prepare_job(obj),
        ("batch", "cronjobs") => {
            let spec = util::obj_entry(obj, "spec");
            default(spec, "concurrencyPolicy", json!("Allow"));
            default(spec, "suspend", json!(false));
            default(
                spec,
                "successfulJobsHistoryLimit",
                json!(DEFAULT_SUCCESSFUL_HISTORY),
            );
            default(
                spec,
                "failedJobsHistoryLimit",
                json!(DEFAULT_FAILED_HISTORY),
            );
            obj["status"] = json!({});
        }
        ("policy", "poddisruptionbudgets") => {
            obj["status"] = json!({"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0});
        }
        _ => return false,
    }
    true
}

fn not_supported(field: String, value: &str, supported: &str) -> FieldError {
    FieldError {
        field,
        kind: FieldErrorKind::NotSupported(value.into()),
        detail: format!("supported values: {supported}"),
    }
}

fn non_negative(obj: &Value, ptr: &str, field: &str, errs: &mut Vec<FieldError>) {
    if let Some(v) = obj.pointer(ptr).and_then(Value::as_i64).filter(|v| *v < 0) {
        errs.push(FieldError::invalid(field, v.to_string(), NEGATIVE));
    }
}

/// A pod template's `restartPolicy` against the kind's allowed values (unset means the
/// defaulted `Always`).
fn restart_policy(spec: Option<&Value>, field: &str, allowed: &[&str], errs: &mut Vec<FieldError>) {
    let rp = spec
        .and_then(|s| s.get("restartPolicy"))
        .and_then(Value::as_str)
        .unwrap_or("Always");
    if !allowed.contains(&rp) {
        let list: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        errs.push(not_supported(field.into(), rp, &list.join(", ")));
    }
}

/// `ValidateJobSpec` essentials: counts non-negative, restartPolicy OnFailure or Never.
fn validate_job_spec(spec: &Value, path: &str, errs: &mut Vec<FieldError>) {
    for k in [
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
    ] {
        non_negative(spec, &format!("/{k}"), &format!("{path}.{k}"), errs);
    }
    restart_policy(
        spec.pointer("/template/spec"),
        &format!("{path}.template.spec.restartPolicy"),
        &["OnFailure", "Never"],
        errs,
    );
}

/// `ValidatePodDisruptionBudgetSpec`: not both `minAvailable` and `maxUnavailable`; each an
/// int ≥ 0 or a percent ≤ 100%. The real message prints the Go struct as the value; the sim
/// shows the two fields instead.
fn validate_pdb(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (min, max) = (
        obj.pointer("/spec/minAvailable"),
        obj.pointer("/spec/maxUnavailable"),
    );
    if let (Some(a), Some(b)) = (min, max) {
        errs.push(FieldError::invalid(
            "spec",
            format!("minAvailable: {a}, maxUnavailable: {b}"),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    for (key, v) in [("minAvailable", min), ("maxUnavailable", max)] {
        let field = format!("spec.{key}");
        match v {
            Some(Value::Number(n)) if n.as_i64().is_none_or(|i| i < 0) => errs.push(FieldError::invalid(field, n.to_string(), NEGATIVE)),
            Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<u64>().ok()) {
                None => errs.push(FieldError::invalid(field, s.clone(), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")),
                Some(p) if p > 100 => errs.push(FieldError::invalid(field, s.clone(), "must not be greater than 100%")),
                _ => {}
            },
            _ => {}
        }
    }
    if let Some(sel) = obj.pointer("/spec/selector")
        && let Err(e) = crate::selector::LabelSelector::from_object(Some(sel))
    {
        errs.push(FieldError::invalid(
            "spec.selector",
            sel.to_string(),
            e.message,
        ));
    }
    errs
}

/// Kind validation for the kinds this module owns (`None` for others).
pub(super) fn validate(def: &ResourceDef, obj: &Value) -> Option<Vec<FieldError>> {
    let mut errs = Vec::new();
    match (def.group, def.plural) {
        ("apps", "statefulsets") => {
            errs.extend(validate_workload(obj));
            let policy = util::str_at(obj, "spec.podManagementPolicy");
            if !matches!(policy, "" | "OrderedReady" | "Parallel") {
                errs.push(not_supported(
                    "spec.podManagementPolicy".into(),
                    policy,
                    r#""OrderedReady", "Parallel""#,
                ));
            }
        }
        ("apps", "daemonsets") => {
            errs.extend(validate_workload(obj));
            restart_policy(
                obj.pointer("/spec/template/spec"),
                "spec.template.spec.restartPolicy",
                &["Always"],
                &mut errs,
            );
        }
        ("batch", "jobs") => validate_job_spec(&obj["spec"], "spec", &mut errs),
        ("batch", "cronjobs") => {
            let schedule = util::str_at(obj, "spec.schedule");
            if schedule.is_empty() {
                errs.push(FieldError::required("spec.schedule", ""));
            } else if let Err(e) = crate::cron::parse(schedule) {
                errs.push(FieldError::invalid("spec.schedule", schedule, e));
            }
            let policy = util::str_at(obj, "spec.concurrencyPolicy");
            if !matches!(policy, "" | "Allow" | "Forbid" | "Replace") {
                errs.push(not_supported(
                    "spec.concurrencyPolicy".into(),
                    policy,
                    r#""Allow", "Forbid", "Replace""#,
                ));
            }
            validate_job_spec(
                &obj["spec"]["jobTemplate"]["spec"],
                "spec.jobTemplate.spec",
                &mut errs,
            );
        }
        ("policy", "poddisruptionbudgets") => errs = validate_pdb(obj),
        _ => return None,
    }
    Some(errs)
}
