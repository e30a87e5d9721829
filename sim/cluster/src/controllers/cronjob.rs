//! CronJob controller (kubernetes `pkg/controller/cronjob`, v2): on each pass, the most recent
//! scheduled time since the later of the CronJob's creation and `status.lastScheduleTime`
//! starts one Job named `<cronjob>-<scheduled time in minutes since the epoch>`
//! (`getJobName`), owned by the CronJob, with the job template's labels, annotations and spec
//! and the `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation. `concurrencyPolicy`
//! `Forbid` skips a run while a Job is active, `Replace` deletes the active ones first. Finished
//! Jobs beyond `successfulJobsHistoryLimit` / `failedJobsHistoryLimit` are deleted (oldest
//! first). `status.active`, `lastScheduleTime` and `lastSuccessfulTime` follow.
//!
//! Time is the sim's clock: wall time since the controller started, multiplied by the
//! cluster's speed factor (`--speed`), so `*/5 * * * *` at speed 60 runs every 5 seconds.
//! Schedules are evaluated in UTC (`crate::cron`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::common::{delete_recorded, owned};
use super::controller_ref;
use super::job::has_condition;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// `batch.CronJobScheduledTimestampAnnotation`.
pub const SCHEDULED_ANNOTATION: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/// Events' reporting component.
const COMPONENT: &str = "cronjob-controller";

pub struct CronJobController {
    /// Wall instant and unix time at which sim time and wall time coincide.
    origin: (Instant, i64),
}

impl Default for CronJobController {
    fn default() -> Self {
        Self {
            origin: (Instant::now(), util::unix_now()),
        }
    }
}

fn finished(job: &Value) -> bool {
    has_condition(job, "Complete") || has_condition(job, "Failed")
}

impl CronJobController {
    /// Sim time (unix seconds) of a wall-clock unix time.
    fn sim_time(&self, wall: i64, speed: f64) -> i64 {
        let (_, o) = self.origin;
        o + ((wall - o) as f64 * speed) as i64
    }

    /// Sim time now.
    fn sim_now(&self, speed: f64) -> i64 {
        let (at, o) = self.origin;
        o + (at.elapsed().as_secs_f64() * speed) as i64
    }

    pub async fn reconcile_all(&mut self, c: &Cluster) {
        let cronjobs = c.store.list(resources::by_storage("cronjobs"), None).0;
        for cj in cronjobs {
            if let Err(e) = self.reconcile(c, &cj).await {
                tracing::debug!(error = %e, cronjob = util::str_at(&cj, "metadata.name"), "cronjob reconcile failed");
            }
        }
    }

    async fn reconcile(&mut self, c: &Cluster, cj: &Value) -> crate::error::ApiResult<()> {
        let ns = util::str_at(cj, "metadata.namespace");
        let name = util::str_at(cj, "metadata.name");
        let uid = util::str_at(cj, "metadata.uid");
        let jobs_def = resources::by_storage("jobs");
        let speed = c.config.speed;
        let mut last = cj
            .pointer("/status/lastScheduleTime")
            .and_then(Value::as_str)
            .and_then(util::parse_rfc3339);
        let created = util::parse_rfc3339(util::str_at(cj, "metadata.creationTimestamp"))
            .map(|t| self.sim_time(t, speed));
        let earliest = last.max(created).unwrap_or(i64::MAX);
        let suspended = cj.pointer("/spec/suspend") == Some(&json!(true));
        let due = crate::cron::parse(util::str_at(cj, "spec.schedule"))
            .ok()
            .and_then(|s| s.latest_between(earliest, self.sim_now(speed)));
        let jobs = owned(c, "jobs", ns, uid);
        if let Some(t) = due.filter(|_| !suspended) {
            let job_name = format!("{name}-{}", t / 60);
            let active: Vec<&Arc<Value>> = jobs.iter().filter(|j| !finished(j)).collect();
            let policy = util::str_at(cj, "spec.concurrencyPolicy");
            if jobs
                .iter()
                .any(|j| util::str_at(j, "metadata.name") == job_name)
            {
                last = Some(t);
            } else if policy == "Forbid" && !active.is_empty() {
                // The run is skipped; the next schedule is tried later.
            } else {
                if policy == "Replace" {
                    for j in &active {
                        let msg = format!("Deleted job {}", util::str_at(j, "metadata.name"));
                        delete_recorded(c, cj, "jobs", j, &msg, COMPONENT);
                    }
                }
                let template = cj
                    .pointer("/spec/jobTemplate")
                    .cloned()
                    .unwrap_or(json!({}));
                let mut annotations = template
                    .pointer("/metadata/annotations")
                    .cloned()
                    .unwrap_or(json!({}));
                annotations[SCHEDULED_ANNOTATION] = json!(util::rfc3339_at(t));
                let job = json!({
                    "apiVersion": "batch/v1", "kind": "Job",
                    "metadata": {"name": job_name, "labels": template.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
                        "annotations": annotations, "ownerReferences": [controller_ref(cj)]},
                    "spec": template.get("spec").cloned().unwrap_or(json!({})),
                });
                match c.create(jobs_def, ns, job).await {
                    Ok(_) => {
                        last = Some(t);
                        c.record_event(
                            cj,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("Created job {job_name}"),
                            "cronjob-controller",
                        );
                    }
                    Err(e) => c.record_event(
                        cj,
                        "Warning",
                        "FailedCreate",
                        &format!("Error creating job: {}", e.message),
                        "cronjob-controller",
                    ),
                }
            }
        }
        self.trim_history(c, cj);
        let jobs = owned(c, "jobs", ns, uid);
        let active: Vec<Value> = jobs
            .iter()
            .filter(|j| !finished(j))
            .map(|j| json!({"kind": "Job", "apiVersion": "batch/v1", "namespace": ns,
                "name": j["metadata"]["name"], "uid": j["metadata"]["uid"], "resourceVersion": j["metadata"]["resourceVersion"]}))
            .collect();
        let last_success = jobs
            .iter()
            .filter(|j| has_condition(j, "Complete"))
            .filter_map(|j| {
                j.pointer("/status/completionTime")
                    .and_then(Value::as_str)
                    .map(String::from)
            })
            .max();
        c.internal_update("cronjobs", ns, name, |o| {
            let mut status = json!({});
            if !active.is_empty() {
                status["active"] = json!(active);
            }
            if let Some(t) = last {
                status["lastScheduleTime"] = json!(util::rfc3339_at(t));
            }
            if let Some(t) = last_success {
                status["lastSuccessfulTime"] = json!(t);
            }
            o["status"] = status;
        })?;
        Ok(())
    }

    /// Delete finished Jobs beyond the history limits, oldest first.
    fn trim_history(&self, c: &Cluster, cj: &Value) {
        let ns = util::str_at(cj, "metadata.namespace");
        let jobs = owned(c, "jobs", ns, util::str_at(cj, "metadata.uid"));
        for (kind, limit_key) in [
            ("Complete", "successfulJobsHistoryLimit"),
            ("Failed", "failedJobsHistoryLimit"),
        ] {
            let limit = cj
                .pointer(&format!("/spec/{limit_key}"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .max(0) as usize;
            let mut done: Vec<&Arc<Value>> =
                jobs.iter().filter(|j| has_condition(j, kind)).collect();
            done.sort_by_key(|j| {
                (
                    util::str_at(j, "metadata.creationTimestamp").to_string(),
                    util::str_at(j, "metadata.name").to_string(),
                )
            });
            let excess = done.len().saturating_sub(limit);
            for j in done.into_iter().take(excess) {
                let msg = format!("Deleted job {}", util::str_at(j, "metadata.name"));
                delete_recorded(c, cj, "jobs", j, &msg, COMPONENT);
            }
        }
    }
}
