//! Carrying out a [`Plan`]: `PATCH pods/{name}/resize` (strategic merge, only the container's
//! memory: the subresource ignores anything else, KEP-1287 §Subresource), then the cooldown
//! annotation and an Event saying old value, new value and why. A recommendation only annotates
//! and publishes an Event. A refusal (403 from a ResourceQuota, 422 from validation) is recorded
//! once with an Event and never re-sent unchanged; a 422 for a memory-limit decrease also makes
//! later plans keep memory limits, as on 1.33 ([`Context::resize_minor`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use crate::context::Context;
use crate::error::{Error, chain};
use crate::events::Reason;
use crate::metrics::Outcome;
use crate::plan::{Action, Plan};
use crate::pods;

/// Field manager of every write.
pub const FIELD_MANAGER: &str = "rightsize-controller";

fn api(ctx: &Context, pod: &Pod) -> Api<Pod> {
    Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default())
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

/// Merge-patch the pod's annotations (`None` removes one).
pub async fn annotate(
    ctx: &Context,
    pod: &Pod,
    annotations: &BTreeMap<String, Option<String>>,
) -> Result<(), Error> {
    let body = json!({"metadata": {"annotations": annotations}});
    api(ctx, pod)
        .patch(&pod.name_any(), &params(), &Patch::Merge(&body))
        .await
        .map(|_| ())
        .map_err(|source| Error::AnnotatePod {
            pod: pods::key(pod),
            source,
        })
}

/// Publish an Event, counting (not failing on) an error.
pub async fn event(ctx: &Context, pod: &Pod, reason: Reason, note: &str) {
    if let Err(e) = ctx.events.publish(pod, reason, note).await {
        ctx.report(&e);
    }
}

/// Send (or recommend) `plan` for `pod`. `reason` is the Event reason of an applied resize
/// (`Resized`, or `OOMKillBump`); `extra` annotations go with the cooldown record.
pub async fn execute(
    ctx: &Context,
    pod: &Pod,
    plan: &Plan,
    reason: Reason,
    extra: BTreeMap<String, Option<String>>,
) -> Outcome {
    let up = plan.is_up();
    if let Action::Recommend(why) = plan.action {
        recommend(ctx, pod, plan, why, extra).await;
        ctx.metrics.resize(Outcome::Recommended, up);
        return Outcome::Recommended;
    }
    let uid = pod.uid().unwrap_or_default();
    let target = plan.patch_body().to_string();
    let refusal_key = (uid, plan.container.clone(), target);
    if ctx.state().refused.contains(&refusal_key) {
        return Outcome::Failed;
    }
    let sent = api(ctx, pod)
        .patch_resize(
            &pod.name_any(),
            &params(),
            &Patch::Strategic(plan.patch_body()),
        )
        .await
        .map_err(|source| Error::PatchResize {
            pod: pods::key(pod),
            source,
        });
    if let Err(e) = sent {
        ctx.report(&e);
        ctx.metrics.resize(Outcome::Failed, up);
        if e.refuses_limit_decrease() && ctx.learn_limit_decreases_are_refused() {
            tracing::warn!(
                reported_minor = ctx.minor,
                "the API server refuses memory-limit decreases as Kubernetes 1.33 does although /version reported a newer minor (a control plane mid-upgrade?): resizes keep memory limits from now on"
            );
        }
        if e.is_refusal() {
            ctx.state().refused.insert(refusal_key);
            let note = format!(
                "{} refused by the API server: {}",
                plan.describe(),
                chain(&e)
            );
            event(ctx, pod, Reason::ResizeInfeasible, &note).await;
        }
        return Outcome::Failed;
    }
    let mut annotations = extra;
    annotations.insert(
        pods::LAST_RESIZE_ANNOTATION.into(),
        Some(Timestamp::now().to_string()),
    );
    if let Err(e) = annotate(ctx, pod, &annotations).await {
        ctx.report(&e);
    }
    tracing::info!(pod = %pods::key(pod), change = %plan.describe(), reason = reason.as_str(), "resized");
    event(ctx, pod, reason, &plan.describe()).await;
    ctx.metrics.resize(Outcome::Applied, up);
    let req = |r: &rightsize_policy::resources::ContainerResources| {
        r.memory.request.map_or(0.0, |q| q.as_f64())
    };
    ctx.metrics
        .memory_resized(req(&plan.before), req(&plan.after));
    Outcome::Applied
}

/// Annotate the recommendation and publish it, once per new value.
async fn recommend(
    ctx: &Context,
    pod: &Pod,
    plan: &Plan,
    why: &str,
    mut extra: BTreeMap<String, Option<String>>,
) {
    let mut current = pods::parse_pairs(pod.annotations().get(pods::RECOMMENDATION_ANNOTATION));
    let q = |v: Option<rightsize_policy::quantity::Quantity>| {
        v.map_or_else(|| "none".to_owned(), |q| q.to_string())
    };
    let value = format!(
        "{}/{}",
        q(plan.after.memory.request),
        q(plan.after.memory.limit)
    );
    if current.get(&plan.container) == Some(&value) && extra.is_empty() {
        return;
    }
    current.insert(plan.container.clone(), value);
    extra.insert(
        pods::RECOMMENDATION_ANNOTATION.into(),
        Some(pods::format_pairs(&current)),
    );
    if let Err(e) = annotate(ctx, pod, &extra).await {
        ctx.report(&e);
    }
    let note = format!("recommended, not applied ({why}): {}", plan.describe());
    event(ctx, pod, Reason::Recommendation, &note).await;
}
