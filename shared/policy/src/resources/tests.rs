//! Resources tests: reading declared values, the QoS class as Kubernetes computes it, limit
//! scaling, and keeping the QoS class through a proposed change.
use super::*;
use crate::policy::Allocation;
use crate::quantity::Format;
use std::collections::BTreeMap;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

fn opt(s: &str) -> Option<Quantity> {
    (!s.is_empty()).then(|| q(s))
}

/// `rl("512Mi", "1Gi")`; `""` for absent.
fn rl(request: &str, limit: &str) -> RequestLimit {
    RequestLimit::new(opt(request), opt(limit))
}

fn res(memory: RequestLimit, cpu: RequestLimit) -> ContainerResources {
    ContainerResources { memory, cpu }
}

fn pod(containers: &[(&str, ContainerResources)]) -> PodResources {
    PodResources {
        containers: containers
            .iter()
            .map(|(n, c)| (n.to_string(), *c))
            .collect(),
        ..Default::default()
    }
}

fn guaranteed() -> ContainerResources {
    res(rl("512Mi", "512Mi"), rl("500m", "500m"))
}

fn requirements(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> ResourceRequirements {
    let list = |pairs: &[(&str, &str)]| -> Option<BTreeMap<String, K8sQuantity>> {
        (!pairs.is_empty()).then(|| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), K8sQuantity(v.to_string())))
                .collect()
        })
    };
    ResourceRequirements {
        requests: list(requests),
        limits: list(limits),
        ..Default::default()
    }
}

fn container(name: &str, r: Option<ResourceRequirements>) -> Container {
    Container {
        name: name.into(),
        resources: r,
        ..Default::default()
    }
}

#[test]
fn reads_declared_cpu_and_memory_and_ignores_other_resources() {
    let r = requirements(
        &[
            ("memory", "256Mi"),
            ("cpu", "0.1"),
            ("ephemeral-storage", "junk"),
        ],
        &[("memory", "0.5Gi"), ("nvidia.com/gpu", "1")],
    );
    let c = ContainerResources::from_requirements("app", Some(&r)).unwrap();
    assert_eq!(c.memory, rl("256Mi", "512Mi"));
    assert_eq!(c.cpu, rl("100m", ""));
    assert_eq!(
        ContainerResources::from_requirements("app", None).unwrap(),
        ContainerResources::default()
    );
}

#[test]
fn a_limit_without_request_defaults_the_request_like_the_api_server() {
    let r = requirements(&[], &[("memory", "1Gi"), ("cpu", "1")]);
    let c = ContainerResources::from_container(&container("app", Some(r))).unwrap();
    assert_eq!(c.memory, rl("1Gi", "1Gi"));
    assert_eq!(c.cpu, rl("1", "1"));
    assert_eq!(c.class(), QosClass::Guaranteed);
}

#[test]
fn invalid_declared_quantity_names_container_resource_and_field() {
    let r = requirements(&[], &[("memory", "12Qi")]);
    let err = ContainerResources::from_requirements("app", Some(&r)).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"container "app": memory limit: invalid quantity "12Qi": unknown suffix "Qi""#
    );
    assert_eq!((err.resource, err.field), (Resource::Memory, Field::Limit));
}

#[test]
fn qos_class_follows_compute_pod_qos() {
    let be = ContainerResources::default();
    let burst = res(rl("256Mi", ""), rl("", ""));
    assert_eq!(pod(&[]).qos(), QosClass::BestEffort);
    assert_eq!(pod(&[("a", be)]).qos(), QosClass::BestEffort);
    assert_eq!(pod(&[("a", guaranteed())]).qos(), QosClass::Guaranteed);
    assert_eq!(
        pod(&[("a", guaranteed()), ("b", guaranteed())]).qos(),
        QosClass::Guaranteed
    );
    assert_eq!(pod(&[("a", burst)]).qos(), QosClass::Burstable);
    // Guaranteed next to BestEffort is Burstable.
    assert_eq!(
        pod(&[("a", guaranteed()), ("b", be)]).qos(),
        QosClass::Burstable
    );
    // Memory equal but cpu unset: Burstable.
    assert_eq!(
        pod(&[("a", res(rl("1Gi", "1Gi"), rl("", "")))]).qos(),
        QosClass::Burstable
    );
    // Zero counts as unset.
    assert_eq!(
        pod(&[("a", res(rl("0", "0"), rl("0", "")))]).qos(),
        QosClass::BestEffort
    );
    // Values are compared numerically.
    let spelled = res(rl("1Gi", "1024Mi"), rl("1", "1000m"));
    assert_eq!(pod(&[("a", spelled)]).qos(), QosClass::Guaranteed);
}

#[test]
fn init_containers_count_for_qos() {
    let mut p = pod(&[("app", guaranteed())]);
    p.init_containers
        .push(("setup".into(), ContainerResources::default()));
    assert_eq!(p.qos(), QosClass::Burstable);
    p.init_containers[0].1 = guaranteed();
    assert_eq!(p.qos(), QosClass::Guaranteed);
}

#[test]
fn pod_level_resources_decide_qos_when_set() {
    let mut p = pod(&[("app", ContainerResources::default())]);
    p.pod_level = Some(guaranteed());
    assert_eq!(p.qos(), QosClass::Guaranteed);
}

#[test]
fn pod_resources_are_read_from_a_pod_spec() {
    let spec = PodSpec {
        containers: vec![container(
            "app",
            Some(requirements(
                &[("memory", "1Gi"), ("cpu", "1")],
                &[("memory", "1Gi"), ("cpu", "1")],
            )),
        )],
        init_containers: Some(vec![container("init", None)]),
        ..Default::default()
    };
    let p = PodResources::from_spec(&spec).unwrap();
    assert_eq!(p.qos(), QosClass::Burstable);
    assert_eq!(p.container("init"), Some(&ContainerResources::default()));
    assert_eq!(p.container("app").unwrap().memory, rl("1Gi", "1Gi"));
    assert!(p.container("nope").is_none());
    assert!(p.pod_level.is_none());
}

/// Resize `container`'s `resource` to a new request, keeping the declared ratio: the way a
/// caller holding only a request uses the one road ([`resize_container`]).
fn to_request(
    p: &PodResources,
    container: &str,
    resource: Resource,
    request: &str,
) -> Result<ContainerResources, QosError> {
    let current = p
        .container(container)
        .map(|c| *c.get(resource))
        .unwrap_or_default();
    let target = current
        .allocation()
        .unwrap_or(Allocation::equal(0.0))
        .with_request(q(request).as_f64());
    resize_container(p, container, resource, target)
}

fn one(memory: RequestLimit, cpu: RequestLimit) -> PodResources {
    pod(&[("app", res(memory, cpu))])
}

#[test]
fn limit_scales_with_the_request_keeping_the_declared_ratio() {
    let mem = |declared, request| {
        to_request(&one(declared, rl("", "")), "app", Resource::Memory, request)
            .unwrap()
            .memory
    };
    assert_eq!(mem(rl("512Mi", "1Gi"), "300Mi"), rl("300Mi", "600Mi"));
    // Ratio 4/3 rounds the limit up to a whole MiB.
    assert_eq!(mem(rl("768Mi", "1Gi"), "100Mi"), rl("100Mi", "134Mi"));
    // A request in plain bytes gets a limit in whole bytes.
    assert_eq!(mem(rl("1Mi", "3Mi"), "1000001"), rl("1000001", "3000003"));
    // Cpu rounds to whole millicores.
    let cpu = |declared, request| {
        to_request(&one(rl("", ""), declared), "app", Resource::Cpu, request)
            .unwrap()
            .cpu
    };
    assert_eq!(cpu(rl("250m", "500m"), "300m"), rl("300m", "600m"));
    assert_eq!(cpu(rl("3", "4"), "100m"), rl("100m", "134m"));
}

#[test]
fn no_declared_limit_means_no_limit_is_set() {
    let p = one(rl("512Mi", ""), rl("", ""));
    let resized = resize_container(&p, "app", Resource::Memory, Allocation::equal(1073741824.0));
    assert_eq!(resized.unwrap().memory, rl("1Gi", ""));
    // Even when the decision carries a larger limit: an unbounded container stays unbounded.
    let target = Allocation {
        request: 1073741824.0,
        limit: 2147483648.0,
    };
    let resized = resize_container(&p, "app", Resource::Memory, target).unwrap();
    assert_eq!(resized.memory, rl("1Gi", ""));
}

#[test]
fn limit_only_keeps_request_equal_to_limit() {
    let p = one(rl("", "1Gi"), rl("", ""));
    assert_eq!(
        p.container("app").unwrap().memory.allocation(),
        Some(Allocation::equal(1073741824.0))
    );
    let resized = to_request(&p, "app", Resource::Memory, "700Mi").unwrap();
    assert_eq!(resized.memory, rl("700Mi", "700Mi"));
}

#[test]
fn decided_limit_below_request_is_raised_to_it() {
    let p = one(rl("512Mi", "1Gi"), rl("", ""));
    let target = Allocation {
        request: 1073741824.0,
        limit: 536870912.0,
    };
    let resized = resize_container(&p, "app", Resource::Memory, target).unwrap();
    assert_eq!(resized.memory, rl("1Gi", "1Gi"));
}

#[test]
fn nonsense_targets_are_errors_not_panics() {
    let p = one(rl("512Mi", "1Gi"), rl("", ""));
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        let err =
            resize_container(&p, "app", Resource::Memory, Allocation::equal(bad)).unwrap_err();
        assert!(
            matches!(err, QosError::InvalidTarget { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn ratio_limit_scales_with_the_request_keeping_the_declared_ratio() {
    let declared = rl("512Mi", "1Gi");
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &declared, q("300Mi")),
        rl("300Mi", "600Mi")
    );
    // Ratio 4/3 rounds the limit up to a whole MiB.
    let declared = rl("768Mi", "1Gi");
    let scaled = scale_keeping_ratio(Resource::Memory, &declared, q("100Mi"));
    assert_eq!(scaled, rl("100Mi", "134Mi"));
    // A request in plain bytes gets a limit in whole bytes.
    let scaled = scale_keeping_ratio(Resource::Memory, &rl("1", "3"), q("1000001"));
    assert_eq!(scaled, rl("1000001", "3000003"));
    // Cpu rounds to whole millicores.
    assert_eq!(
        scale_keeping_ratio(Resource::Cpu, &rl("250m", "500m"), q("300m")),
        rl("300m", "600m")
    );
    assert_eq!(
        scale_keeping_ratio(Resource::Cpu, &rl("3", "4"), q("100m")),
        rl("100m", "134m")
    );
}

#[test]
fn ratio_no_declared_limit_means_no_limit_is_set() {
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &rl("512Mi", ""), q("1Gi")),
        rl("1Gi", "")
    );
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &rl("", ""), q("1Gi")),
        rl("1Gi", "")
    );
}

#[test]
fn ratio_limit_only_keeps_request_equal_to_limit() {
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &rl("", "1Gi"), q("700Mi")),
        rl("700Mi", "700Mi")
    );
}

#[test]
fn ratio_zero_request_with_a_limit_keeps_the_limit_but_never_below_the_request() {
    let declared = rl("0", "1Gi");
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &declared, q("300Mi")),
        rl("300Mi", "1Gi")
    );
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &declared, q("2Gi")),
        rl("2Gi", "2Gi")
    );
}

#[test]
fn ratio_huge_ratios_do_not_overflow() {
    let declared = RequestLimit::new(Some(Quantity::from_nanos(7, Format::DecimalSI)), opt("5Ei"));
    let scaled = scale_keeping_ratio(Resource::Memory, &declared, q("3Ei"));
    assert!(scaled.limit.unwrap() > q("3Ei"));
}

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
