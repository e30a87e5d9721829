//! Fault injection for tests of clients' resilience: a rate of 500 errors, extra latency, a rate
//! of 409 conflicts on writes, and dropping every open watch stream. Knobs are atomics so a test
//! can turn them while requests are in flight. Discovery is never faulted: real clients cache it
//! and a test almost always means to disturb resource calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::util;

/// Live fault settings of one simulated cluster.
#[derive(Debug)]
pub struct Faults {
    error_rate: AtomicU64,
    conflict_rate: AtomicU64,
    latency_ms: AtomicU64,
    drop_tx: watch::Sender<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        let (drop_tx, _) = watch::channel(0);
        Self {
            error_rate: AtomicU64::new(0f64.to_bits()),
            conflict_rate: AtomicU64::new(0f64.to_bits()),
            latency_ms: AtomicU64::new(0),
            drop_tx,
        }
    }
}

impl Faults {
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
        let r = f64::from_bits(self.error_rate.load(Ordering::Relaxed));
        r > 0.0 && util::random_f64() < r
    }

    pub(crate) fn roll_conflict(&self) -> bool {
        let r = f64::from_bits(self.conflict_rate.load(Ordering::Relaxed));
        r > 0.0 && util::random_f64() < r
    }

    /// Receiver that changes when watches must be dropped.
    pub(crate) fn watch_drops(&self) -> watch::Receiver<u64> {
        self.drop_tx.subscribe()
    }
}
