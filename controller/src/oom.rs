//! OOM kills, read from a pod's status on the watch event itself, in the three places
//! Kubernetes shows them (core/v1 `ContainerStatus`):
//! - a restarted container: `lastState.terminated.reason: OOMKilled`, `restartCount` up;
//! - a container that does not restart (`restartPolicy: Never`, as in Jobs):
//!   `state.terminated.reason: OOMKilled`, the pod fails;
//! - init and sidecar containers: the same, under `initContainerStatuses`.
//!
//! Each kill is identified by a marker, the restart count it produced (a kill that does not
//! restart counts as the restart it would have been), so the same kill seen in `state` and then
//! in `lastState`, or seen again by a new leader, is acted on once.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ContainerStateTerminated, ContainerStatus, Pod};

/// Reason the kubelet writes for a container the kernel OOM-killed.
pub const OOM_KILLED: &str = "OOMKilled";

/// A kill older than this, first seen by a (re)started controller with no record of it in the
/// pod's annotation, is history: it is recorded in the profile but does not trigger a bump,
/// since the pod has most likely been resized since.
pub const OOM_FRESHNESS: Duration = Duration::from_secs(600);

/// One OOM kill of one container.
#[derive(Clone, Debug, PartialEq)]
pub struct OomKill {
    pub container: String,
    pub init: bool,
    /// The restart count the kill produced (see the module docs).
    pub marker: i32,
    /// The container will not run again (`state.terminated`, restartPolicy Never).
    pub final_: bool,
    /// When it was killed (seconds), if the kubelet said.
    pub at: Option<f64>,
    /// Who showed it when not the pod watch (`kube-state-metrics`), for Event notes.
    pub reported_by: Option<&'static str>,
}

fn oom(t: Option<&ContainerStateTerminated>) -> Option<&ContainerStateTerminated> {
    t.filter(|t| t.reason.as_deref() == Some(OOM_KILLED))
}

fn finished(t: &ContainerStateTerminated) -> Option<f64> {
    t.finished_at
        .as_ref()
        .map(|f| f.0.as_millisecond() as f64 / 1000.0)
}

fn kills_of(statuses: Option<&Vec<ContainerStatus>>, init: bool) -> Vec<OomKill> {
    let mut out = Vec::new();
    for s in statuses.into_iter().flatten() {
        let current = s.state.as_ref().and_then(|st| oom(st.terminated.as_ref()));
        let last = s
            .last_state
            .as_ref()
            .and_then(|st| oom(st.terminated.as_ref()));
        if let Some(t) = current {
            out.push(OomKill {
                container: s.name.clone(),
                init,
                marker: s.restart_count + 1,
                final_: true,
                at: finished(t),
                reported_by: None,
            });
        } else if let Some(t) = last {
            out.push(OomKill {
                container: s.name.clone(),
                init,
                marker: s.restart_count,
                final_: false,
                at: finished(t),
                reported_by: None,
            });
        }
    }
    out
}

/// Every OOM kill the pod's status shows now (the latest per container).
pub fn kills(pod: &Pod) -> Vec<OomKill> {
    let Some(st) = pod.status.as_ref() else {
        return Vec::new();
    };
    let mut out = kills_of(st.container_statuses.as_ref(), false);
    out.extend(kills_of(st.init_container_statuses.as_ref(), true));
    out
}

/// Is `kill` new, given the markers already handled (`handled`: from memory, else from the
/// pod's annotation) and, for a pod never seen before, how old it is?
pub fn is_new(
    kill: &OomKill,
    handled: &BTreeMap<String, String>,
    first_sight: bool,
    now: f64,
) -> bool {
    let done = handled
        .get(&kill.container)
        .and_then(|v| v.parse::<i32>().ok());
    match done {
        Some(m) => kill.marker > m,
        None if first_sight => kill
            .at
            .is_none_or(|at| now - at <= OOM_FRESHNESS.as_secs_f64()),
        None => true,
    }
}

/// Take `kill` on as this controller's to act on: true, and recorded in `handled`, unless a
/// marker as high is there already. Done under the state lock in one step, so the pod watch and
/// kube-state-metrics reporting the same kill at the same time bump it once.
pub fn claim(handled: &mut BTreeMap<String, String>, kill: &OomKill) -> bool {
    let done = handled
        .get(&kill.container)
        .and_then(|v| v.parse::<i32>().ok());
    if done.is_some_and(|m| kill.marker <= m) {
        return false;
    }
    handled.insert(kill.container.clone(), kill.marker.to_string());
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(statuses: serde_json::Value, init: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "status": {"containerStatuses": statuses, "initContainerStatuses": init}
        }))
        .unwrap()
    }

    fn status(
        name: &str,
        restarts: i32,
        state: serde_json::Value,
        last: serde_json::Value,
    ) -> serde_json::Value {
        json!({"name": name, "image": "x", "imageID": "", "ready": true, "restartCount": restarts,
               "state": state, "lastState": last})
    }

    fn terminated(reason: &str) -> serde_json::Value {
        json!({"terminated": {"exitCode": 137, "reason": reason, "finishedAt": "2026-01-01T00:00:00Z"}})
    }

    #[test]
    fn restarted_container_kill_is_read_from_last_state_with_its_restart_count() {
        let p = pod(
            json!([status(
                "app",
                3,
                json!({"running": {}}),
                terminated("OOMKilled")
            )]),
            json!([]),
        );
        let k = kills(&p);
        assert_eq!(k.len(), 1);
        assert_eq!((k[0].marker, k[0].final_, k[0].init), (3, false, false));
        assert_eq!(k[0].at, Some(1_767_225_600.0));
    }

    #[test]
    fn job_container_that_does_not_restart_is_read_from_state() {
        let p = pod(
            json!([status("work", 0, terminated("OOMKilled"), json!({}))]),
            json!([]),
        );
        let k = kills(&p);
        assert_eq!((k[0].marker, k[0].final_), (1, true));
    }

    #[test]
    fn init_and_sidecar_kills_are_seen() {
        let p = pod(
            json!([]),
            json!([status(
                "proxy",
                1,
                json!({"running": {}}),
                terminated("OOMKilled")
            )]),
        );
        let k = kills(&p);
        assert!(k[0].init);
        assert_eq!(k[0].container, "proxy");
    }

    #[test]
    fn other_terminations_are_not_oom_kills() {
        let p = pod(
            json!([status(
                "app",
                2,
                json!({"running": {}}),
                terminated("Error")
            )]),
            json!([]),
        );
        assert!(kills(&p).is_empty());
    }

    #[test]
    fn a_kill_is_acted_on_once_per_marker() {
        let kill = OomKill {
            container: "app".into(),
            init: false,
            marker: 2,
            final_: false,
            at: Some(1000.0),
            reported_by: None,
        };
        let mut handled = BTreeMap::new();
        assert!(is_new(&kill, &handled, false, 1000.0));
        handled.insert("app".to_owned(), "2".to_owned());
        assert!(!is_new(&kill, &handled, false, 1000.0));
        handled.insert("app".to_owned(), "1".to_owned());
        assert!(
            is_new(&kill, &handled, true, 1_000_000.0),
            "recorded older marker"
        );
    }

    #[test]
    fn a_kill_is_claimed_once() {
        let kill = OomKill {
            container: "app".into(),
            init: false,
            marker: 1,
            final_: false,
            at: None,
            reported_by: None,
        };
        let mut handled = BTreeMap::new();
        assert!(claim(&mut handled, &kill));
        assert!(
            !claim(&mut handled, &kill),
            "the second reporter finds it taken"
        );
        assert!(claim(&mut handled, &OomKill { marker: 2, ..kill }));
    }

    #[test]
    fn an_old_unrecorded_kill_seen_at_startup_is_not_bumped() {
        let kill = OomKill {
            container: "app".into(),
            init: false,
            marker: 1,
            final_: false,
            at: Some(0.0),
            reported_by: None,
        };
        assert!(!is_new(&kill, &BTreeMap::new(), true, 3600.0));
        assert!(is_new(&kill, &BTreeMap::new(), true, 60.0));
    }
}
