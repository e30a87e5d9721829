//! Watch streams: chunked JSON lines `{"type":..,"object":..}` like the real server. Supports
//! `resourceVersion` (resume; "0"/absent sends the current state as ADDED first),
//! `sendInitialEvents` (streaming lists, ending with the `k8s.io/initial-events-end` bookmark),
//! `allowWatchBookmarks`, `timeoutSeconds`, selectors (a change that leaves or enters the
//! selection becomes DELETED / ADDED, as the watch cache does), a 410 `Expired` ERROR event when
//! the resume point is older than the retained history, and fault-injected stream drops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::registry::{ListOptions, partial_metadata, present};
use crate::resources::ResourceDef;
use crate::state::Cluster;
use crate::store::EventType;
use crate::util;

/// How often bookmarks are sent when allowed. The real server sends them about once a minute;
/// more often lets clients resume closer to the present after a drop.
const BOOKMARK_EVERY: Duration = Duration::from_secs(5);
/// Upper bound of a watch without `timeoutSeconds` (the real server randomises 30–60 min).
const MAX_WATCH: Duration = Duration::from_secs(1800);
/// Buffered events per watcher before the writer waits for the client.
const CHANNEL_DEPTH: usize = 256;

/// Parameters of one watch request.
pub struct WatchParams {
    pub ns: Option<String>,
    pub opts: ListOptions,
    pub resource_version: Option<String>,
    pub bookmarks: bool,
    pub send_initial: bool,
    pub timeout: Option<Duration>,
    /// `Accept: ...;as=PartialObjectMetadata`: events carry `PartialObjectMetadata` objects.
    pub metadata_only: bool,
}

/// One watch event line. Serialized through a borrowing struct: `json!` would deep-copy the
/// object once more for every watcher.
fn line(kind: &str, object: &Value) -> Bytes {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        object: &'a Value,
    }
    let mut v = serde_json::to_vec(&Line { kind, object }).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

/// The object as this watch serves it.
fn shown(def: &ResourceDef, p: &WatchParams, obj: &Value) -> Value {
    if p.metadata_only {
        partial_metadata(obj)
    } else {
        present(def, obj)
    }
}

fn bookmark(def: &ResourceDef, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        &json!({"kind": def.kind, "apiVersion": def.api_version(), "metadata": meta}),
    )
}

fn in_scope(p: &WatchParams, obj: &Value) -> bool {
    p.ns.as_deref()
        .is_none_or(|ns| util::str_at(obj, "metadata.namespace") == ns)
        && p.opts.labels.matches_object(obj)
        && p.opts.fields.matches(obj)
}

/// Start a watch; returns the streaming response.
pub fn serve(cluster: Arc<Cluster>, def: &'static ResourceDef, p: WatchParams) -> Response {
    let start: Option<u64> = match p.resource_version.as_deref() {
        None | Some("") | Some("0") => None,
        Some(s) => match s.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                return ApiError::bad_request(format!("invalid resource version: {s}"))
                    .into_response();
            }
        },
    };
    let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_DEPTH);
    tokio::spawn(run(cluster, def, p, start, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<Bytes, Infallible>(b), rx))
    });
    Response::builder()
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| ApiError::internal("building the watch response").into_response())
}

async fn run(
    cluster: Arc<Cluster>,
    def: &'static ResourceDef,
    p: WatchParams,
    start: Option<u64>,
    tx: mpsc::Sender<Bytes>,
) {
    let sdef = crate::registry::storage_def_of(def);
    let mut changes = cluster.store.subscribe();
    let mut drops = cluster.faults.watch_drops();
    drops.borrow_and_update();
    let deadline = tokio::time::sleep(p.timeout.unwrap_or(MAX_WATCH).min(MAX_WATCH));
    tokio::pin!(deadline);

    // Starting point: either the current state as ADDED events, or a resume version.
    let mut last = match start {
        Some(rv) if !p.send_initial => rv,
        _ => {
            let (items, rv) = cluster.store.list(sdef, p.ns.as_deref());
            for o in items.iter().filter(|o| in_scope(&p, o)) {
                if tx.send(line("ADDED", &shown(def, &p, o))).await.is_err() {
                    return;
                }
            }
            if p.send_initial && p.bookmarks && tx.send(bookmark(def, rv, true)).await.is_err() {
                return;
            }
            rv
        }
    };
    let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
    ticker.tick().await;
    loop {
        match cluster.store.events_since(sdef, last) {
            Err(too_old) => {
                // The real server answers a too-old resume with an ERROR event carrying 410.
                let status = ApiError::expired(format!(
                    "too old resource version: {last} ({})",
                    too_old.oldest
                ))
                .to_status();
                let _ = tx.send(line("ERROR", &status)).await;
                return;
            }
            Ok(events) => {
                for ev in events {
                    last = ev.rv;
                    let now_in = in_scope(&p, &ev.object);
                    let was_in = ev.prev.as_ref().is_some_and(|o| in_scope(&p, o));
                    let kind = match ev.kind {
                        EventType::Modified if now_in && !was_in => "ADDED",
                        EventType::Modified if !now_in && was_in => "DELETED",
                        EventType::Modified if now_in => "MODIFIED",
                        EventType::Deleted if was_in || now_in => "DELETED",
                        EventType::Added if now_in => "ADDED",
                        _ => continue,
                    };
                    if tx
                        .send(line(kind, &shown(def, &p, &ev.object)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            _ = drops.changed() => return,
            _ = &mut deadline => return,
            _ = ticker.tick(), if p.bookmarks => {
                // Everything up to the store's version has been delivered or filtered out.
                let rv = cluster.store.current_rv();
                if cluster.store.events_since(sdef, last).is_ok_and(|e| e.is_empty()) {
                    last = last.max(rv);
                }
                if tx.send(bookmark(def, last, false)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}
