//! Kubernetes Events on the pods the controller changes or advises (`events.k8s.io/v1`), so
//! that `kubectl describe pod` says what was changed and why.
//!
//! Written directly rather than through kube-runtime's `Recorder`: the Recorder folds events
//! with the same reason on the same pod into one series for six minutes and keeps the first
//! note, so a second resize's old and new values would never be shown. Every change here gets
//! its own Event.

use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client, Resource, ResourceExt};

use crate::error::Error;

/// `reportingController` of every Event (a domain-qualified name, as the Events API asks).
pub const REPORTING_CONTROLLER: &str = "rightsize.dev/controller";

/// Event reasons (`kubectl describe` column `Reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A resize was sent and accepted by the API server.
    Resized,
    /// The kubelet defers the resize (no room on the node right now).
    ResizeDeferred,
    /// The kubelet cannot do the resize on this node; or the API server refused it.
    ResizeInfeasible,
    /// Memory bumped at once after an OOM kill.
    OomKillBump,
    /// What the controller would do, without doing it.
    Recommendation,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resized => "Resized",
            Self::ResizeDeferred => "ResizeDeferred",
            Self::ResizeInfeasible => "ResizeInfeasible",
            Self::OomKillBump => "OOMKillBump",
            Self::Recommendation => "Recommendation",
        }
    }

    fn is_warning(self) -> bool {
        matches!(self, Self::ResizeDeferred | Self::ResizeInfeasible)
    }
}

/// Publishes Events on pods.
#[derive(Clone)]
pub struct EventPublisher {
    client: Client,
    instance: String,
}

impl EventPublisher {
    pub fn new(client: Client, instance: impl Into<String>) -> Self {
        Self {
            client,
            instance: instance.into(),
        }
    }

    /// One Event on `pod`; `note` is the sentence a person reads (at most 1 kB, the API's limit).
    pub async fn publish(&self, pod: &Pod, reason: Reason, note: &str) -> Result<(), Error> {
        let namespace = pod.namespace().unwrap_or_default();
        let now = Timestamp::now();
        let reference = ObjectReference {
            api_version: Some(Pod::api_version(&()).into_owned()),
            kind: Some(Pod::kind(&()).into_owned()),
            name: Some(pod.name_any()),
            namespace: Some(namespace.clone()),
            uid: pod.uid(),
            resource_version: pod.resource_version(),
            field_path: None,
        };
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{}.{:x}", pod.name_any(), now.as_nanosecond())),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            action: Some("Resize".into()),
            reason: Some(reason.as_str().into()),
            note: Some(truncate(note, 1024)),
            event_time: Some(MicroTime(now)),
            regarding: Some(reference),
            reporting_controller: Some(REPORTING_CONTROLLER.into()),
            reporting_instance: Some(self.instance.clone()),
            type_: Some(
                if reason.is_warning() {
                    "Warning"
                } else {
                    "Normal"
                }
                .into(),
            ),
            ..Event::default()
        };
        Api::<Event>::namespaced(self.client.clone(), &namespace)
            .create(&PostParams::default(), &event)
            .await
            .map(|_| ())
            .map_err(|source| Error::PublishEvent {
                pod: format!("{namespace}/{}", pod.name_any()),
                reason: reason.as_str(),
                source,
            })
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
