//! Unit tests of store: the object store.

use super::*;
use crate::resources;
use serde_json::json;

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "a"}})
}

#[test]
fn versions_increase_and_stale_writes_conflict() {
    let s = Store::new(8);
    let def = resources::find("", "v1", "configmaps").unwrap();
    let a = s.create(def, cm("x")).unwrap();
    let rv1 = a["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let b = s
        .update(def, "a", "x", |o| {
            let mut n = o.clone();
            n["data"] = json!({"k": "v"});
            Ok(n)
        })
        .unwrap();
    assert!(
        b["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > rv1.parse().unwrap()
    );
    let err = s
        .update(def, "a", "x", |o| {
            let mut n = o.clone();
            n["metadata"]["resourceVersion"] = json!(rv1);
            n["data"] = json!({"k": "w"});
            Ok(n)
        })
        .unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(s.create(def, cm("x")).unwrap_err().reason, "AlreadyExists");
}

#[test]
fn history_window_expires_old_versions() {
    let s = Store::new(2);
    let def = resources::find("", "v1", "configmaps").unwrap();
    let start = s.current_rv();
    for i in 0..5 {
        s.create(def, cm(&format!("c{i}"))).unwrap();
    }
    assert!(s.events_since(def, start).is_err());
    let recent = s.events_since(def, s.current_rv() - 2).unwrap();
    assert_eq!(recent.len(), 2);
}
