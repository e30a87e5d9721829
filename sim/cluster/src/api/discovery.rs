//! Discovery documents: `/version`, `/api`, `/apis`, `/api/v1`, `/apis/<group>[/<version>]`.
//! Only the legacy (unaggregated) format is served. kubectl asks for aggregated discovery
//! (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`) first and falls back
//! to the legacy documents when the response's Content-Type is plain `application/json`
//! (client-go `discovery.aggregated_discovery.go`), so this is enough for kubectl 1.3x.

use serde_json::{Value, json};

use crate::config::SimConfig;
use crate::resources::{self, ResourceDef};

/// `/version` (`version.Info`): the version the cluster follows, or the one it is configured to
/// report instead ([`SimConfig::reported_version`]).
pub fn version(config: &SimConfig) -> Value {
    let v = config.reported_version.unwrap_or(config.version);
    json!({
        "major": "1",
        "minor": v.minor().to_string(),
        "gitVersion": v.git_version(),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api` (`APIVersions`).
pub fn core_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}],
    })
}

fn group_doc(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `/apis` (`APIGroupList`).
pub fn group_list() -> Value {
    let groups: Vec<Value> = resources::groups()
        .into_iter()
        .map(|(g, v)| group_doc(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>` (`APIGroup`), if served.
pub fn group(group: &str) -> Option<Value> {
    let (g, v) = resources::groups().into_iter().find(|(g, _)| *g == group)?;
    let mut doc = group_doc(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

fn resource_entry(r: &ResourceDef) -> Value {
    let mut e = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        e["shortNames"] = json!(r.short_names);
    }
    if r.plural == "pods" && r.group.is_empty()
        || matches!(
            r.plural,
            "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "jobs" | "cronjobs"
        )
    {
        e["categories"] = json!(["all"]);
    }
    e
}

fn sub_entry(r: &ResourceDef, sub: &str) -> Value {
    let (kind, group, version, verbs): (&str, Option<&str>, Option<&str>, Vec<&str>) = match sub {
        // TokenRequest (kubernetes `pkg/registry/core/serviceaccount/storage`): create only.
        "token" => (
            "TokenRequest",
            Some("authentication.k8s.io"),
            Some("v1"),
            vec!["create"],
        ),
        "scale" => (
            "Scale",
            Some("autoscaling"),
            Some("v1"),
            vec!["get", "patch", "update"],
        ),
        _ => (r.kind, None, None, vec!["get", "patch", "update"]),
    };
    let mut e = json!({
        "name": format!("{}/{}", r.plural, sub),
        "singularName": "",
        "namespaced": r.namespaced,
        "kind": kind,
        "verbs": verbs,
    });
    if let (Some(g), Some(v)) = (group, version) {
        e["group"] = json!(g);
        e["version"] = json!(v);
    }
    e
}

/// `/api/v1` or `/apis/<group>/<version>` (`APIResourceList`), if served.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    if !resources::group_version_served(group, version) {
        return None;
    }
    let mut list = Vec::new();
    for r in resources::all().filter(|r| r.group == group && r.version == version) {
        list.push(resource_entry(r));
        for s in r.subresources {
            list.push(sub_entry(r, s));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KubeVersion;

    #[test]
    fn version_reports_the_rules_followed_unless_told_to_report_another() {
        let mut config = SimConfig {
            version: KubeVersion::V1_33,
            ..SimConfig::default()
        };
        assert_eq!(version(&config)["minor"], "33");
        assert_eq!(version(&config)["gitVersion"], "v1.33.0-rightsize-sim");
        config.reported_version = Some(KubeVersion::V1_34);
        assert_eq!(version(&config)["minor"], "34");
        // The rules followed stay those of `version` (the resize validation reads it).
        assert_eq!(config.version.minor(), 33);
    }
}
