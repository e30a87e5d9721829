//! What admission reads besides the review: a snapshot the server takes before calling
//! [`mutate`](super::mutate), as plain values with no I/O behind them. The server fills them
//! from its cached watches (history view, LimitRanges, Nodes); nothing here calls the API server,
//! so the request path never waits on it (DESIGN §2).

use std::sync::Arc;

use rightsize_history::WorkloadHistory;
use rightsize_policy::SizingPolicy;
use rightsize_policy::config::{ConfigError, PolicyArgs, PolicyName};
pub use rightsize_policy::controls::Bounds;
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::rightsize::{RightsizeParams, RightsizePolicy};
use rightsize_policy::seed::{SeedParams, SeedPolicy};
use rightsize_policy::workload::WorkloadRef;

pub use super::limits::{Constraints, LimitRangeSnapshot, NodeAllocatable};

/// Where admission reads a workload's learned profiles from (the `HistoryView` in production, a
/// map in tests).
pub trait ProfileSource: Send + Sync {
    /// The stored history of `workload`, if any.
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>>;
}

impl ProfileSource for rightsize_history::HistoryView {
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        self.get_workload(workload)
    }
}

/// The sizing policy admission asks, with its tunables (`POLICY` and its variables).
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyConfig {
    Rightsize(RightsizeParams),
    Seed(SeedParams),
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self::Rightsize(RightsizeParams::default())
    }
}

impl PolicyConfig {
    /// The policy the shared `POLICY` flags choose, validated.
    pub fn from_args(args: &PolicyArgs) -> Result<Self, ConfigError> {
        Ok(match args.policy()? {
            PolicyName::Rightsize => Self::Rightsize(args.rightsize.params()?),
            PolicyName::Seed => Self::Seed(args.seed.params()?),
        })
    }

    /// A policy for one workload container that has learned `profile`.
    pub fn build(&self, profile: &UsageProfile) -> Box<dyn SizingPolicy> {
        match self {
            Self::Rightsize(params) => {
                Box::new(RightsizePolicy::with_profile(*params, profile.clone()))
            }
            Self::Seed(params) => Box::new(SeedPolicy::new(*params)),
        }
    }
}

/// The webhook's own settings (see [`AdmissionArgs`](super::AdmissionArgs) for the flags).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdmissionConfig {
    /// `RECOMMEND_ONLY=true`: every pod is treated as `rightsize.dev/mode: recommend` (a dry run of
    /// the whole webhook); pods with `mode: off` stay untouched.
    pub recommend_only: bool,
    /// Bounds every sized request is kept within, after the pod's own annotations.
    pub bounds: Bounds,
    /// The sizing policy.
    pub policy: PolicyConfig,
}

/// Everything admission reads besides the request, as one snapshot taken by the caller.
///
/// Build it with [`AdmissionContext::new`] and the `with_*` methods, so fields added later (each
/// with a default) do not break callers.
#[derive(Clone, Copy)]
pub struct AdmissionContext<'a> {
    /// Learned profiles.
    pub profiles: &'a dyn ProfileSource,
    /// The webhook's settings.
    pub config: &'a AdmissionConfig,
    /// Time of the review, seconds since the Unix epoch (the policy never reads a clock).
    pub now: f64,
    /// The LimitRanges of the pod's namespace, merged (default: none).
    pub limit_range: LimitRangeSnapshot,
    /// Allocatable of the largest node (default: unknown, no cap).
    pub largest_node: Option<NodeAllocatable>,
}

impl<'a> AdmissionContext<'a> {
    pub fn new(profiles: &'a dyn ProfileSource, config: &'a AdmissionConfig, now: f64) -> Self {
        Self {
            profiles,
            config,
            now,
            limit_range: LimitRangeSnapshot::default(),
            largest_node: None,
        }
    }

    /// The namespace's LimitRanges (see [`LimitRangeSnapshot::from_limit_ranges`]).
    pub fn with_limit_range(mut self, limit_range: LimitRangeSnapshot) -> Self {
        self.limit_range = limit_range;
        self
    }

    /// The largest node's allocatable (see [`NodeAllocatable::largest`]).
    pub fn with_largest_node(mut self, node: Option<NodeAllocatable>) -> Self {
        self.largest_node = node;
        self
    }
}
