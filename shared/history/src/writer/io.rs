//! The writer's calls to the API server: listing the shards into the known state, syncing
//! resourceVersions, and the compare-and-swap write of one shard with its conflict rereads and
//! retries. What to write, and when, is decided in [`super`].

use std::collections::HashMap;

use backon::{BackoffBuilder, ExponentialBuilder};
use kube::api::{ListParams, PostParams};

use super::state::WriterState;
use super::{FlushReport, HistoryWriter};
use crate::config::MAX_CONFIGMAP_BYTES;
use crate::error::{FlushError, WriteShardError};
use crate::{layout, shard};

impl HistoryWriter {
    /// Lists every shard and merges what they hold into the known state.
    pub(super) async fn list_into(&self, st: &mut WriterState) -> Result<(), FlushError> {
        let lp = ListParams::default().labels(&layout::label_selector());
        let list = self
            .api
            .list(&lp)
            .await
            .map_err(|source| FlushError::ListShards {
                namespace: self.config.namespace.clone(),
                source,
            })?;
        let cutoff = self.config.cutoff(self.config.clock.now());
        let mut shards: Vec<(u32, shard::DecodedShard)> = list
            .items
            .iter()
            .filter_map(|cm| Some((layout::shard_index(cm.metadata.name.as_deref()?)?, cm)))
            .map(|(i, cm)| (i, shard::decode_shard(cm)))
            .collect();
        // Counts first, so every entry is judged against the final count.
        for (_, s) in &shards {
            st.adopt_count(s.recorded_count.unwrap_or(1));
        }
        shards.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
        for (index, s) in &shards {
            shard::report_failures(s, &self.metrics);
            self.metrics
                .set_shard(&s.name, s.entries.len() + s.failures.len(), s.bytes);
            st.absorb(*index, s, cutoff);
        }
        st.loaded = true;
        Ok(())
    }

    /// Compares the shards' resourceVersions with the last ones seen, from a metadata-only list
    /// (a few hundred bytes on a real API server, however large the shards): a shard changed by
    /// someone else is read and merged now rather than after a certain conflict, and a shard
    /// deleted by hand is recreated by this flush even if nothing homed there changed.
    pub(super) async fn sync_versions(
        &self,
        st: &mut WriterState,
        cutoff: i64,
    ) -> Result<(), FlushError> {
        let lp = ListParams::default().labels(&layout::label_selector());
        let list = self
            .api
            .list_metadata(&lp)
            .await
            .map_err(|source| FlushError::ListShards {
                namespace: self.config.namespace.clone(),
                source,
            })?;
        let stored: HashMap<u32, Option<String>> = list
            .items
            .iter()
            .filter_map(|m| {
                let index = layout::shard_index(m.metadata.name.as_deref()?)?;
                Some((index, m.metadata.resource_version.clone()))
            })
            .collect();
        let gone: Vec<u32> = st
            .shards
            .iter()
            .filter(|(i, s)| s.resource_version.is_some() && !stored.contains_key(i))
            .map(|(i, _)| *i)
            .collect();
        for index in gone {
            tracing::info!(shard = %layout::shard_name(index), "history shard is gone; recreating it");
            st.forget(index);
        }
        for (index, rv) in stored {
            let known = st
                .shards
                .get(&index)
                .and_then(|s| s.resource_version.clone());
            if known != rv {
                // A failed read is not fatal: the write will conflict and read again.
                if let Err(e) = self.reread(st, index, cutoff).await {
                    tracing::debug!(error = %e, "history shard read failed");
                }
            }
        }
        Ok(())
    }

    /// Writes one shard, re-reading and merging on conflict. Returns the bytes stored.
    pub(super) async fn write_shard(
        &self,
        st: &mut WriterState,
        index: u32,
        cutoff: i64,
        report: &mut FlushReport,
    ) -> Result<usize, WriteShardError> {
        let name = layout::shard_name(index);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.config.retry_min_delay)
            .with_max_delay(self.config.retry_max_delay)
            .with_jitter()
            .without_max_times()
            .build();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let write = st.build(index);
            if write.bytes > MAX_CONFIGMAP_BYTES {
                return Err(WriteShardError::ShardTooLarge {
                    name,
                    bytes: write.bytes,
                    limit: MAX_CONFIGMAP_BYTES,
                });
            }
            let pp = PostParams::default();
            let creating = write.config_map.metadata.resource_version.is_none();
            let result = if creating {
                self.api.create(&pp, &write.config_map).await
            } else {
                self.api.replace(&name, &pp, &write.config_map).await
            };
            let err = match result {
                Ok(stored) => {
                    let bytes = write.bytes;
                    self.metrics.set_shard(&name, write.entries(), bytes);
                    st.written(index, write, &stored);
                    return Ok(bytes);
                }
                Err(e) => e,
            };
            let last = attempt >= self.config.max_attempts;
            match err {
                kube::Error::Api(s) if s.is_conflict() || s.is_already_exists() => {
                    self.metrics.conflict();
                    report.conflicts += 1;
                    let reread = self.reread(st, index, cutoff).await;
                    match (reread, last) {
                        (Err(e), true) => return Err(e),
                        (Ok(()), true) => {
                            return Err(WriteShardError::ConflictRetriesExhausted {
                                name,
                                attempts: attempt,
                            });
                        }
                        (Err(e), false) => {
                            tracing::debug!(error = %e, "history re-read failed; retrying");
                        }
                        (Ok(()), false) => {}
                    }
                }
                kube::Error::Api(s) if s.is_not_found() && !creating && !last => {
                    // Deleted by hand: recreate it at once from what is known.
                    tracing::info!(shard = %name, "history shard is gone; recreating it");
                    st.forget(index);
                    continue;
                }
                source if last => {
                    return Err(if creating {
                        WriteShardError::CreateShard { name, source }
                    } else {
                        WriteShardError::ReplaceShard { name, source }
                    });
                }
                source => {
                    tracing::debug!(shard = %name, error = %source, "history write failed; retrying");
                }
            }
            tokio::time::sleep(delays.next().unwrap_or(self.config.retry_max_delay)).await;
        }
    }

    /// Reads shard `index` after a conflict and merges it in (or notes that it is gone).
    pub(super) async fn reread(
        &self,
        st: &mut WriterState,
        index: u32,
        cutoff: i64,
    ) -> Result<(), WriteShardError> {
        let name = layout::shard_name(index);
        match self.api.get_opt(&name).await {
            Ok(Some(cm)) => {
                let decoded = shard::decode_shard(&cm);
                shard::report_failures(&decoded, &self.metrics);
                st.absorb(index, &decoded, cutoff);
                Ok(())
            }
            Ok(None) => {
                st.forget(index);
                Ok(())
            }
            Err(source) => Err(WriteShardError::ReadShard { name, source }),
        }
    }
}
