//! The contract every sizing policy implements, shared by the controller, the webhook and the
//! trace evaluator (`../shared/EVALUATION.md`, "PODS AND PROCESSING OF ONE SAMPLE").
//!
//! One policy value holds the state of ONE workload (one container of it): what it has learned
//! from every pod of that workload, plus whatever it keeps per running pod. Amounts are bytes as
//! `f64` and are never rounded (the evaluation protocol requires it; the controller rounds when it
//! formats a quantity).

/// Identifies one pod (one container) within a workload. Opaque to the policy: the evaluator
/// numbers pods in start order, the controller derives it from the pod UID.
pub type PodId = u64;

/// Memory request and limit of one container, in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Allocation {
    pub request: f64,
    pub limit: f64,
}

impl Allocation {
    /// Request equal to limit (the Guaranteed-style sizing the evaluator uses).
    pub fn equal(bytes: f64) -> Self {
        Self {
            request: bytes,
            limit: bytes,
        }
    }

    /// Limit over request: what a resize keeps so the pod's QoS class and its declared headroom
    /// survive. A zero request cannot carry a ratio; it counts as request = limit.
    pub fn limit_ratio(&self) -> f64 {
        if self.request > 0.0 {
            self.limit / self.request
        } else {
            1.0
        }
    }

    /// This allocation's ratio with the request set to `request` (limit = request × ratio).
    pub fn with_request(&self, request: f64) -> Self {
        Self {
            request,
            limit: request * self.limit_ratio(),
        }
    }

    /// This allocation's ratio with the limit set to `limit` (request = limit / ratio).
    pub fn with_limit(&self, limit: f64) -> Self {
        Self {
            request: limit / self.limit_ratio(),
            limit,
        }
    }
}

/// A sizing answer together with the reason a person reads in the pod's Events.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub allocation: Allocation,
    pub reason: String,
}

/// What admission answers for a new pod.
#[derive(Clone, Debug, PartialEq)]
pub enum Admission {
    /// Keep what the pod declares (no history, or the policy has nothing better).
    Declared,
    /// Start the pod with this allocation.
    Sized(Decision),
}

/// One usage sample of a running container, with the state it was taken in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    /// The pod the sample belongs to.
    pub pod: PodId,
    /// Sample time, seconds.
    pub t: f64,
    /// Working-set memory at the sample (bytes).
    pub usage: f64,
    /// Maximum working set during the sample's window (bytes); equals `usage` where the source
    /// has no window maximum.
    pub peak: f64,
    /// How long the sample stands for (seconds); the weight of the sample in any average.
    pub duration: f64,
    /// The container was OOM-killed during this sample.
    pub oom: bool,
    /// Allocation in force during the sample.
    pub current: Allocation,
    /// When the pod started (seconds).
    pub pod_start: f64,
}

/// A sizing policy for one workload: admission of new pods and in-place resizes of running ones.
pub trait SizingPolicy {
    /// A new pod `pod` of the workload starts at `t`; `declared` is what its spec asks for.
    /// Called only once the workload has history (the evaluator gives the very first pod its
    /// declared size without asking).
    fn admit(&mut self, pod: PodId, declared: Allocation, t: f64) -> Admission;

    /// The policy sees one sample and may answer a new allocation for the pod, in force from its
    /// next sample. An answer equal to `obs.current` is no resize.
    fn observe(&mut self, obs: &Observation) -> Option<Decision>;

    /// Pod `pod` is gone for good: the policy drops whatever it keeps for that pod (what it
    /// learned for the workload stays). The controller calls it when a pod is deleted; the
    /// evaluator when a replica's pod is replaced at rollout. Without it, per-pod state would
    /// grow for as long as the controller runs. The default keeps nothing per pod.
    fn pod_gone(&mut self, _pod: PodId) {}
}
