//! Unit tests of registry/services: defaults, validation, carried-over allocations.

use super::*;

fn svc(v: Value) -> Value {
    let mut v = v;
    default_fields(&mut v);
    v
}

#[test]
fn defaults_follow_set_defaults_service() {
    let s = svc(json!({"spec": {"ports": [{"port": 443}]}}));
    assert_eq!(s["spec"]["type"], "ClusterIP");
    assert_eq!(s["spec"]["sessionAffinity"], "None");
    assert_eq!(s["spec"]["ports"][0]["protocol"], "TCP");
    assert_eq!(s["spec"]["ports"][0]["targetPort"], 443);
    let h = svc(json!({"spec": {"clusterIP": "None"}}));
    assert_eq!(h["spec"]["clusterIPs"], json!(["None"]));
    assert!(validate(&h).is_empty(), "a headless Service needs no ports");
}

#[test]
fn ports_are_validated_as_validate_service_does() {
    let errs = validate(&svc(json!({"spec": {"ports": [
        {"port": 0}, {"name": "Bad_Name", "port": 80, "protocol": "HTTP"}]}})));
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(
        text.contains(&"spec.ports[0].name: Required value".to_string()),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t
            .starts_with("spec.ports[0].port: Invalid value: \"0\": must be between 1 and 65535")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("spec.ports[1].name: Invalid value: \"Bad_Name\"")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("spec.ports[1].protocol: Unsupported value: \"HTTP\"")),
        "{text:?}"
    );
    assert_eq!(
        validate(&svc(json!({"spec": {}})))[0].to_string(),
        "spec.ports: Required value"
    );
    assert!(
        validate(&svc(
            json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}]}})
        ))
        .is_empty()
    );
}

#[test]
fn cluster_ip_is_carried_over_and_may_not_change() {
    let old = svc(json!({"spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 80}]}}));
    let mut new = svc(json!({"spec": {"ports": [{"port": 80}]}}));
    carry_allocations(&old, &mut new);
    assert_eq!(new["spec"]["clusterIPs"], json!(["10.96.0.10"]));
    assert!(validate_update(&old, &new).is_empty());
    let moved = svc(json!({"spec": {"clusterIP": "10.96.0.11", "ports": [{"port": 80}]}}));
    assert_eq!(
        validate_update(&old, &moved)[0].to_string(),
        "spec.clusterIPs[0]: Invalid value: \"10.96.0.11\": may not change once set"
    );
    assert!(in_cidr("10.111.255.254".parse().unwrap()));
    assert!(!in_cidr("10.112.0.1".parse().unwrap()));
}
