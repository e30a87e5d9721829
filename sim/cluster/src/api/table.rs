//! Server-side printing: `meta.k8s.io/v1` Table answers for `kubectl get` (which asks with
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). Pods get kubectl's familiar columns;
//! other kinds get Name and Age, the real server's default for resources without printers.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::resources::ResourceDef;
use crate::util;

pub(super) fn age(obj: &Value) -> String {
    let Some(t) = util::parse_rfc3339(util::str_at(obj, "metadata.creationTimestamp")) else {
        return "<unknown>".into();
    };
    let s = (util::unix_now() - t).max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

pub(super) fn col(name: &str, ty: &str) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": "", "priority": 0})
}

fn columns(def: &ResourceDef) -> Vec<Value> {
    if let Some(c) = super::table_auth::columns(def) {
        return c;
    }
    if let Some(cols) = super::table_kinds::columns(def) {
        return cols;
    }
    match (def.group, def.plural) {
        ("", "pods") => vec![
            col("Name", "string"),
            col("Ready", "string"),
            col("Status", "string"),
            col("Restarts", "string"),
            col("Age", "string"),
            col("Node", "string"),
        ],
        ("apps", "deployments") => vec![
            col("Name", "string"),
            col("Ready", "string"),
            col("Up-to-date", "integer"),
            col("Available", "integer"),
            col("Age", "string"),
        ],
        ("apps", "replicasets") => vec![
            col("Name", "string"),
            col("Desired", "integer"),
            col("Current", "integer"),
            col("Ready", "integer"),
            col("Age", "string"),
        ],
        ("", "namespaces") => vec![
            col("Name", "string"),
            col("Status", "string"),
            col("Age", "string"),
        ],
        ("", "nodes") => vec![
            col("Name", "string"),
            col("Status", "string"),
            col("Age", "string"),
        ],
        _ => vec![col("Name", "string"), col("Age", "string")],
    }
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
        ("", "pods") => {
            let statuses = o
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array);
            let total = o
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let ready = statuses
                .into_iter()
                .flatten()
                .filter(|s| s["ready"] == true)
                .count();
            let restarts: i64 = statuses
                .into_iter()
                .flatten()
                .map(|s| s["restartCount"].as_i64().unwrap_or(0))
                .sum();
            let phase = util::str_at(o, "status.phase");
            let node = util::str_at(o, "spec.nodeName");
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(phase),
                json!(restarts.to_string()),
                json!(age(o)),
                json!(if node.is_empty() { "<none>" } else { node }),
            ]
        }
        ("apps", "deployments") => vec![
            name,
            json!(format!(
                "{}/{}",
                int("/status/readyReplicas"),
                int("/spec/replicas")
            )),
            json!(int("/status/updatedReplicas")),
            json!(int("/status/availableReplicas")),
            json!(age(o)),
        ],
        ("apps", "replicasets") => vec![
            name,
            json!(int("/spec/replicas")),
            json!(int("/status/replicas")),
            json!(int("/status/readyReplicas")),
            json!(age(o)),
        ],
        ("", "namespaces") => vec![name, json!(util::str_at(o, "status.phase")), json!(age(o))],
        ("", "nodes") => vec![name, json!("Ready"), json!(age(o))],
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
