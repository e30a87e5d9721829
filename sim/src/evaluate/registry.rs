//! The policies the evaluator knows, by name. Each workload is replayed with a fresh policy value
//! from its factory, because a policy value holds the state of one workload.
use std::fmt;
use std::sync::Arc;

use rightsize_policy::rightsize::{RightsizeParams, RightsizePolicy};
use rightsize_policy::seed::{SeedParams, SeedPolicy};
use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

use super::engine::Mode;
use super::krr::KrrPolicy;
use super::vpa::VpaPolicy;

/// Policies replayed when none is named: every baseline that counts resizes, and ours.
pub const DEFAULT_POLICIES: [&str; 6] = ["static", "trace", "seed", "vpa", "krr", "rightsize"];

/// Makes the policy state of one workload.
pub type Factory = Arc<dyn Fn() -> Box<dyn SizingPolicy> + Send + Sync>;

/// A named policy: how the engine sizes samples, and the factory of its per-workload state.
#[derive(Clone)]
pub struct PolicyEntry {
    pub name: String,
    pub description: String,
    pub mode: Mode,
    factory: Factory,
}

impl PolicyEntry {
    /// Fresh state for one workload.
    pub fn create(&self) -> Box<dyn SizingPolicy> {
        (self.factory)()
    }

    /// The oracle's resizes are not counted (it would resize at almost every sample).
    pub fn counts_resizes(&self) -> bool {
        self.mode != Mode::Oracle
    }
}

impl fmt::Debug for PolicyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyEntry")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Name → policy. Open: tuning experiments can `register` variants next to the built-ins.
#[derive(Clone, Debug)]
pub struct Registry {
    entries: Vec<PolicyEntry>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// The built-in policies of `EVALUATION.md` plus `rightsize`, with default tunables.
    pub fn builtin() -> Self {
        Self::with_params(SeedParams::default(), RightsizeParams::default())
    }

    /// The built-in policies, `seed` and `rightsize` with the tunables given (the `evaluate`
    /// flags and environment variables).
    pub fn with_params(seed: SeedParams, rightsize: RightsizeParams) -> Self {
        let mut r = Self::empty();
        r.register("static", "declared size forever", Mode::Policy, || {
            Box::new(StaticPolicy)
        });
        r.register(
            "trace",
            "each sample's provisioned size, no delay",
            Mode::Trace,
            || Box::new(StaticPolicy),
        );
        r.register(
            "oracle",
            "each sample's own peak, no delay (lower bound)",
            Mode::Oracle,
            || Box::new(StaticPolicy),
        );
        r.register(
            "seed",
            "the original controller's rules",
            Mode::Policy,
            move || Box::new(SeedPolicy::new(seed)),
        );
        r.register(
            "vpa",
            "Vertical Pod Autoscaler 1.8 defaults",
            Mode::Policy,
            || Box::new(VpaPolicy::new()),
        );
        r.register(
            "krr",
            "KRR simple strategy at admission",
            Mode::Policy,
            || Box::new(KrrPolicy::new()),
        );
        r.register("rightsize", "ours", Mode::Policy, move || {
            Box::new(RightsizePolicy::new(rightsize))
        });
        r
    }

    /// Adds a policy, replacing one of the same name.
    pub fn register(
        &mut self,
        name: &str,
        description: &str,
        mode: Mode,
        factory: impl Fn() -> Box<dyn SizingPolicy> + Send + Sync + 'static,
    ) {
        let entry = PolicyEntry {
            name: name.to_owned(),
            description: description.to_owned(),
            mode,
            factory: Arc::new(factory),
        };
        match self.entries.iter_mut().find(|e| e.name == name) {
            Some(existing) => *existing = entry,
            None => self.entries.push(entry),
        }
    }

    pub fn get(&self, name: &str) -> Option<&PolicyEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }
}

/// Policy `static`: every pod keeps its declared size; nothing is ever resized.
#[derive(Clone, Copy, Debug, Default)]
pub struct StaticPolicy;

impl SizingPolicy for StaticPolicy {
    fn admit(&mut self, _pod: PodId, _declared: Allocation, _t: f64) -> Admission {
        Admission::Declared
    }

    fn observe(&mut self, _obs: &Observation) -> Option<Decision> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_policy_is_registered() {
        let r = Registry::builtin();
        for name in DEFAULT_POLICIES {
            assert!(r.get(name).is_some(), "{name}");
        }
        assert!(!r.get("oracle").unwrap().counts_resizes());
        assert_eq!(r.get("trace").unwrap().mode, Mode::Trace);
    }

    #[test]
    fn register_replaces_by_name() {
        let mut r = Registry::builtin();
        let n = r.names().count();
        r.register("seed", "variant", Mode::Policy, || Box::new(StaticPolicy));
        assert_eq!(r.names().count(), n);
        assert_eq!(r.get("seed").unwrap().description, "variant");
    }
}
