//! SelfSubjectAccessReview (`authorization.k8s.io/v1`): "may I do this?", answered by the same
//! authorizer that judges real requests, so `kubectl auth can-i` and the request itself agree
//! (kubernetes `pkg/registry/authorization/selfsubjectaccessreview/rest.go`: validate the spec,
//! build the attributes from `resourceAttributes` or `nonResourceAttributes`, authorize the
//! requesting user, answer `status.allowed`, `status.reason`).

use serde_json::{Value, json};

use super::Requester;
use super::request_info::RequestInfo;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::resources::REVIEW_GROUP;
use crate::state::Cluster;
use crate::util;

const KIND: &str = "SelfSubjectAccessReview";

/// The attributes a review asks about (`ResourceAttributesFrom` / `NonResourceAttributesFrom`).
fn attributes(spec: &Value) -> ApiResult<RequestInfo> {
    let res = spec.get("resourceAttributes").filter(|v| v.is_object());
    let non = spec.get("nonResourceAttributes").filter(|v| v.is_object());
    let invalid = |field: &str, detail: &str| {
        ApiError::invalid(
            REVIEW_GROUP,
            KIND,
            "",
            vec![FieldError::invalid(field, "", detail)],
        )
    };
    match (res, non) {
        (Some(_), Some(_)) => Err(invalid(
            "spec.nonResourceAttributes",
            "cannot be specified in combination with resourceAttributes",
        )),
        (None, None) => Err(invalid(
            "spec.resourceAttributes",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )),
        (Some(r), None) => Ok(RequestInfo {
            resource_request: true,
            path: String::new(),
            verb: util::str_at(r, "verb").to_string(),
            api_group: util::str_at(r, "group").to_string(),
            api_version: util::str_at(r, "version").to_string(),
            namespace: util::str_at(r, "namespace").to_string(),
            resource: util::str_at(r, "resource").to_string(),
            subresource: util::str_at(r, "subresource").to_string(),
            name: util::str_at(r, "name").to_string(),
        }),
        (None, Some(n)) => Ok(RequestInfo {
            resource_request: false,
            path: util::str_at(n, "path").to_string(),
            verb: util::str_at(n, "verb").to_string(),
            ..RequestInfo::default()
        }),
    }
}

/// The administrator's identity as `kubectl auth whoami` shows it (kubeadm's admin user).
const ADMIN_USER: &str = "kubernetes-admin";
/// `user.SystemPrivilegedGroup`.
const GROUP_MASTERS: &str = "system:masters";

impl Cluster {
    /// Answer a SelfSubjectReview (`authentication.k8s.io/v1`, `kubectl auth whoami`): the
    /// requester's user info (kubernetes `pkg/registry/authentication/selfsubjectreview`).
    pub(crate) fn self_subject_review(&self, requester: &Requester, mut body: Value) -> Value {
        let info = match &requester.0 {
            Some(user) => json!({"username": user.name, "groups": user.groups}),
            None => json!({"username": ADMIN_USER,
                "groups": [GROUP_MASTERS, super::GROUP_AUTHENTICATED]}),
        };
        body["apiVersion"] = json!(format!("{}/v1", crate::resources::AUTHN_GROUP));
        body["kind"] = json!("SelfSubjectReview");
        body["metadata"] = json!({"creationTimestamp": null});
        body["status"] = json!({"userInfo": info});
        body
    }

    /// Answer a SelfSubjectAccessReview created by `requester`.
    pub(crate) fn self_subject_access_review(
        &self,
        requester: &Requester,
        mut body: Value,
    ) -> ApiResult<Value> {
        let kind = util::str_at(&body, "kind");
        if !kind.is_empty() && kind != KIND {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({KIND})"
            )));
        }
        let info = attributes(body.get("spec").unwrap_or(&Value::Null))?;
        let status = match &requester.0 {
            None => json!({"allowed": true}),
            Some(user) => {
                let d = self.authorize(user, &info);
                let mut s = json!({"allowed": d.allowed});
                if !d.reason.is_empty() {
                    s["reason"] = json!(d.reason);
                }
                s
            }
        };
        body["apiVersion"] = json!(format!("{REVIEW_GROUP}/v1"));
        body["kind"] = json!(KIND);
        body["metadata"] = json!({"creationTimestamp": null});
        body["status"] = status;
        Ok(body)
    }
}
