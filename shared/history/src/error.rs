//! Errors, one enum per public action, variants named after what failed.

use thiserror::Error;

/// A flush did not store everything it held. What it could not store stays pending for the
/// next flush; nothing acknowledged earlier is affected.
#[derive(Debug, Error)]
pub enum FlushError {
    #[error("listing the history shards in namespace {namespace}")]
    ListShards {
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("no layout of at most {max} shards keeps every shard under {target} bytes")]
    GrowLayout { max: u32, target: usize },
    #[error("writing {failed} of {attempted} history shards failed")]
    WriteShards {
        failed: usize,
        attempted: usize,
        #[source]
        first: Box<WriteShardError>,
    },
}

/// One shard could not be written.
#[derive(Debug, Error)]
pub enum WriteShardError {
    #[error("replacing ConfigMap {name}")]
    ReplaceShard {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("creating ConfigMap {name}")]
    CreateShard {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("reading ConfigMap {name} after a write conflict")]
    ReadShard {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("ConfigMap {name} would hold {bytes} bytes, over the {limit} byte limit")]
    ShardTooLarge {
        name: String,
        bytes: usize,
        limit: usize,
    },
    #[error("ConfigMap {name} still conflicted after {attempts} attempts")]
    ConflictRetriesExhausted { name: String, attempts: usize },
}

impl WriteShardError {
    /// Low-cardinality label for the write-failures metric.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::ShardTooLarge { .. } => "too_large",
            Self::ConflictRetriesExhausted { .. } => "conflict",
            Self::ReplaceShard { source, .. }
            | Self::CreateShard { source, .. }
            | Self::ReadShard { source, .. } => match source {
                kube::Error::Api(_) => "api",
                _ => "transport",
            },
        }
    }
}

/// An update was refused before reaching the store.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UpdateError {
    #[error("{key:?} is not a valid ConfigMap key (use WorkloadRef::key)")]
    InvalidKey { key: String },
}
