//! Job controller (kubernetes `pkg/controller/job`): keeps `min(parallelism, completions −
//! succeeded)` pods active (`parallelism` while none succeeded when `completions` is unset, the
//! work-queue mode), each created with `generateName: <job>-` from the template, which the API
//! server's Job strategy labelled `batch.kubernetes.io/controller-uid`,
//! `batch.kubernetes.io/job-name`, `controller-uid` and `job-name` (`registry::workload_kinds`).
//! Status counts `active`, `ready`, `succeeded` and `failed` pods; container restarts of
//! `restartPolicy: OnFailure` pods count as failures too. Once `succeeded` reaches
//! `completions` the Job gets `SuccessCriteriaMet` and `Complete` (1.31+ order) and a
//! `completionTime`; past `backoffLimit` failures it gets `FailureTarget` and `Failed` with reason
//! `BackoffLimitExceeded` and its active pods are deleted. `suspend: true` deletes active pods.
//! Pods finish in the sim when they carry the `sim.rightsize.dev/run-for` annotation (kubelet).

use std::sync::Arc;

use serde_json::{Value, json};

use super::common::{Backoff, delete_recorded, is_active, is_ready, owned, pod_from_template};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// Pods created per Job per pass (the real controller's slow-start batches).
const CREATE_BURST: i64 = 100;
/// `DefaultJobBackOff`-free simplification: the API default of `backoffLimit`.
const DEFAULT_BACKOFF_LIMIT: i64 = 6;

#[derive(Default)]
pub struct JobController {
    backoff: Backoff,
}

/// Whether the Job has a `type` condition with status True.
pub fn has_condition(job: &Value, type_: &str) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == type_ && c["status"] == "True")
        })
}

fn condition(type_: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({"type": type_, "status": "True", "reason": reason, "message": message,
        "lastProbeTime": now, "lastTransitionTime": now})
}

fn restarts(pod: &Value) -> i64 {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s["restartCount"].as_i64())
        .sum()
}

impl JobController {
    pub async fn reconcile_all(&mut self, c: &Cluster) {
        let jobs = c.store.list(resources::by_storage("jobs"), None).0;
        self.backoff.retain(&jobs);
        for j in jobs {
            if has_condition(&j, "Complete") || has_condition(&j, "Failed") {
                continue;
            }
            if let Err(e) = self.reconcile(c, &j).await {
                tracing::debug!(error = %e, job = util::str_at(&j, "metadata.name"), "job reconcile failed");
            }
        }
    }

    async fn reconcile(&mut self, c: &Cluster, job: &Value) -> crate::error::ApiResult<()> {
        let ns = util::str_at(job, "metadata.namespace");
        let name = util::str_at(job, "metadata.name");
        let uid = util::str_at(job, "metadata.uid");
        let int = |p: &str| job.pointer(p).and_then(Value::as_i64);
        let parallelism = int("/spec/parallelism").unwrap_or(1);
        let completions = int("/spec/completions");
        let backoff_limit = int("/spec/backoffLimit").unwrap_or(DEFAULT_BACKOFF_LIMIT);
        let suspended = job.pointer("/spec/suspend") == Some(&json!(true));
        let pods_def = resources::by_storage("pods");
        let pods = owned(c, "pods", ns, uid);
        let count = |phase: &str| {
            pods.iter()
                .filter(|p| util::str_at(p, "status.phase") == phase)
                .count() as i64
        };
        let (succeeded, failed) = (count("Succeeded"), count("Failed"));
        let active: Vec<Arc<Value>> = pods.iter().filter(|p| is_active(p)).cloned().collect();
        let failures = failed + active.iter().map(|p| restarts(p)).sum::<i64>();
        let now = util::now_rfc3339();
        let mut conditions = job
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut completion_time = None;
        let complete = match completions {
            Some(n) => succeeded >= n,
            None => succeeded > 0 && active.is_empty(),
        };
        let mut remove_active = suspended;
        if complete {
            conditions.push(condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now,
            ));
            conditions.push(condition(
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now,
            ));
            completion_time = Some(now.clone());
            c.record_event(
                job,
                "Normal",
                "Completed",
                "Job completed",
                "job-controller",
            );
        } else if failures > backoff_limit {
            let msg = "Job has reached the specified backoff limit";
            conditions.push(condition(
                "FailureTarget",
                "BackoffLimitExceeded",
                msg,
                &now,
            ));
            conditions.push(condition("Failed", "BackoffLimitExceeded", msg, &now));
            c.record_event(
                job,
                "Warning",
                "BackoffLimitExceeded",
                msg,
                "job-controller",
            );
            remove_active = true;
        } else if !suspended && self.backoff.ready(uid) {
            let want = match completions {
                Some(n) => parallelism.min(n - succeeded),
                None if succeeded == 0 => parallelism,
                None => 0,
            };
            let template = job.pointer("/spec/template").cloned().unwrap_or(json!({}));
            for _ in 0..(want - active.len() as i64).clamp(0, CREATE_BURST) {
                let mut pod = pod_from_template(job, &template, &[]);
                pod["metadata"]["generateName"] = json!(format!("{name}-"));
                match c.create(pods_def, ns, pod).await {
                    Ok(p) => {
                        self.backoff.succeeded(uid);
                        c.record_event(
                            job,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("Created pod: {}", util::str_at(&p, "metadata.name")),
                            "job-controller",
                        );
                    }
                    Err(e) => {
                        self.backoff.failed(uid);
                        c.record_event(
                            job,
                            "Warning",
                            "FailedCreate",
                            &format!("Error creating: {}", e.message),
                            "job-controller",
                        );
                        break;
                    }
                }
            }
        }
        if remove_active {
            for p in &active {
                let msg = format!("Deleted pod: {}", util::str_at(p, "metadata.name"));
                delete_recorded(c, job, "pods", p, &msg, "job-controller");
            }
        }
        let active: Vec<Arc<Value>> = owned(c, "pods", ns, uid)
            .into_iter()
            .filter(|p| is_active(p))
            .collect();
        let ready = active.iter().filter(|p| is_ready(p)).count();
        let start = job
            .pointer("/status/startTime")
            .cloned()
            .unwrap_or(json!(now));
        c.internal_update("jobs", ns, name, |o| {
            let mut status = json!({
                "startTime": start, "active": active.len(), "ready": ready, "succeeded": succeeded,
                "failed": failed, "terminating": 0, "uncountedTerminatedPods": {},
            });
            if !conditions.is_empty() {
                status["conditions"] = json!(conditions);
            }
            if let Some(t) = completion_time {
                status["completionTime"] = json!(t);
            }
            o["status"] = status;
        })?;
        Ok(())
    }
}
