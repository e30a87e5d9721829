//! Keeping the QoS class through a proposed change: BestEffort stays without requests,
//! Guaranteed keeps request = limit, Burstable never becomes Guaranteed by accident.

use super::*;

#[test]
fn best_effort_pod_is_never_given_requests() {
    let p = pod(&[("app", ContainerResources::default())]);
    let err = fit_to_qos(&p, "app", res(rl("256Mi", ""), rl("", ""))).unwrap_err();
    assert_eq!(err, QosError::BestEffortPod);
    assert_eq!(
        to_request(&p, "app", Resource::Memory, "256Mi").unwrap_err(),
        QosError::BestEffortPod
    );
    // Leaving it alone is fine.
    assert!(fit_to_qos(&p, "app", ContainerResources::default()).is_ok());
}

#[test]
fn guaranteed_pod_keeps_request_equal_to_limit() {
    let p = pod(&[("app", guaranteed())]);
    let fitted = fit_to_qos(&p, "app", res(rl("768Mi", "700Mi"), rl("500m", "500m"))).unwrap();
    assert_eq!(fitted.memory, rl("768Mi", "768Mi"));
    let fitted = fit_to_qos(&p, "app", res(rl("600Mi", "800Mi"), rl("500m", "500m"))).unwrap();
    assert_eq!(
        fitted.memory,
        rl("800Mi", "800Mi"),
        "the larger value, safe against OOM"
    );
    let resized = to_request(&p, "app", Resource::Memory, "1Gi").unwrap();
    assert_eq!(resized, res(rl("1Gi", "1Gi"), rl("500m", "500m")));
}

#[test]
fn guaranteed_pod_needs_a_value_for_every_resource() {
    let p = pod(&[("app", guaranteed())]);
    let err = fit_to_qos(&p, "app", res(rl("1Gi", "1Gi"), rl("", ""))).unwrap_err();
    assert_eq!(
        err,
        QosError::IncompleteGuaranteed {
            container: "app".into(),
            resource: Resource::Cpu
        }
    );
}

#[test]
fn burstable_pod_does_not_become_guaranteed_by_accident() {
    // cpu is already equal; the memory change would make memory equal too.
    let p = pod(&[("app", res(rl("512Mi", "1Gi"), rl("500m", "500m")))]);
    let fitted = fit_to_qos(&p, "app", res(rl("1Gi", "1Gi"), rl("500m", "500m"))).unwrap();
    assert_eq!(fitted.memory, rl("1Gi", "1025Mi"));
    assert_eq!(
        p.with_container("app", fitted).unwrap().qos(),
        QosClass::Burstable
    );
    // A cpu change that closes the gap bumps the cpu limit instead.
    let p = pod(&[("app", res(rl("1Gi", "1Gi"), rl("250m", "500m")))]);
    let fitted = fit_to_qos(&p, "app", res(rl("1Gi", "1Gi"), rl("500m", "500m"))).unwrap();
    assert_eq!(fitted.cpu, rl("500m", "501m"));
    assert_eq!(fitted.memory, rl("1Gi", "1Gi"));
}

#[test]
fn burstable_pod_with_ratio_one_memory_is_resized_without_changing_class() {
    // Declared limit-only memory (ratio 1) and no cpu limit: stays Burstable with equal memory.
    let p = pod(&[("app", res(rl("1Gi", "1Gi"), rl("100m", "")))]);
    let resized = to_request(&p, "app", Resource::Memory, "1536Mi").unwrap();
    assert_eq!(resized, res(rl("1536Mi", "1536Mi"), rl("100m", "")));
}

#[test]
fn burstable_pod_keeps_its_ratio() {
    let p = pod(&[("app", res(rl("512Mi", "1Gi"), rl("100m", "")))]);
    let resized = to_request(&p, "app", Resource::Memory, "300Mi").unwrap();
    assert_eq!(resized.memory, rl("300Mi", "600Mi"));
    assert_eq!(resized.cpu, rl("100m", ""));
}

#[test]
fn request_above_limit_raises_the_limit() {
    let p = pod(&[("app", res(rl("512Mi", "1Gi"), rl("", "")))]);
    let fitted = fit_to_qos(&p, "app", res(rl("2Gi", "1Gi"), rl("", ""))).unwrap();
    assert_eq!(fitted.memory, rl("2Gi", "2Gi"));
}

#[test]
fn set_values_cannot_be_removed() {
    let p = pod(&[("app", res(rl("512Mi", "1Gi"), rl("100m", "")))]);
    let err = fit_to_qos(&p, "app", res(rl("512Mi", ""), rl("100m", ""))).unwrap_err();
    assert_eq!(
        err,
        QosError::WouldRemove {
            container: "app".into(),
            resource: Resource::Memory,
            field: Field::Limit
        }
    );
    assert_eq!(
        err.to_string(),
        r#"container "app": the memory limit is set and cannot be removed"#
    );
}

#[test]
fn zeroing_a_burstable_pod_is_a_class_change() {
    let p = pod(&[("app", res(rl("512Mi", ""), rl("", "")))]);
    let err = fit_to_qos(&p, "app", res(rl("0", ""), rl("", ""))).unwrap_err();
    assert_eq!(
        err,
        QosError::ClassChange {
            from: QosClass::Burstable,
            to: QosClass::BestEffort
        }
    );
    assert_eq!(
        err.to_string(),
        "the change would turn the pod from Burstable into BestEffort"
    );
}

#[test]
fn unknown_container_and_pod_level_resources_are_errors() {
    let p = pod(&[("app", guaranteed())]);
    assert_eq!(
        fit_to_qos(&p, "nope", guaranteed()).unwrap_err(),
        QosError::UnknownContainer("nope".into())
    );
    assert_eq!(
        to_request(&p, "nope", Resource::Memory, "1Gi").unwrap_err(),
        QosError::UnknownContainer("nope".into())
    );
    let mut with_pod_level = p.clone();
    with_pod_level.pod_level = Some(guaranteed());
    assert_eq!(
        fit_to_qos(&with_pod_level, "app", guaranteed()).unwrap_err(),
        QosError::PodLevelResources
    );
}

#[test]
fn init_container_sidecar_can_be_resized() {
    let mut p = pod(&[("app", guaranteed())]);
    p.init_containers.push(("proxy".into(), guaranteed()));
    let resized = to_request(&p, "proxy", Resource::Memory, "256Mi").unwrap();
    assert_eq!(resized.memory, rl("256Mi", "256Mi"));
}

#[test]
fn apply_to_writes_canonical_values_and_keeps_other_resources() {
    let mut r = requirements(&[("ephemeral-storage", "1Gi"), ("memory", "1G")], &[]);
    res(rl("1.5Gi", "3Gi"), rl("0.25", "")).apply_to(&mut r);
    let requests = r.requests.as_ref().unwrap();
    assert_eq!(requests["memory"].0, "1536Mi");
    assert_eq!(requests["cpu"].0, "250m");
    assert_eq!(requests["ephemeral-storage"].0, "1Gi");
    let limits = r.limits.as_ref().unwrap();
    assert_eq!(limits["memory"].0, "3Gi");
    assert!(!limits.contains_key("cpu"));
}
