//! How the API server's audit log names a request (verb and resource), for the request counts
//! benchmarks and tests read (`SimCluster::request_counts`).

use std::collections::HashMap;

use axum::http::Method;

use super::request::{Target, is_true};

impl Target {
    /// `pods`, `pods/resize`, `pods.metrics.k8s.io`: how the audit log names a resource.
    pub(super) fn resource(&self) -> String {
        let mut r = self.def.plural.to_string();
        if !self.def.group.is_empty() {
            r = format!("{r}.{}", self.def.group);
        }
        if let Some(sub) = &self.sub {
            r = format!("{r}/{sub}");
        }
        r
    }
}

/// The request verb as the API server's audit log records it (get, list, watch, create,
/// update, patch, delete, deletecollection).
pub(super) fn verb(method: &Method, t: &Target, q: &HashMap<String, String>) -> &'static str {
    match (method.as_str(), t.name.is_some()) {
        ("GET", _) if t.legacy_watch || is_true(q, "watch") => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "other",
    }
}
