//! Mutating admission of pod CREATE, as the API server's mutating webhook dispatcher does it
//! (k8s.io/apiserver `pkg/admission/plugin/webhook/mutating/dispatcher.go`): every webhook of
//! every MutatingWebhookConfiguration, in name order, whose rules, namespaceSelector,
//! objectSelector and matchConditions match, is called over HTTPS with an
//! `admission.k8s.io/v1` AdmissionReview; its base64 JSONPatch is applied to the object.
//! Call failures (connection, TLS, timeout, bad response) follow `failurePolicy` (default Fail);
//! a denial, or a patch that cannot be decoded or applied, always rejects the request.
//! With `reinvocationPolicy: IfNeeded` a webhook is called once more if a later webhook changed
//! the object after it ran.

mod cel;
mod client;
pub(crate) mod limitranger;
mod matching;
mod policy;
pub(crate) mod quota;

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// admissionregistration/v1 default `timeoutSeconds`.
const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

/// Why a webhook did not produce a new object.
enum HookError {
    /// The call failed: `failurePolicy` decides.
    Call(String),
    /// The webhook answered and the answer rejects the request.
    Reject(ApiError),
}

/// `webhookerrors.ToStatusErr`: a denial keeps the webhook's code (at least 400) and reason.
fn denied(name: &str, status: Option<&Value>) -> ApiError {
    let code = status
        .and_then(|s| s.get("code"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    // Below 400 becomes 400 as in the real server; beyond HTTP's status range (a webhook's
    // `code` is an int32) also 400 rather than a truncated number.
    let code = u16::try_from(code)
        .ok()
        .filter(|c| (400..=599).contains(c))
        .unwrap_or(400);
    let msg = status.map(|s| util::str_at(s, "message")).unwrap_or("");
    let text = if msg.is_empty() {
        format!("admission webhook {name:?} denied the request without explanation")
    } else {
        format!("admission webhook {name:?} denied the request: {msg}")
    };
    let reason: &'static str = match status.map(|s| util::str_at(s, "reason")).unwrap_or("") {
        "Forbidden" => "Forbidden",
        "Invalid" => "Invalid",
        "Unauthorized" => "Unauthorized",
        "Conflict" => "Conflict",
        _ => "",
    };
    ApiError::custom(code, reason, text)
}

impl Cluster {
    async fn call_hook(&self, hook: &Value, ns: &str, obj: &Value) -> Result<Value, HookError> {
        let name = util::str_at(hook, "name");
        let timeout = hook
            .get("timeoutSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        let cc = hook.get("clientConfig").cloned().unwrap_or(json!({}));
        let resolve = |ns: &str, name: &str, port: u64| {
            let svc = self.store.get(resources::by_storage("services"), ns, name);
            let endpoint = self
                .config
                .service_endpoints
                .get(&format!("{ns}/{name}"))
                .copied();
            client::service_address(svc.as_deref(), name, port, endpoint)
        };
        let ep = client::endpoint(&cc, resolve, timeout).map_err(HookError::Call)?;
        let uid = util::new_uid();
        // kube-controller-manager's per-controller service accounts (`--use-service-account-
        // credentials`): the pod's controller kind names the one that creates it.
        let owner_kind = obj
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .and_then(|r| r.iter().find(|o| o["controller"] == true))
            .map(|o| util::str_at(o, "kind"));
        let user = match owner_kind {
            None => "kubernetes-admin",
            Some("StatefulSet") => "system:serviceaccount:kube-system:statefulset-controller",
            Some("DaemonSet") => "system:serviceaccount:kube-system:daemon-set-controller",
            Some("Job") => "system:serviceaccount:kube-system:job-controller",
            Some(_) => "system:serviceaccount:kube-system:replicaset-controller",
        };
        let gvk = json!({"group": "", "version": "v1", "kind": "Pod"});
        let gvr = json!({"group": "", "version": "v1", "resource": "pods"});
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
                "name": util::str_at(obj, "metadata.name"), "namespace": ns, "operation": "CREATE",
                "userInfo": {"username": user, "groups": ["system:authenticated"]},
                "object": obj, "oldObject": null, "dryRun": false,
                "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
            },
        });
        let body = serde_json::to_vec(&review).unwrap_or_default();
        let ca = cc.get("caBundle").and_then(Value::as_str).unwrap_or("");
        let bytes = client::post(&ep, ca, body, Duration::from_secs(timeout))
            .await
            .map_err(HookError::Call)?;
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| HookError::Call(format!("failed to decode the response: {e}")))?;
        let resp = answer
            .get("response")
            .filter(|r| r.is_object())
            .ok_or_else(|| HookError::Call("webhook response was absent".into()))?;
        let got_uid = util::str_at(resp, "uid");
        if got_uid != uid {
            return Err(HookError::Call(format!(
                "expected response.uid={uid:?}, got {got_uid:?}"
            )));
        }
        if resp.get("allowed").and_then(Value::as_bool) != Some(true) {
            return Err(HookError::Reject(denied(name, resp.get("status"))));
        }
        let Some(raw) = patch_bytes(resp.get("patch")).map_err(HookError::Call)? else {
            return Ok(obj.clone());
        };
        match util::str_at(resp, "patchType") {
            "" | "JSONPatch" => {}
            other => {
                return Err(HookError::Reject(ApiError::internal(format!(
                    "unsupported patch type {other:?}"
                ))));
            }
        }
        // Apply errors are internal errors, not subject to failurePolicy.
        let patch: json_patch::Patch = serde_json::from_slice(&raw)
            .map_err(|e| HookError::Reject(ApiError::internal(e.to_string())))?;
        let mut out = obj.clone();
        json_patch::patch(&mut out, &patch)
            .map_err(|e| HookError::Reject(ApiError::internal(e.to_string())))?;
        Ok(out)
    }

    /// Run one webhook if it applies; failures follow its `failurePolicy`. `None`: not called
    /// (no match) or the call failed under `failurePolicy: Ignore`.
    async fn run_hook(
        &self,
        hook: &Value,
        ns: &str,
        obj: &Value,
        ns_labels: Option<&serde_json::Map<String, Value>>,
    ) -> ApiResult<Option<Value>> {
        let name = util::str_at(hook, "name");
        let fail = util::str_at(hook, "failurePolicy") != "Ignore";
        let call_error = |msg: String| -> ApiResult<Option<Value>> {
            if fail {
                Err(ApiError::internal(format!(
                    "failed calling webhook {name:?}: {msg}"
                )))
            } else {
                tracing::warn!(webhook = %name, error = %msg, "webhook call failed, ignored (failurePolicy Ignore)");
                Ok(None)
            }
        };
        match matching::applies(hook, obj, ns_labels) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return call_error(e),
        }
        // An evaluation error with no `false` condition follows failurePolicy (KEP-3716).
        match cel::match_conditions(hook, obj, ns) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return call_error(format!("failed to evaluate matchConditions: {e}")),
        }
        match self.call_hook(hook, ns, obj).await {
            Ok(new) => Ok(Some(new)),
            Err(HookError::Reject(e)) => Err(e),
            Err(HookError::Call(msg)) => call_error(msg),
        }
    }

    /// Mutating admission of a pod CREATE in `ns`; returns the admitted object.
    pub(crate) async fn admit_pod_create(&self, ns: &str, mut obj: Value) -> ApiResult<Value> {
        let configs = self
            .store
            .list(resources::by_storage("mutatingwebhookconfigurations"), None)
            .0;
        let hooks: Vec<Value> = configs
            .iter()
            .flat_map(|c| {
                c.get("webhooks")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        if hooks.is_empty() {
            return Ok(obj);
        }
        let ns_obj = self.store.get(resources::by_storage("namespaces"), "", ns);
        let ns_labels = ns_obj
            .as_ref()
            .and_then(|n| n.pointer("/metadata/labels"))
            .and_then(Value::as_object)
            .cloned();
        let mut after: Vec<Option<Value>> = vec![None; hooks.len()];
        for (i, hook) in hooks.iter().enumerate() {
            if let Some(new) = self.run_hook(hook, ns, &obj, ns_labels.as_ref()).await? {
                obj = new;
                after[i] = Some(obj.clone());
            }
        }
        // One reinvocation of IfNeeded webhooks whose output a later webhook changed.
        for (i, hook) in hooks.iter().enumerate() {
            let changed_later = after[i].as_ref().is_some_and(|seen| *seen != obj);
            if changed_later
                && util::str_at(hook, "reinvocationPolicy") == "IfNeeded"
                && let Some(new) = self.run_hook(hook, ns, &obj, ns_labels.as_ref()).await?
            {
                obj = new;
            }
        }
        Ok(obj)
    }
}

/// `AdmissionResponse.patch`, a Go `[]byte`, as the API server decodes it (encoding/json, via
/// sigs.k8s.io/json): a base64 string, or a JSON array of numbers 0..=255 (Go decodes an array
/// into any slice, `[]byte` included, so kube-core's `Vec<u8>` serialization is accepted). Any
/// other value fails the decode of the whole response, which makes the call fail (`failed to
/// call webhook`, under the webhook's failurePolicy), as it does on the real server.
fn patch_bytes(v: Option<&Value>) -> Result<Option<Vec<u8>>, String> {
    let decode_err = |what: String| format!("failed to decode the response: json: {what}");
    let bytes = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| decode_err(format!("illegal base64 data in response.patch: {e}")))?,
        Some(Value::Array(items)) => items
            .iter()
            .map(|n| {
                n.as_u64().and_then(|n| u8::try_from(n).ok()).ok_or_else(|| {
                    decode_err(format!(
                        "cannot unmarshal {n} into Go struct field AdmissionResponse.response.patch of type uint8"
                    ))
                })
            })
            .collect::<Result<Vec<u8>, String>>()?,
        Some(other) => {
            let ty = match other {
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                _ => "object",
            };
            return Err(decode_err(format!(
                "cannot unmarshal {ty} into Go struct field AdmissionResponse.response.patch of type []uint8"
            )));
        }
    };
    Ok((!bytes.is_empty()).then_some(bytes))
}
