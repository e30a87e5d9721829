//! One shard ConfigMap as entries, and entries as a shard ConfigMap.
//!
//! Entries are written to `binaryData` (see [`crate::entry`] for why). A reader also accepts an
//! entry in `data` holding the same envelope as base64 text: that is what `kubectl edit` shows for
//! `binaryData`, so a hand edit that moves a value there must not lose it (the next write moves
//! it back, and the API server forbids a key in both maps). Undecodable values are reported
//! individually and kept verbatim, so one bad value never hides the others and a value written
//! by a newer build survives an older writer that does not touch that workload.

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::entry::{EntryDecodeError, WorkloadHistory};
use crate::layout;
use crate::metrics::HistoryMetrics;

/// A stored value, as found in the ConfigMap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawEntry {
    /// From `binaryData`: the envelope itself.
    Binary(Vec<u8>),
    /// From `data`: the envelope as standard base64 text.
    Text(String),
}

impl RawEntry {
    /// Bytes this value counts against the 1 MiB limit (`ValidateConfigMap` counts `data`
    /// strings as they are and `binaryData` decoded).
    pub fn size(&self) -> usize {
        match self {
            Self::Binary(b) => b.len(),
            Self::Text(s) => s.len(),
        }
    }

    pub fn decode(&self) -> Result<WorkloadHistory, EntryDecodeError> {
        match self {
            Self::Binary(b) => WorkloadHistory::decode(b),
            Self::Text(s) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .map_err(|e| EntryDecodeError::Base64(e.to_string()))?;
                WorkloadHistory::decode(&bytes)
            }
        }
    }
}

/// A shard ConfigMap, decoded.
#[derive(Debug, Default)]
pub struct DecodedShard {
    pub name: String,
    pub resource_version: Option<String>,
    /// Shard count recorded by the last writer.
    pub recorded_count: Option<u32>,
    /// Decoded entries with the value they came from.
    pub entries: Vec<(String, WorkloadHistory, RawEntry)>,
    /// Values that could not be decoded.
    pub failures: Vec<(String, RawEntry, EntryDecodeError)>,
    /// Total bytes as the 1 MiB limit counts them.
    pub bytes: usize,
    /// The object's metadata, so a rewrite keeps what others put there (owner references,
    /// extra labels).
    pub meta: ObjectMeta,
}

/// Decodes every value of `cm` independently.
pub fn decode_shard(cm: &ConfigMap) -> DecodedShard {
    let mut out = DecodedShard {
        name: cm.metadata.name.clone().unwrap_or_default(),
        resource_version: cm.metadata.resource_version.clone(),
        recorded_count: layout::recorded_count(cm.metadata.annotations.as_ref()),
        meta: cm.metadata.clone(),
        ..DecodedShard::default()
    };
    let binary = cm
        .binary_data
        .iter()
        .flatten()
        .map(|(k, v)| (k, RawEntry::Binary(v.0.clone())));
    let text = cm
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k, RawEntry::Text(v.clone())));
    for (key, raw) in binary.chain(text) {
        out.bytes += raw.size();
        match raw.decode() {
            Ok(history) => out.entries.push((key.clone(), history, raw)),
            Err(e) => out.failures.push((key.clone(), raw, e)),
        }
    }
    out
}

/// Warns about and counts every value of `shard` that could not be decoded.
pub fn report_failures(shard: &DecodedShard, metrics: &HistoryMetrics) {
    for (key, _, err) in &shard.failures {
        tracing::warn!(shard = %shard.name, key = %key, error = %err,
            "skipping a history entry that cannot be decoded");
        metrics.decode_failure(err.metric_label());
    }
}

/// The ConfigMap of shard `index` holding `entries`, recording `count`. `previous` is the last
/// stored metadata (kept, apart from what this crate owns); `resource_version` makes the write a
/// compare-and-swap (`None` for a create).
pub fn build_shard(
    index: u32,
    count: u32,
    previous: Option<&ObjectMeta>,
    resource_version: Option<String>,
    entries: impl IntoIterator<Item = (String, RawEntry)>,
) -> ConfigMap {
    let mut meta = previous.cloned().unwrap_or_default();
    meta.name = Some(layout::shard_name(index));
    meta.resource_version = resource_version;
    meta.managed_fields = None;
    meta.labels
        .get_or_insert_with(BTreeMap::new)
        .extend(layout::shard_labels());
    meta.annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(layout::SHARD_COUNT_ANNOTATION.to_owned(), count.to_string());
    let (mut binary, mut text) = (BTreeMap::new(), BTreeMap::new());
    for (key, raw) in entries {
        match raw {
            RawEntry::Binary(b) => {
                binary.insert(key, ByteString(b));
            }
            RawEntry::Text(s) => {
                text.insert(key, s);
            }
        }
    }
    ConfigMap {
        metadata: meta,
        binary_data: Some(binary),
        data: (!text.is_empty()).then_some(text),
        ..ConfigMap::default()
    }
}

/// Bytes of `cm` as the 1 MiB limit counts them.
pub fn stored_bytes(cm: &ConfigMap) -> usize {
    let binary: usize = cm
        .binary_data
        .iter()
        .flatten()
        .map(|(_, v)| v.0.len())
        .sum();
    let text: usize = cm.data.iter().flatten().map(|(_, v)| v.len()).sum();
    binary + text
}

#[cfg(test)]
mod tests {
    use super::*;
    use rightsize_policy::profile::UsageProfile;

    fn history(peak: f64) -> WorkloadHistory {
        let mut p = UsageProfile::new();
        p.record(1.7e9, peak);
        let mut h = WorkloadHistory::new();
        h.merge_container("app", &p);
        h
    }

    #[test]
    fn each_value_decodes_on_its_own() {
        let good = history(1e8).encode();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&good);
        let mut cm = build_shard(
            3,
            4,
            None,
            None,
            [
                ("deploy.a.ok".to_owned(), RawEntry::Binary(good.clone())),
                ("deploy.a.text".to_owned(), RawEntry::Text(b64)),
                ("deploy.a.bad".to_owned(), RawEntry::Binary(vec![1, 0])),
            ],
        );
        cm.data
            .get_or_insert_with(BTreeMap::new)
            .insert("deploy.a.b64".into(), "***".into());
        let shard = decode_shard(&cm);
        assert_eq!(shard.name, "rightsize-history-3");
        assert_eq!(shard.recorded_count, Some(4));
        let mut ok: Vec<&str> = shard.entries.iter().map(|e| e.0.as_str()).collect();
        ok.sort();
        assert_eq!(ok, ["deploy.a.ok", "deploy.a.text"]);
        let mut labels: Vec<&str> = shard.failures.iter().map(|f| f.2.metric_label()).collect();
        labels.sort();
        assert_eq!(labels, ["base64", "payload"]);
        assert_eq!(shard.bytes, stored_bytes(&cm));
    }

    #[test]
    fn rewrite_keeps_foreign_metadata_and_sets_ours() {
        let mut meta = ObjectMeta {
            labels: Some([("team".to_owned(), "sre".to_owned())].into()),
            ..ObjectMeta::default()
        };
        meta.annotations = Some([(layout::SHARD_COUNT_ANNOTATION.to_owned(), "2".into())].into());
        let cm = build_shard(0, 5, Some(&meta), Some("42".into()), []);
        let labels = cm.metadata.labels.unwrap();
        assert_eq!(labels["team"], "sre");
        assert_eq!(labels[layout::PART_OF_LABEL.0], "rightsize");
        assert_eq!(
            cm.metadata.annotations.unwrap()[layout::SHARD_COUNT_ANNOTATION],
            "5"
        );
        assert_eq!(cm.metadata.resource_version.as_deref(), Some("42"));
        assert!(cm.data.is_none());
    }
}
