//! Table columns of the kinds `auth` and Services add, as the real server's printers
//! (kubernetes `pkg/printers/internalversion/printers.go`) print them: Services
//! (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, SELECTOR with `-o wide`), ServiceAccounts
//! (NAME SECRETS AGE), Roles and ClusterRoles (NAME CREATED AT), RoleBindings and
//! ClusterRoleBindings (NAME ROLE AGE; USERS GROUPS SERVICEACCOUNTS with `-o wide`).

use serde_json::{Value, json};

use super::table::col_p as col;
use crate::resources::{RBAC_GROUP, ResourceDef};
use crate::util;

/// Columns for `def`, if it is one of these kinds.
pub fn columns(def: &ResourceDef) -> Option<Vec<Value>> {
    Some(match (def.group, def.plural) {
        ("", "services") => vec![
            col("Name", "string", 0),
            col("Type", "string", 0),
            col("Cluster-IP", "string", 0),
            col("External-IP", "string", 0),
            col("Port(s)", "string", 0),
            col("Age", "string", 0),
            col("Selector", "string", 1),
        ],
        ("", "serviceaccounts") => vec![
            col("Name", "string", 0),
            col("Secrets", "string", 0),
            col("Age", "string", 0),
        ],
        (RBAC_GROUP, "roles" | "clusterroles") => {
            vec![col("Name", "string", 0), col("Created At", "date", 0)]
        }
        (RBAC_GROUP, "rolebindings" | "clusterrolebindings") => vec![
            col("Name", "string", 0),
            col("Role", "string", 0),
            col("Age", "string", 0),
            col("Users", "string", 1),
            col("Groups", "string", 1),
            col("ServiceAccounts", "string", 1),
        ],
        _ => return None,
    })
}

fn or_none(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

/// `makePortString`: `80/TCP`, `80:30080/TCP` with a node port, comma-separated.
fn ports(o: &Value) -> String {
    let list: Vec<String> = o
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let proto = util::str_at(p, "protocol");
            match p.get("nodePort").and_then(Value::as_i64).filter(|n| *n > 0) {
                Some(np) => format!("{port}:{np}/{proto}"),
                None => format!("{port}/{proto}"),
            }
        })
        .collect();
    or_none(list.join(","))
}

/// `getServiceExternalIP`.
fn external_ip(o: &Value) -> String {
    let spec_ips = || {
        o.pointer("/spec/externalIPs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    match util::str_at(o, "spec.type") {
        "ExternalName" => util::str_at(o, "spec.externalName").to_string(),
        "LoadBalancer" => {
            let ingress: Vec<String> = o
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|i| match util::str_at(i, "ip") {
                    "" => util::str_at(i, "hostname").to_string(),
                    ip => ip.to_string(),
                })
                .collect();
            let all = [spec_ips(), ingress.join(",")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(",");
            if all.is_empty() {
                "<pending>".into()
            } else {
                all
            }
        }
        _ => or_none(spec_ips()),
    }
}

fn subjects(o: &Value, kind: &str) -> String {
    let binding_ns = util::str_at(o, "metadata.namespace");
    let names: Vec<String> = o
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| util::str_at(s, "kind") == kind)
        .map(|s| {
            let name = util::str_at(s, "name");
            if kind != "ServiceAccount" {
                return name.to_string();
            }
            match util::str_at(s, "namespace") {
                "" => format!("{binding_ns}/{name}"),
                ns => format!("{ns}/{name}"),
            }
        })
        .collect();
    names.join(", ")
}

/// Cells for `o`, if `def` is one of these kinds. `age` is the shared AGE formatter.
pub fn cells(def: &ResourceDef, o: &Value, age: &str) -> Option<Vec<Value>> {
    let name = json!(util::str_at(o, "metadata.name"));
    Some(match (def.group, def.plural) {
        ("", "services") => {
            let selector = o
                .pointer("/spec/selector")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let cluster_ip = match util::str_at(o, "spec.clusterIP") {
                "" => "<none>",
                ip => ip,
            };
            vec![
                name,
                json!(util::str_at(o, "spec.type")),
                json!(cluster_ip),
                json!(external_ip(o)),
                json!(ports(o)),
                json!(age),
                json!(or_none(selector)),
            ]
        }
        ("", "serviceaccounts") => {
            let secrets = o
                .get("secrets")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            vec![name, json!(secrets), json!(age)]
        }
        (RBAC_GROUP, "roles" | "clusterroles") => {
            vec![name, json!(util::str_at(o, "metadata.creationTimestamp"))]
        }
        (RBAC_GROUP, "rolebindings" | "clusterrolebindings") => vec![
            name,
            json!(format!(
                "{}/{}",
                util::str_at(o, "roleRef.kind"),
                util::str_at(o, "roleRef.name")
            )),
            json!(age),
            json!(subjects(o, "User")),
            json!(subjects(o, "Group")),
            json!(subjects(o, "ServiceAccount")),
        ],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources;

    #[test]
    fn created_at_is_a_date_column_without_a_format_as_in_printers_go() {
        let roles = resources::all()
            .find(|d| d.group == RBAC_GROUP && d.plural == "roles")
            .expect("roles are served");
        let cols = columns(roles).expect("a Role table");
        assert_eq!(cols[0]["format"], "name");
        assert_eq!(cols[1]["name"], "Created At");
        assert_eq!(cols[1]["type"], "date");
        assert_eq!(cols[1]["format"], "");
    }
}
