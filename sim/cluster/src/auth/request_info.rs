//! What a request asks to do, in the terms authorization speaks: verb, API group, resource,
//! subresource, namespace, name, or a non-resource path. A port of k8s.io/apiserver
//! `pkg/endpoints/request/requestinfo.go` (`RequestInfoFactory.NewRequestInfo`), so the sim
//! authorizes exactly the attributes the real server derives: GET without a name is `list` or
//! `watch` (`?watch=true` or the legacy `/watch/` prefix), DELETE without a name is
//! `deletecollection`, a list or watch selecting one `metadata.name` carries that name, and
//! discovery paths (`/api`, `/api/v1`, `/apis/<group>/<version>`) are non-resource requests.

use std::collections::HashMap;

/// `namespaceSubresources` of the real factory: `/namespaces/<ns>/<this>` is a subresource of
/// the namespace, not a resource inside it.
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

/// Authorization attributes of one request (`authorizer.Attributes` without the user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub resource_request: bool,
    /// The URL path (what non-resource rules match).
    pub path: String,
    pub verb: String,
    pub api_group: String,
    pub api_version: String,
    pub namespace: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
}

fn method_verb(method: &str) -> &'static str {
    match method {
        "POST" => "create",
        "GET" | "HEAD" => "get",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => "",
    }
}

/// `metadata.name=<x>` (or `==`) as the only term on that field of a field selector.
fn exact_name(field_selector: &str) -> Option<&str> {
    let mut found = None;
    for term in field_selector.split(',').map(str::trim) {
        let (k, v) = term
            .split_once("==")
            .or_else(|| term.split_once('='))
            .filter(|(k, _)| !k.ends_with('!'))?;
        if k.trim() == "metadata.name" {
            if found.is_some() {
                return None;
            }
            found = Some(v.trim());
        }
    }
    found.filter(|n| !n.is_empty() && !n.contains('/') && *n != "." && *n != "..")
}

impl RequestInfo {
    /// Derive the attributes of `method path?query`.
    pub fn new(method: &str, path: &str, query: &HashMap<String, String>) -> RequestInfo {
        let mut info = RequestInfo {
            path: path.to_string(),
            verb: method.to_ascii_lowercase(),
            ..RequestInfo::default()
        };
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if parts.len() < 3 || !matches!(parts[0], "api" | "apis") {
            return info;
        }
        let mut cur = &parts[1..];
        if parts[0] == "apis" {
            if cur.len() < 3 {
                return info;
            }
            info.api_group = cur[0].to_string();
            cur = &cur[1..];
        }
        info.resource_request = true;
        info.api_version = cur[0].to_string();
        cur = &cur[1..];
        if cur[0] == "watch" || cur[0] == "proxy" {
            if cur.len() < 2 {
                return info;
            }
            info.verb = cur[0].to_string();
            cur = &cur[1..];
        } else {
            info.verb = method_verb(method).to_string();
        }
        if cur[0] == "namespaces" && cur.len() > 1 {
            info.namespace = cur[1].to_string();
            if cur.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&cur[2]) {
                cur = &cur[2..];
            }
        }
        if cur.len() >= 3 && info.verb != "proxy" {
            info.subresource = cur[2].to_string();
        }
        if cur.len() >= 2 {
            info.name = cur[1].to_string();
        }
        info.resource = cur[0].to_string();
        if info.name.is_empty() && info.verb == "get" {
            let watch = query.get("watch").is_some_and(|w| w == "true" || w == "1");
            info.verb = if watch { "watch" } else { "list" }.to_string();
        }
        if info.name.is_empty()
            && matches!(info.verb.as_str(), "list" | "watch")
            && let Some(name) = query.get("fieldSelector").and_then(|f| exact_name(f))
        {
            info.name = name.to_string();
        }
        if info.name.is_empty() && info.verb == "delete" {
            info.verb = "deletecollection".to_string();
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(method: &str, path: &str, query: &[(&str, &str)]) -> RequestInfo {
        let q = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RequestInfo::new(method, path, &q)
    }

    #[test]
    fn resource_paths_give_the_real_factorys_attributes() {
        let i = info("PATCH", "/api/v1/namespaces/shop/pods/web/resize", &[]);
        assert!(i.resource_request);
        assert_eq!(
            (i.verb.as_str(), i.api_group.as_str(), i.namespace.as_str()),
            ("patch", "", "shop")
        );
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.subresource.as_str()),
            ("pods", "web", "resize")
        );
        let i = info("GET", "/apis/apps/v1/deployments", &[("watch", "true")]);
        assert_eq!((i.verb.as_str(), i.api_group.as_str()), ("watch", "apps"));
        let i = info("GET", "/api/v1/watch/namespaces/a/configmaps", &[]);
        assert_eq!((i.verb.as_str(), i.namespace.as_str()), ("watch", "a"));
        let i = info("DELETE", "/api/v1/namespaces/a/pods", &[]);
        assert_eq!(i.verb, "deletecollection");
        let i = info("POST", "/api/v1/namespaces/a/serviceaccounts/sa/token", &[]);
        assert_eq!(
            (i.verb.as_str(), i.resource.as_str(), i.subresource.as_str()),
            ("create", "serviceaccounts", "token")
        );
        // A namespace is its own namespace; `status` is a namespace subresource.
        let i = info("PUT", "/api/v1/namespaces/a/status", &[]);
        assert_eq!(
            (
                i.resource.as_str(),
                i.name.as_str(),
                i.subresource.as_str(),
                i.namespace.as_str()
            ),
            ("namespaces", "a", "status", "a")
        );
        let i = info("GET", "/api/v1/nodes/n1", &[]);
        assert_eq!(
            (i.verb.as_str(), i.namespace.as_str(), i.name.as_str()),
            ("get", "", "n1")
        );
    }

    #[test]
    fn list_selecting_one_name_carries_the_name() {
        let i = info(
            "GET",
            "/api/v1/namespaces/a/configmaps",
            &[("fieldSelector", "metadata.name=state")],
        );
        assert_eq!((i.verb.as_str(), i.name.as_str()), ("list", "state"));
        let i = info(
            "GET",
            "/api/v1/namespaces/a/configmaps",
            &[("fieldSelector", "metadata.name!=state")],
        );
        assert_eq!(i.name, "");
    }

    #[test]
    fn discovery_and_health_are_non_resource_requests() {
        for p in [
            "/api",
            "/api/v1",
            "/apis/apps/v1",
            "/version",
            "/healthz",
            "/openapi/v3",
        ] {
            let i = info("GET", p, &[]);
            assert!(!i.resource_request, "{p}");
            assert_eq!((i.verb.as_str(), i.path.as_str()), ("get", p));
        }
    }
}
