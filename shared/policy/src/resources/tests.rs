//! Resources tests: reading declared values and the QoS class as Kubernetes computes it, with the
//! builders the limit-scaling and QoS-keeping tests (child modules) share.
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

mod keep_qos;
mod limit_scaling;
