//! Authentication and authorization of API requests.
//!
//! - Authentication: a request without credentials (the plain-HTTP admin kubeconfig has none)
//!   or with the administrator's token (the TLS admin kubeconfig's) is the cluster
//!   administrator and is not restricted, as `system:masters` is not on a real cluster. A `Bearer` token the sim issued through TokenRequest ([`tokens`]) is its
//!   ServiceAccount, `system:serviceaccount:<ns>:<name>` in the groups `system:serviceaccounts`,
//!   `system:serviceaccounts:<ns>` and `system:authenticated` (k8s.io/apiserver
//!   `pkg/authentication/serviceaccount/util.go`). Any other bearer token is 401 Unauthorized.
//! - Authorization ([`rbac`]): a ServiceAccount's request is allowed only if RBAC grants its
//!   attributes ([`request_info`]); otherwise it gets the real 403 Status ([`forbidden`]).
//!   The default ClusterRoles and bindings a real server bootstraps are in [`bootstrap`].
//! - SelfSubjectAccessReview ([`review`]) answers "may I?" with the same authorizer.

pub mod bootstrap;
pub mod rbac;
pub mod request_info;
pub mod review;
pub mod tokens;

use axum::http::HeaderMap;

use crate::error::{ApiError, ApiResult};
use crate::resources;
use crate::state::Cluster;
use request_info::RequestInfo;

/// `user.AllAuthenticated`.
pub const GROUP_AUTHENTICATED: &str = "system:authenticated";
/// `serviceaccount.AllServiceAccountsGroup`.
pub const GROUP_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// An authenticated user other than the administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

impl User {
    /// The user a ServiceAccount token authenticates as (`serviceaccount.UserInfo`).
    pub fn service_account(ns: &str, name: &str) -> User {
        User {
            name: format!("system:serviceaccount:{ns}:{name}"),
            groups: vec![
                GROUP_SERVICE_ACCOUNTS.to_string(),
                format!("{GROUP_SERVICE_ACCOUNTS}:{ns}"),
                GROUP_AUTHENTICATED.to_string(),
            ],
        }
    }
}

/// Who sent a request: `None` is the unrestricted administrator.
#[derive(Debug, Clone, Default)]
pub struct Requester(pub Option<User>);

/// The `Authorization: Bearer <token>` value, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `forbiddenMessage` + `apierrors.NewForbidden` (k8s.io/apiserver
/// `pkg/endpoints/handlers/responsewriters/errors.go`): `pods "x" is forbidden: User "u" cannot
/// patch resource "pods/resize" in API group "" in the namespace "ns"`, `... at the cluster
/// scope`, or `forbidden: User "u" cannot get path "/x"`; RBAC's reason, if any, after a colon.
pub fn forbidden(user: &User, info: &RequestInfo, reason: &str) -> ApiError {
    let who = &user.name;
    let mut msg = if !info.resource_request {
        format!("User {who:?} cannot {} path {:?}", info.verb, info.path)
    } else {
        let mut resource = info.resource.clone();
        if !info.subresource.is_empty() {
            resource = format!("{resource}/{}", info.subresource);
        }
        let scope = if info.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace {:?}", info.namespace)
        };
        format!(
            "User {who:?} cannot {} resource {resource:?} in API group {:?} {scope}",
            info.verb, info.api_group
        )
    };
    if !reason.is_empty() {
        msg = format!("{msg}: {reason}");
    }
    let (group, resource) = if info.resource_request {
        (info.api_group.as_str(), info.resource.as_str())
    } else {
        ("", "")
    };
    ApiError::forbidden_resource(group, resource, &info.name, &msg)
}

impl Cluster {
    /// Authenticate a request by its headers: `Ok(None)` for the administrator (no bearer
    /// token), the ServiceAccount of an issued, unexpired token whose ServiceAccount still
    /// exists with the uid it was issued for, 401 otherwise.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> ApiResult<Option<User>> {
        let Some(token) = bearer(headers) else {
            return Ok(None);
        };
        if token == self.tokens.admin() {
            return Ok(None);
        }
        let unauthorized = || ApiError::custom(401, "Unauthorized", "Unauthorized");
        let issued = self
            .tokens
            .lookup(token, crate::util::unix_now())
            .ok_or_else(unauthorized)?;
        let sa = self
            .store
            .get(
                resources::by_storage("serviceaccounts"),
                &issued.namespace,
                &issued.service_account,
            )
            .ok_or_else(unauthorized)?;
        if crate::util::str_at(&sa, "metadata.uid") != issued.uid {
            return Err(unauthorized());
        }
        Ok(Some(User::service_account(
            &issued.namespace,
            &issued.service_account,
        )))
    }

    /// Authorize `info` for `requester`: the administrator always, a user through RBAC.
    pub(crate) fn check_access(&self, requester: &Requester, info: &RequestInfo) -> ApiResult<()> {
        let Some(user) = &requester.0 else {
            return Ok(());
        };
        let d = self.authorize(user, info);
        if d.allowed {
            Ok(())
        } else {
            Err(forbidden(user, info, &d.reason))
        }
    }
}
