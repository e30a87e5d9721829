//! `rightsize-history`: the ConfigMap-backed store of per-workload, per-container usage profiles
//! (DESIGN §2), written by the controller's leader and read by the webhook.
//!
//! - [`entry`]: one workload's profiles and their versioned binary envelope.
//! - [`layout`]: shard names, labels and the jump-consistent-hash sharding by workload key.
//! - [`shard`]: a shard ConfigMap as independently decoded entries, and back.
//! - [`HistoryWriter`]: batched, merged, conflict-safe writes, layout growth and garbage
//!   collection.
//! - [`HistoryView`]: a watch-backed, in-memory, read-only index by workload key.
//! - [`HistoryMetrics`]: the Prometheus series both of them feed.
//!
//! Correctness rests on one property of the policy crate: profiles merge by slot-wise maximum,
//! which is commutative, associative and idempotent. Every write is therefore "read, merge,
//! compare-and-swap", a duplicate entry in two shards is harmless (readers merge it), and a
//! retried or replayed write can neither lose nor double anything.

pub mod config;
pub mod entry;
pub mod error;
pub mod layout;
pub mod metrics;
pub mod shard;
mod view;
mod writer;

pub use config::{Clock, HistoryConfig};
pub use entry::{EntryDecodeError, WorkloadHistory};
pub use error::{FlushError, UpdateError, WriteShardError};
pub use metrics::HistoryMetrics;
pub use view::HistoryView;
pub use writer::{FlushReport, HistoryWriter};
