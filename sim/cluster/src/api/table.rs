//! Server-side printing: `meta.k8s.io/v1` Table answers for `kubectl get` (which asks with
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). The served kinds get the real
//! server's columns (wide ones at priority 1, hidden by kubectl without `-o wide`); the cells of
//! pods, nodes and events are computed in [`printers`]; kinds without a printer here get Name
//! and Age.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::printers;
use crate::resources::ResourceDef;
use crate::util;

pub(super) fn age(obj: &Value) -> String {
    printers::since(util::str_at(obj, "metadata.creationTimestamp"))
}

/// A column; `priority` 1 is shown by kubectl only with `-o wide`.
/// A column definition as printers.go writes them: only `Name` has a format (`name`); a
/// `Created At` column is of type `date` without one.
pub(super) fn col_p(name: &str, ty: &str, priority: u8) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
}

pub(super) fn col(name: &str, ty: &str) -> Value {
    col_p(name, ty, 0)
}

/// Columns of the printers in kubernetes `pkg/printers/internalversion/printers.go`.
fn columns(def: &ResourceDef) -> Vec<Value> {
    if let Some(c) = super::table_auth::columns(def) {
        return c;
    }
    if let Some(cols) = super::table_kinds::columns(def) {
        return cols;
    }
    let s = |n: &str| col(n, "string");
    let i = |n: &str| col(n, "integer");
    let wide = |n: &str| col_p(n, "string", 1);
    match (def.group, def.plural) {
        ("", "pods") => vec![
            s("Name"),
            s("Ready"),
            s("Status"),
            s("Restarts"),
            s("Age"),
            wide("IP"),
            wide("Node"),
            wide("Nominated Node"),
            wide("Readiness Gates"),
        ],
        ("apps", "deployments") => vec![
            s("Name"),
            s("Ready"),
            i("Up-to-date"),
            i("Available"),
            s("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ],
        ("apps", "replicasets") => vec![
            s("Name"),
            i("Desired"),
            i("Current"),
            i("Ready"),
            s("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ],
        ("", "namespaces") => vec![s("Name"), s("Status"), s("Age")],
        ("", "nodes") => vec![
            s("Name"),
            s("Status"),
            s("Roles"),
            s("Age"),
            s("Version"),
            wide("Internal-IP"),
            wide("External-IP"),
            wide("OS-Image"),
            wide("Kernel-Version"),
            wide("Container-Runtime"),
        ],
        (_, "events") => vec![
            s("Last Seen"),
            s("Type"),
            s("Reason"),
            s("Object"),
            wide("Subobject"),
            wide("Source"),
            s("Message"),
            wide("First Seen"),
            wide("Count"),
            wide("Name"),
        ],
        ("", "configmaps") => vec![s("Name"), i("Data"), s("Age")],
        ("", "secrets") => vec![s("Name"), s("Type"), s("Data"), s("Age")],
        ("coordination.k8s.io", "leases") => vec![s("Name"), s("Holder"), s("Age")],
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations") => {
            vec![s("Name"), i("Webhooks"), s("Age")]
        }
        _ => vec![s("Name"), s("Age")],
    }
}

/// `layoutContainerCells`: container names and images, comma-separated.
fn containers(o: &Value, ptr: &str) -> (Value, Value) {
    let cs = o.pointer(ptr).and_then(Value::as_array);
    let field = |f: &str| -> Vec<&str> {
        cs.into_iter()
            .flatten()
            .map(|c| c[f].as_str().unwrap_or(""))
            .collect()
    };
    (
        json!(field("name").join(",")),
        json!(field("image").join(",")),
    )
}

/// `metav1.FormatLabelSelector` for `matchLabels` and the common expressions.
fn selector(o: &Value) -> Value {
    let sel = &o["spec"]["selector"];
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    json!(if parts.is_empty() {
        "<none>".to_string()
    } else {
        parts.join(",")
    })
}

fn count(o: &Value, fields: &[&str]) -> i64 {
    fields
        .iter()
        .map(|f| o[*f].as_object().map_or(0, |m| m.len() as i64))
        .sum()
}

fn cells(def: &ResourceDef, o: &Value) -> Vec<Value> {
    if let Some(c) = super::table_auth::cells(def, o, &age(o)) {
        return c;
    }
    if let Some(cells) = super::table_kinds::cells(def, o) {
        return cells;
    }
    let name = json!(util::str_at(o, "metadata.name"));
    let int = |p: &str| o.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    match (def.group, def.plural) {
        ("", "pods") => printers::pod(o),
        ("apps", "deployments") => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    int("/status/readyReplicas"),
                    int("/spec/replicas")
                )),
                json!(int("/status/updatedReplicas")),
                json!(int("/status/availableReplicas")),
                json!(age(o)),
                names,
                images,
                selector(o),
            ]
        }
        ("apps", "replicasets") => {
            let (names, images) = containers(o, "/spec/template/spec/containers");
            vec![
                name,
                json!(int("/spec/replicas")),
                json!(int("/status/replicas")),
                json!(int("/status/readyReplicas")),
                json!(age(o)),
                names,
                images,
                selector(o),
            ]
        }
        ("", "namespaces") => vec![name, json!(util::str_at(o, "status.phase")), json!(age(o))],
        ("", "nodes") => printers::node(o),
        (_, "events") => printers::event(o),
        ("", "configmaps") => vec![
            name,
            json!(count(o, &["data", "binaryData"])),
            json!(age(o)),
        ],
        ("", "secrets") => vec![
            name,
            json!(util::str_at(o, "type")),
            json!(count(o, &["data"])),
            json!(age(o)),
        ],
        ("coordination.k8s.io", "leases") => vec![
            name,
            json!(util::str_at(o, "spec.holderIdentity")),
            json!(age(o)),
        ],
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations") => vec![
            name,
            json!(o["webhooks"].as_array().map_or(0, Vec::len)),
            json!(age(o)),
        ],
        _ => vec![name, json!(age(o))],
    }
}

fn row(def: &ResourceDef, o: &Value, q: &HashMap<String, String>) -> Value {
    let object = if q.get("includeObject").map(String::as_str) == Some("Object") {
        o.clone()
    } else {
        json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]})
    };
    json!({"cells": cells(def, o), "object": object})
}

/// Table for a list response.
pub fn from_list(def: &ResourceDef, list: &Value, q: &HashMap<String, String>) -> Value {
    let rows: Vec<Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| row(def, o, q))
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list["metadata"], "columnDefinitions": columns(def), "rows": rows})
}

/// Table for a single object.
pub fn from_object(def: &ResourceDef, o: &Value, q: &HashMap<String, String>) -> Value {
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": o["metadata"]["resourceVersion"]}, "columnDefinitions": columns(def), "rows": [row(def, o, q)]})
}
