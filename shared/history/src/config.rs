//! Settings of the history store, with named defaults and the reason for each.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One batched write per shard per minute: the controller records usage every metrics cycle,
/// and a minute of hourly-peak data lost to a crash costs nothing the next samples will not
/// restore, while writing a ~1 MiB ConfigMap per shard every cycle would load etcd for nothing.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(60);

/// Workloads unseen for two weeks are forgotten: the same span the profiles keep
/// (`HISTORY_HOURS`), after which a profile holds no hour the policy would use anyway.
pub const DEFAULT_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

/// Fill target per shard: 900 KiB of the 1 MiB ConfigMap limit (`core.MaxSecretSize`), so that
/// the entries merged in between two layout checks (one flush) never push a shard over.
pub const DEFAULT_TARGET_SHARD_BYTES: usize = 900 * 1024;

/// The hard limit the API server enforces on `data` + decoded `binaryData`.
pub const MAX_CONFIGMAP_BYTES: usize = 1024 * 1024;

/// Attempts per shard write before a flush gives up on that shard (its data stays pending).
/// With the delays below this spans a few seconds: enough to ride out a burst of conflicts
/// with another writer, short enough that a flush never blocks the next one for long.
pub const DEFAULT_MAX_ATTEMPTS: usize = 8;

/// First retry delay: a conflict means another writer just wrote, retrying at once would
/// likely collide again.
pub const DEFAULT_RETRY_MIN_DELAY: Duration = Duration::from_millis(20);

/// Longest retry delay.
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(2);

/// Relative growth of the current hour's peak that a periodic flush may leave unwritten (10 %).
///
/// The controller records a sample per pod every ~30 s, and a profile changes whenever a sample
/// raises its current hour's peak or a new hour starts (about a fifth of the samples on real
/// traces): with a shard holding ~450 workloads, writing every change would rewrite nearly every
/// shard every minute (~9 MB/min of `PUT`s at 5,000 workloads, growing with the cluster). The
/// periodic flush therefore rewrites only the shards holding a *material* change (see
/// `UsageProfile::materially_differs`: a completed hour, late data in an older hour, a newer OOM
/// kill, a new workload or container, or the current hour's peak more than this fraction above
/// the stored one), plus layout work (growth, a shard deleted by hand, garbage).
///
/// The trade-off: between flushes, sub-tolerance growth of the current hour's peak lives only in
/// the writer's memory. If the leader dies before the hour ends, it is lost: that hour's stored
/// peak can stay up to this fraction below the real one, and the next leader relearns the
/// current usage from its own samples within minutes. OOM kills are always material, and the
/// controller calls `HistoryWriter::flush_now` for them, which (like the shutdown flush) writes
/// every change: an update acknowledged by a `flush_now` that returned `Ok` is never lost.
pub const DEFAULT_MATERIAL_TOLERANCE: f64 = 0.1;

/// Current time in Unix seconds. Injected so that tests can age entries past the TTL.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        }))
    }

    /// A clock that calls `f`.
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// Settings of a [`crate::HistoryWriter`] (the view only needs the namespace).
#[derive(Clone, Debug)]
pub struct HistoryConfig {
    /// Namespace of the shard ConfigMaps: the controller's own.
    pub namespace: String,
    pub flush_interval: Duration,
    /// Entries whose newest sample is older than this are deleted at the next flush.
    pub ttl: Duration,
    /// A shard above this size makes the layout grow.
    pub target_shard_bytes: usize,
    pub max_attempts: usize,
    pub retry_min_delay: Duration,
    pub retry_max_delay: Duration,
    /// Relative current-hour peak growth a periodic flush leaves in memory
    /// ([`DEFAULT_MATERIAL_TOLERANCE`], which explains the trade-off). 0 (or less) turns the
    /// filter off: every periodic flush then writes every change, as `flush_now` does.
    pub material_tolerance: f64,
    pub clock: Clock,
}

impl HistoryConfig {
    /// Defaults for `namespace`.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            ttl: DEFAULT_TTL,
            target_shard_bytes: DEFAULT_TARGET_SHARD_BYTES,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_min_delay: DEFAULT_RETRY_MIN_DELAY,
            retry_max_delay: DEFAULT_RETRY_MAX_DELAY,
            material_tolerance: DEFAULT_MATERIAL_TOLERANCE,
            clock: Clock::system(),
        }
    }

    /// Oldest last-activity time (Unix seconds) kept at time `now`.
    pub(crate) fn cutoff(&self, now: i64) -> i64 {
        now.saturating_sub(self.ttl.as_secs() as i64)
    }
}
