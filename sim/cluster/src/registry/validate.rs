//! Validation shared by create and update: object names, ConfigMaps (1 MiB, key rules),
//! Deployments (selector matches template) and MutatingWebhookConfigurations (timeout range,
//! required fields). Messages follow apimachinery `pkg/util/validation` and
//! kubernetes `pkg/apis/*/validation` so clients that match on them keep working.

use base64::Engine;
use serde_json::Value;

use crate::error::FieldError;
use crate::resources::ResourceDef;
use crate::selector::LabelSelector;
use crate::util;

/// `core.MaxSecretSize`: ConfigMap data + binaryData may total 1 MiB (`ValidateConfigMap`).
pub const MAX_CONFIGMAP_BYTES: usize = 1024 * 1024;
/// apimachinery `DNS1123SubdomainMaxLength`; also the ConfigMap key length limit.
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const DNS1123_LABEL_MAX: usize = 63;

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
pub(crate) const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
/// apimachinery `IsConfigMapKey` (`configMapKeyErrMsg`).
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

pub(crate) fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= DNS1123_LABEL_MAX
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_subdomain(s: &str) -> bool {
    s.len() <= DNS1123_SUBDOMAIN_MAX && s.split('.').all(is_label)
}

/// `metadata.name` rules per resource (namespaces are labels, most others subdomains; Events are
/// named `<object>.<hex>` by clients and only need to be path-safe).
pub fn validate_name(def: &ResourceDef, name: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if def.plural == "events" {
        if name.contains('/') || name.contains('%') || name == "." || name == ".." {
            errs.push(FieldError::invalid(
                "metadata.name",
                name,
                "may not contain '/' or '%'",
            ));
        }
    } else if def.plural == "namespaces" {
        if !is_label(name) {
            errs.push(FieldError::invalid("metadata.name", name, LABEL_MSG));
        }
    } else if !is_subdomain(name) {
        errs.push(FieldError::invalid("metadata.name", name, SUBDOMAIN_MSG));
    }
    errs
}

/// apimachinery `IsConfigMapKey` (also the rule for Secret keys).
pub(crate) fn config_key_errors(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    if key.len() > DNS1123_SUBDOMAIN_MAX {
        out.push(format!(
            "must be no more than {DNS1123_SUBDOMAIN_MAX} characters"
        ));
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        out.push(CONFIG_KEY_MSG.to_string());
    }
    if key == "." {
        out.push("must not be '.'".into());
    } else if key == ".." {
        out.push("must not be '..'".into());
    } else if key.starts_with("..") {
        out.push("must not start with '..'".into());
    }
    out
}

/// `ValidateConfigMap`: key rules, no key in both maps, total size at most 1 MiB.
pub fn validate_configmap(cm: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    let data = cm.get("data").and_then(Value::as_object);
    let binary = cm.get("binaryData").and_then(Value::as_object);
    for (k, v) in data.into_iter().flatten() {
        for msg in config_key_errors(k) {
            errs.push(FieldError::invalid(format!("data[{k}]"), k.as_str(), msg));
        }
        match v.as_str() {
            Some(s) => total += s.len(),
            None => errs.push(FieldError::invalid(
                format!("data[{k}]"),
                v.to_string(),
                "must be a string",
            )),
        }
    }
    for (k, v) in binary.into_iter().flatten() {
        for msg in config_key_errors(k) {
            errs.push(FieldError::invalid(
                format!("binaryData[{k}]"),
                k.as_str(),
                msg,
            ));
        }
        if data.is_some_and(|d| d.contains_key(k)) {
            errs.push(FieldError::invalid(
                format!("binaryData[{k}]"),
                k.as_str(),
                "duplicate of key present in data",
            ));
        }
        // binaryData travels as base64; the limit counts decoded bytes.
        match v
            .as_str()
            .map(|s| base64::engine::general_purpose::STANDARD.decode(s))
        {
            Some(Ok(bytes)) => total += bytes.len(),
            _ => errs.push(FieldError::invalid(
                format!("binaryData[{k}]"),
                "",
                "must be base64-encoded bytes",
            )),
        }
    }
    if total > MAX_CONFIGMAP_BYTES {
        // `field.TooLong(field.NewPath(""), cfg, core.MaxSecretSize)`; the empty path prints as "".
        errs.push(FieldError::too_long(
            "",
            format!("must have at most {MAX_CONFIGMAP_BYTES} bytes"),
        ));
    }
    errs
}

/// apps/v1 Deployment and ReplicaSet: a selector is required and must select the template.
pub fn validate_workload(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let sel = obj.pointer("/spec/selector");
    match sel {
        None | Some(Value::Null) => errs.push(FieldError::required("spec.selector", "")),
        Some(s) => match LabelSelector::from_object(Some(s)) {
            Ok(ls) if ls.is_empty() => errs.push(FieldError::invalid(
                "spec.selector",
                s.to_string(),
                "empty selector is invalid for deployment",
            )),
            Ok(ls) => {
                let labels = obj
                    .pointer("/spec/template/metadata/labels")
                    .and_then(Value::as_object);
                if !ls.matches(labels) {
                    errs.push(FieldError::invalid(
                        "spec.template.metadata.labels",
                        labels
                            .map(|l| Value::Object(l.clone()).to_string())
                            .unwrap_or_default(),
                        "`selector` does not match template `labels`",
                    ));
                }
            }
            Err(e) => errs.push(FieldError::invalid(
                "spec.selector",
                s.to_string(),
                e.message,
            )),
        },
    }
    if obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .is_some_and(|r| r < 0)
    {
        errs.push(FieldError::invalid(
            "spec.replicas",
            obj["spec"]["replicas"].to_string(),
            "must be greater than or equal to 0",
        ));
    }
    if obj
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        errs.push(FieldError::required("spec.template.spec.containers", ""));
    }
    errs
}

/// admissionregistration/v1 `ValidateMutatingWebhookConfiguration`, the parts the sim relies on.
pub fn validate_webhook_configuration(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, wh) in obj
        .get("webhooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = format!("webhooks[{i}]");
        if util::str_at(wh, "name").is_empty() {
            errs.push(FieldError::required(format!("{p}.name"), ""));
        }
        if let Some(t) = wh.get("timeoutSeconds").and_then(Value::as_i64)
            && !(1..=30).contains(&t)
        {
            errs.push(FieldError::invalid(
                format!("{p}.timeoutSeconds"),
                t.to_string(),
                "the timeout value must be between 1 and 30 seconds",
            ));
        }
        match util::str_at(wh, "sideEffects") {
            "None" | "NoneOnDryRun" => {}
            "" => errs.push(FieldError::required(
                format!("{p}.sideEffects"),
                "must specify one of None, NoneOnDryRun",
            )),
            other => errs.push(FieldError {
                field: format!("{p}.sideEffects"),
                kind: crate::error::FieldErrorKind::NotSupported(other.into()),
                detail: "supported values: \"None\", \"NoneOnDryRun\"".into(),
            }),
        }
        if wh
            .get("admissionReviewVersions")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            errs.push(FieldError::required(
                format!("{p}.admissionReviewVersions"),
                "must specify one of v1, v1beta1",
            ));
        }
        match util::str_at(wh, "failurePolicy") {
            "" | "Ignore" | "Fail" => {}
            other => errs.push(FieldError::invalid(
                format!("{p}.failurePolicy"),
                other,
                "supported values: \"Fail\", \"Ignore\"",
            )),
        }
        let cc = wh.get("clientConfig");
        let url = cc.map(|c| util::str_at(c, "url")).unwrap_or("");
        let svc = cc.and_then(|c| c.get("service")).filter(|s| !s.is_null());
        if url.is_empty() == svc.is_none() {
            errs.push(FieldError::required(
                format!("{p}.clientConfig"),
                "exactly one of url or service is required",
            ));
        } else if !url.is_empty() && !url.starts_with("https://") {
            errs.push(FieldError::invalid(
                format!("{p}.clientConfig.url"),
                url,
                "'https' is the only allowed URL scheme",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn configmap_limits_follow_kubernetes() {
        let big = "x".repeat(MAX_CONFIGMAP_BYTES + 1);
        assert_eq!(validate_configmap(&json!({"data": {"a": big}})).len(), 1);
        assert!(validate_configmap(&json!({"data": {"ok.key_1-x": "v"}})).is_empty());
        assert_eq!(
            validate_configmap(&json!({"data": {"bad/key": "v"}})).len(),
            1
        );
        assert_eq!(validate_configmap(&json!({"data": {"..x": "v"}})).len(), 1);
    }
}
