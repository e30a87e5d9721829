//! `rightsize-history`: the ConfigMap-backed store of per-workload, per-container usage profiles
//! (DESIGN §2), written by the controller's leader and read by the webhook.
//!
//! - [`entry`]: one workload's profiles and their versioned binary envelope (`binaryData`).
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
//!
//! ```no_run
//! # async fn demo(client: kube::Client, registry: &mut prometheus_client::registry::Registry,
//! #     pod_workload: rightsize_policy::workload::WorkloadRef,
//! #     profile: rightsize_policy::profile::UsageProfile) {
//! use rightsize_history::{HistoryConfig, HistoryMetrics, HistoryView, HistoryWriter};
//! let metrics = HistoryMetrics::register(registry);
//! // Webhook (and controller): answer from memory once the first list is in.
//! let view = HistoryView::start(client.clone(), "rightsize-system", metrics.clone());
//! view.ready().await;
//! let known = view.get_workload(&pod_workload);
//! // Controller leader: record, flush every minute, and at once after an OOM kill.
//! let writer = std::sync::Arc::new(HistoryWriter::new(
//!     client,
//!     HistoryConfig::new("rightsize-system"),
//!     metrics,
//! ));
//! tokio::spawn({
//!     let w = writer.clone();
//!     async move { w.run(std::future::pending()).await }
//! });
//! writer.update(&pod_workload, "app", &profile);
//! writer.flush_now().await.ok();
//! # }
//! ```

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
