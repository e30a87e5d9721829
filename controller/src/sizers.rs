//! One sizing policy per workload container, as the policy crate's `SizingPolicy` contract asks
//! ("one policy value holds the state of ONE workload (one container of it)"), plus the usage
//! profile each one feeds to the history store.
//!
//! `rightsize` learns its profile itself and starts from the stored one after a restart;
//! `seed` learns nothing across pods, so the profile it would not keep is recorded here, so that
//! the history (and the webhook's admission) works whichever policy resizes.

use std::collections::HashMap;

use rightsize_policy::profile::{UsageProfile, hour_of};
use rightsize_policy::rightsize::{RightsizeParams, RightsizePolicy};
use rightsize_policy::seed::{SeedParams, SeedPolicy};
use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

/// Which policy, with its tunables.
#[derive(Clone, Copy, Debug)]
pub enum PolicyChoice {
    Seed(SeedParams),
    Rightsize(RightsizeParams),
}

/// The policy of one workload container.
pub enum Sizer {
    Seed {
        policy: SeedPolicy,
        profile: UsageProfile,
        /// Last hour each pod was counted as a replica in `profile`.
        counted: HashMap<PodId, i64>,
    },
    Rightsize(RightsizePolicy),
}

impl Sizer {
    pub fn new(choice: PolicyChoice, stored: Option<UsageProfile>) -> Self {
        match choice {
            PolicyChoice::Seed(p) => Self::Seed {
                policy: SeedPolicy::new(p),
                profile: stored.unwrap_or_default(),
                counted: HashMap::new(),
            },
            PolicyChoice::Rightsize(p) => {
                Self::Rightsize(RightsizePolicy::with_profile(p, stored.unwrap_or_default()))
            }
        }
    }

    pub fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        match self {
            Self::Seed {
                policy,
                profile,
                counted,
            } => {
                profile.record(obs.t, obs.peak);
                let hour = hour_of(obs.t);
                if counted.insert(obs.pod, hour) != Some(hour) {
                    profile.count_replica(obs.t);
                }
                if obs.oom {
                    profile.record_oom(obs.t);
                }
                policy.observe(obs)
            }
            Self::Rightsize(p) => p.observe(obs),
        }
    }

    pub fn admit(&mut self, pod: PodId, declared: Allocation, t: f64) -> Admission {
        match self {
            Self::Seed { policy, .. } => policy.admit(pod, declared, t),
            Self::Rightsize(p) => p.admit(pod, declared, t),
        }
    }

    pub fn pod_gone(&mut self, pod: PodId) {
        match self {
            Self::Seed {
                policy, counted, ..
            } => {
                policy.pod_gone(pod);
                counted.remove(&pod);
            }
            Self::Rightsize(p) => p.pod_gone(pod),
        }
    }

    /// What the history store keeps for this workload container.
    pub fn profile(&self) -> &UsageProfile {
        match self {
            Self::Seed { profile, .. } => profile,
            Self::Rightsize(p) => p.profile(),
        }
    }
}

/// `(workload key, container)`.
pub type SizerKey = (String, String);

/// Every workload container's policy, and which pods fed which, so that a deleted pod's
/// per-pod state is dropped (`SizingPolicy::pod_gone`).
pub struct Sizers {
    choice: PolicyChoice,
    map: HashMap<SizerKey, Sizer>,
    pods: HashMap<PodId, Vec<SizerKey>>,
}

impl Sizers {
    pub fn new(choice: PolicyChoice) -> Self {
        Self {
            choice,
            map: HashMap::new(),
            pods: HashMap::new(),
        }
    }

    pub fn contains(&self, key: &SizerKey) -> bool {
        self.map.contains_key(key)
    }

    /// Create the sizer of `key` from a stored profile (no-op if it exists).
    pub fn insert(&mut self, key: SizerKey, stored: Option<UsageProfile>) {
        let choice = self.choice;
        self.map
            .entry(key)
            .or_insert_with(|| Sizer::new(choice, stored));
    }

    /// The sizer of `key` for pod `pod` (created empty if it was not restored first).
    pub fn get(&mut self, key: &SizerKey, pod: PodId) -> &mut Sizer {
        let keys = self.pods.entry(pod).or_default();
        if !keys.contains(key) {
            keys.push(key.clone());
        }
        let choice = self.choice;
        self.map
            .entry(key.clone())
            .or_insert_with(|| Sizer::new(choice, None))
    }

    /// Pod `pod` is gone: every sizer it fed forgets it.
    pub fn pod_gone(&mut self, pod: PodId) {
        for key in self.pods.remove(&pod).unwrap_or_default() {
            if let Some(s) = self.map.get_mut(&key) {
                s.pod_gone(pod);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
