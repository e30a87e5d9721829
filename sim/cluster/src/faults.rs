//! Fault injection for tests of clients' resilience: a rate of 500 errors, extra latency, a rate
//! of 409 conflicts on writes, and dropping every open watch stream. Knobs are atomics so a test
//! can turn them while requests are in flight. Discovery is never faulted: real clients cache it
//! and a test almost always means to disturb resource calls.
//!
//! Which requests fail is drawn from a seeded generator: the seed comes from
//! `SimConfig::fault_seed` (`--fault-seed`) or the clock, is logged when the cluster starts, and
//! is printed when a test fails while the cluster is up, so a failing run can be replayed with
//! the same sequence of draws (request order permitting).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::util::SeededRng;

/// Live fault settings of one simulated cluster.
#[derive(Debug)]
pub struct Faults {
    error_rate: AtomicU64,
    conflict_rate: AtomicU64,
    latency_ms: AtomicU64,
    drop_tx: watch::Sender<u64>,
    seed: AtomicU64,
    rng: SeededRng,
}

impl Faults {
    /// Fault knobs, all off, drawing from `seed`.
    pub fn new(seed: u64) -> Self {
        let (drop_tx, _) = watch::channel(0);
        Self {
            error_rate: AtomicU64::new(0f64.to_bits()),
            conflict_rate: AtomicU64::new(0f64.to_bits()),
            latency_ms: AtomicU64::new(0),
            drop_tx,
            seed: AtomicU64::new(seed),
            rng: SeededRng::new(seed),
        }
    }

    /// The seed of the current sequence of draws.
    pub fn seed(&self) -> u64 {
        self.seed.load(Ordering::Relaxed)
    }

    /// Restart the draws from `seed` (replay a logged run from this point).
    pub fn reseed(&self, seed: u64) {
        self.seed.store(seed, Ordering::Relaxed);
        self.rng.reseed(seed);
        tracing::info!(fault_seed = seed, "fault injection reseeded");
    }

    /// Whether any fault is switched on now.
    pub fn any_active(&self) -> bool {
        self.rate(&self.error_rate) > 0.0
            || self.rate(&self.conflict_rate) > 0.0
            || self.latency() > Duration::ZERO
    }

    fn rate(&self, r: &AtomicU64) -> f64 {
        f64::from_bits(r.load(Ordering::Relaxed))
    }

    /// Fraction (0..=1) of resource requests answered with 500 InternalError.
    pub fn set_error_rate(&self, rate: f64) {
        self.error_rate
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// Fraction (0..=1) of writes (PUT, PATCH) answered with 409 Conflict.
    pub fn set_conflict_rate(&self, rate: f64) {
        self.conflict_rate
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// Extra latency added before every resource request is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::Relaxed);
    }

    /// Close every open watch stream now (clients see the stream end and re-watch).
    pub fn drop_watches(&self) {
        self.drop_tx.send_modify(|g| *g += 1);
    }

    /// Turn every fault off.
    pub fn clear(&self) {
        self.set_error_rate(0.0);
        self.set_conflict_rate(0.0);
        self.set_latency(Duration::ZERO);
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn roll_error(&self) -> bool {
        let r = self.rate(&self.error_rate);
        r > 0.0 && self.rng.next_f64() < r
    }

    pub(crate) fn roll_conflict(&self) -> bool {
        let r = self.rate(&self.conflict_rate);
        r > 0.0 && self.rng.next_f64() < r
    }

    /// Receiver that changes when watches must be dropped.
    pub(crate) fn watch_drops(&self) -> watch::Receiver<u64> {
        self.drop_tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(f: &Faults) -> Vec<bool> {
        (0..64).map(|_| f.roll_error()).collect()
    }

    #[test]
    fn the_same_seed_replays_the_same_faults() {
        let (a, b, c) = (Faults::new(7), Faults::new(7), Faults::new(8));
        for f in [&a, &b, &c] {
            f.set_error_rate(0.5);
        }
        let first = draws(&a);
        assert_eq!(first, draws(&b));
        assert_ne!(first, draws(&c));
        assert!(first.contains(&true) && first.contains(&false));
        a.reseed(7);
        assert_eq!(a.seed(), 7);
        assert_eq!(draws(&a), first, "reseeding restarts the sequence");
    }
}
