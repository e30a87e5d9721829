//! core/v1 ServiceAccounts: the `default` ServiceAccount of every namespace, and TokenRequest,
//! the `token` subresource (`POST .../serviceaccounts/<name>/token`, authentication.k8s.io/v1)
//! that `kubectl create token` calls.
//!
//! - The ServiceAccount controller (kubernetes `pkg/controller/serviceaccount`) creates `default`
//!   in each namespace; the sim creates it with the namespace (synchronously, so it exists as
//!   soon as the namespace does) and does not re-create it after a delete.
//! - TokenRequest (`pkg/registry/core/serviceaccount/storage/token.go`): the ServiceAccount must
//!   exist; `expirationSeconds` defaults to 3600 (`SetDefaults_TokenRequestSpec`) and must be at
//!   least 600 and at most 2^32 (`ValidateTokenRequest`); audiences default to the API server's
//!   (`--api-audiences`, by default the issuer `https://kubernetes.default.svc.cluster.local`).
//!   The token is opaque (`auth::tokens`), not a JWT.

use serde_json::{Value, json};

use crate::auth::tokens::IssuedToken;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// The ServiceAccount every namespace gets.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";
/// `SetDefaults_TokenRequestSpec`: one hour.
pub const DEFAULT_TOKEN_SECONDS: i64 = 3600;
/// `ValidateTokenRequest`: "may not specify a duration less than 10 minutes".
const MIN_TOKEN_SECONDS: i64 = 600;
/// `ValidateTokenRequest`: "may not specify a duration larger than 2^32 seconds".
const MAX_TOKEN_SECONDS: i64 = 1 << 32;
/// The API server's default audience (its service account issuer).
const DEFAULT_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";
const GROUP: &str = "authentication.k8s.io";

impl Cluster {
    /// Create the `default` ServiceAccount of `ns` unless it exists.
    pub(crate) fn ensure_default_service_account(&self, ns: &str) {
        let def = resources::by_storage("serviceaccounts");
        if self.store.get(def, ns, DEFAULT_SERVICE_ACCOUNT).is_none() {
            let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": ns}});
            let _ = self.store.create(def, sa);
        }
    }

    /// Issue a token for ServiceAccount `ns/name`, valid `seconds`; returns it with its expiry
    /// (Unix seconds). 404 if the ServiceAccount does not exist.
    pub(crate) fn issue_token(
        &self,
        ns: &str,
        name: &str,
        seconds: i64,
    ) -> ApiResult<(String, i64)> {
        let sa = self
            .store
            .get(resources::by_storage("serviceaccounts"), ns, name)
            .ok_or_else(|| ApiError::not_found("", "serviceaccounts", name))?;
        let expires_at = util::unix_now() + seconds;
        let token = self.tokens.issue(IssuedToken {
            namespace: ns.into(),
            service_account: name.into(),
            uid: util::str_at(&sa, "metadata.uid").into(),
            expires_at,
        });
        Ok((token, expires_at))
    }

    /// `POST .../serviceaccounts/<name>/token` with a TokenRequest body.
    pub(crate) fn create_token(&self, ns: &str, name: &str, mut body: Value) -> ApiResult<Value> {
        let kind = util::str_at(&body, "kind");
        if !kind.is_empty() && kind != "TokenRequest" {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind (TokenRequest)"
            )));
        }
        let seconds = body
            .pointer("/spec/expirationSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(DEFAULT_TOKEN_SECONDS);
        let invalid = |detail: &str| {
            ApiError::invalid(
                GROUP,
                "TokenRequest",
                name,
                vec![FieldError::invalid(
                    "spec.expirationSeconds",
                    seconds.to_string(),
                    detail,
                )],
            )
        };
        if seconds < MIN_TOKEN_SECONDS {
            return Err(invalid("may not specify a duration less than 10 minutes"));
        }
        if seconds > MAX_TOKEN_SECONDS {
            return Err(invalid(
                "may not specify a duration larger than 2^32 seconds",
            ));
        }
        let (token, expires_at) = self.issue_token(ns, name, seconds)?;
        let spec = util::obj_entry(&mut body, "spec");
        spec["expirationSeconds"] = json!(seconds);
        if spec
            .get("audiences")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            spec["audiences"] = json!([DEFAULT_AUDIENCE]);
        }
        if spec.get("boundObjectRef").is_none() {
            spec["boundObjectRef"] = Value::Null;
        }
        body["apiVersion"] = json!(format!("{GROUP}/v1"));
        body["kind"] = json!("TokenRequest");
        body["metadata"] = json!({"name": name, "namespace": ns,
            "creationTimestamp": util::now_rfc3339()});
        body["status"] = json!({"token": token,
            "expirationTimestamp": util::rfc3339_at(expires_at)});
        Ok(body)
    }
}
