//! Container resources as Kubernetes sees them: declared cpu/memory requests and limits, the
//! pod's QoS class, scaling a limit with its request, and keeping the QoS class through a change.
//!
//! Why QoS matters here: the API server rejects an in-place resize that changes a pod's QoS class
//! (KEP-1287 §QOS Class; `../shared/reference/kubernetes-api-facts.md` §1.7), and a webhook that
//! changed it at admission would silently move the pod to another eviction and OOM-score tier.
//! So every proposal goes through [`fit_to_qos`] before it is applied.

use k8s_openapi::api::core::v1::{Container, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use crate::policy::Allocation;
use crate::quantity::{Quantity, QuantityError};

mod fit;
pub use fit::{
    CPU_QOS_SEPARATION_MILLIS, MEMORY_QOS_SEPARATION_BYTES, fit_to_qos, resize_container,
    scale_keeping_ratio,
};

/// The resources rightsize reads and changes: the only ones the QoS class looks at
/// (`pkg/apis/core/v1/helper/qos/qos.go`, `supportedQoSComputeResources`) and the only ones that
/// can be resized in place (KEP-1287).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Memory,
    Cpu,
}

impl Resource {
    /// Both resources, memory first (the one rightsize sizes).
    pub const ALL: [Resource; 2] = [Resource::Memory, Resource::Cpu];

    /// The key in a `ResourceList`.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Memory => "memory",
            Resource::Cpu => "cpu",
        }
    }
}

/// Request or limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Request,
    Limit,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Request => "request",
            Field::Limit => "limit",
        })
    }
}

/// A pod's QoS class (`status.qosClass`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl std::fmt::Display for QosClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        })
    }
}

/// A declared quantity that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("container {container:?}: {resource} {field}: {source}")]
pub struct ResourcesError {
    pub container: String,
    pub resource: Resource,
    pub field: Field,
    #[source]
    pub source: QuantityError,
}

/// Why a proposed change cannot be made without changing the pod's QoS class (or at all).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QosError {
    #[error("pod is BestEffort: giving it requests or limits would change its QoS class")]
    BestEffortPod,
    #[error("pod sets pod-level resources: its containers are not sized individually")]
    PodLevelResources,
    #[error("no container named {0:?} in the pod")]
    UnknownContainer(String),
    #[error("container {container:?}: the {resource} {field} is set and cannot be removed")]
    WouldRemove {
        container: String,
        resource: Resource,
        field: Field,
    },
    #[error("Guaranteed pod: container {container:?} has neither a {resource} request nor a limit")]
    IncompleteGuaranteed {
        container: String,
        resource: Resource,
    },
    #[error("the change would turn the pod from {from} into {to}")]
    ClassChange { from: QosClass, to: QosClass },
    #[error("container {container:?}: the decided {resource} is no quantity: {source}")]
    InvalidTarget {
        container: String,
        resource: Resource,
        #[source]
        source: QuantityError,
    },
}

/// Request and limit of one resource in one container. Absent and zero mean the same to the QoS
/// rules (`qos.go` compares with zero), but are kept apart because a set value cannot be removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestLimit {
    pub request: Option<Quantity>,
    pub limit: Option<Quantity>,
}

impl RequestLimit {
    pub fn new(request: Option<Quantity>, limit: Option<Quantity>) -> Self {
        Self { request, limit }
    }

    /// The pair as a policy sees it (base units as `f64`): the request (defaulted to the limit),
    /// and the limit, or the request for an unbounded container (no ratio to keep). `None` when
    /// neither is set.
    pub fn allocation(&self) -> Option<Allocation> {
        let request = self.request.or(self.limit)?.as_f64();
        let limit = self.limit.map_or(request, |l| l.as_f64());
        Some(Allocation { request, limit })
    }

    fn request_or_zero(&self) -> Quantity {
        self.request.unwrap_or(Quantity::ZERO)
    }

    fn limit_or_zero(&self) -> Quantity {
        self.limit.unwrap_or(Quantity::ZERO)
    }

    /// This resource's vote in `resourceQOS` (qos.go): equal non-zero request and limit →
    /// Guaranteed, both zero → BestEffort, anything else → Burstable.
    fn class(&self) -> QosClass {
        match (self.request_or_zero(), self.limit_or_zero()) {
            (r, l) if r != l => QosClass::Burstable,
            (r, _) if r.is_zero() => QosClass::BestEffort,
            _ => QosClass::Guaranteed,
        }
    }

    fn field(&self, field: Field) -> Option<Quantity> {
        match field {
            Field::Request => self.request,
            Field::Limit => self.limit,
        }
    }
}

/// The cpu and memory of one container.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContainerResources {
    pub memory: RequestLimit,
    pub cpu: RequestLimit,
}

impl ContainerResources {
    /// Read a container's declared cpu and memory. A limit without a request also sets the
    /// request, as the API server's defaulting does before anything else sees the pod
    /// (`pkg/apis/core/v1/defaults.go`, `SetDefaults_Pod`: "If limits are specified, but
    /// requests are not, default requests to limits"). Other resources are ignored.
    pub fn from_requirements(
        container: &str,
        requirements: Option<&ResourceRequirements>,
    ) -> Result<Self, ResourcesError> {
        let read = |resource: Resource, field: Field| -> Result<Option<Quantity>, ResourcesError> {
            let list = requirements.and_then(|r| match field {
                Field::Request => r.requests.as_ref(),
                Field::Limit => r.limits.as_ref(),
            });
            list.and_then(|l| l.get(resource.name()))
                .map(|q| {
                    Quantity::try_from(q).map_err(|source| ResourcesError {
                        container: container.to_owned(),
                        resource,
                        field,
                        source,
                    })
                })
                .transpose()
        };
        let pair = |resource| -> Result<RequestLimit, ResourcesError> {
            let limit = read(resource, Field::Limit)?;
            let request = read(resource, Field::Request)?.or(limit);
            Ok(RequestLimit::new(request, limit))
        };
        Ok(Self {
            memory: pair(Resource::Memory)?,
            cpu: pair(Resource::Cpu)?,
        })
    }

    /// [`from_requirements`](Self::from_requirements) for a k8s-openapi `Container`.
    pub fn from_container(container: &Container) -> Result<Self, ResourcesError> {
        Self::from_requirements(&container.name, container.resources.as_ref())
    }

    pub fn get(&self, resource: Resource) -> &RequestLimit {
        match resource {
            Resource::Memory => &self.memory,
            Resource::Cpu => &self.cpu,
        }
    }

    pub fn get_mut(&mut self, resource: Resource) -> &mut RequestLimit {
        match resource {
            Resource::Memory => &mut self.memory,
            Resource::Cpu => &mut self.cpu,
        }
    }

    /// The container's own class (`resourceQOS` in qos.go): both resources must agree.
    pub fn class(&self) -> QosClass {
        match (self.memory.class(), self.cpu.class()) {
            (a, b) if a == b => a,
            _ => QosClass::Burstable,
        }
    }

    /// Write cpu and memory into `requirements` in canonical form, leaving other resources (and
    /// absent values) as they are: the shape the webhook's patch and the resize body need.
    pub fn apply_to(&self, requirements: &mut ResourceRequirements) {
        for resource in Resource::ALL {
            let rl = self.get(resource);
            for (field, value) in [(Field::Request, rl.request), (Field::Limit, rl.limit)] {
                let Some(value) = value else { continue };
                let list = match field {
                    Field::Request => &mut requirements.requests,
                    Field::Limit => &mut requirements.limits,
                };
                list.get_or_insert_with(Default::default)
                    .insert(resource.name().to_owned(), K8sQuantity::from(value));
            }
        }
    }
}

/// The declared resources of a whole pod, which is what the QoS class depends on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodResources {
    pub containers: Vec<(String, ContainerResources)>,
    /// Init containers, sidecars included: QoS counts them too.
    pub init_containers: Vec<(String, ContainerResources)>,
    /// `spec.resources` (pod-level resources, `PodLevelResources` gate). The API server drops the
    /// field when the gate is off, so its presence means the gate was on.
    pub pod_level: Option<ContainerResources>,
}

impl PodResources {
    pub fn from_spec(spec: &PodSpec) -> Result<Self, ResourcesError> {
        let read = |cs: &[Container]| -> Result<Vec<_>, ResourcesError> {
            cs.iter()
                .map(|c| Ok((c.name.clone(), ContainerResources::from_container(c)?)))
                .collect()
        };
        Ok(Self {
            containers: read(&spec.containers)?,
            init_containers: read(spec.init_containers.as_deref().unwrap_or_default())?,
            pod_level: spec
                .resources
                .as_ref()
                .map(|r| ContainerResources::from_requirements("(pod)", Some(r)))
                .transpose()?,
        })
    }

    /// The pod's QoS class, as `ComputePodQOS` (qos.go) computes it: from pod-level resources if
    /// set; else BestEffort if no container sets cpu or memory, Guaranteed if every container
    /// (init containers included) has equal non-zero requests and limits for both, else Burstable.
    pub fn qos(&self) -> QosClass {
        if let Some(pod) = &self.pod_level {
            return pod.class();
        }
        let mut classes = self.all().map(|(_, c)| c.class());
        let Some(first) = classes.next() else {
            return QosClass::BestEffort;
        };
        classes.fold(
            first,
            |acc, c| if acc == c { acc } else { QosClass::Burstable },
        )
    }

    /// A container (or init container) by name; names are unique across both lists.
    pub fn container(&self, name: &str) -> Option<&ContainerResources> {
        self.all().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// A copy with one container's resources replaced; `None` if there is no such container.
    pub fn with_container(&self, name: &str, resources: ContainerResources) -> Option<Self> {
        let mut copy = self.clone();
        let slot = copy
            .containers
            .iter_mut()
            .chain(copy.init_containers.iter_mut())
            .find(|(n, _)| n == name)?;
        slot.1 = resources;
        Some(copy)
    }

    fn all(&self) -> impl Iterator<Item = &(String, ContainerResources)> {
        self.containers.iter().chain(&self.init_containers)
    }
}

#[cfg(test)]
mod tests;
