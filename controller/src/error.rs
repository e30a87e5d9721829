//! The controller's one error type (controller-rs style): each variant is named after the action
//! that failed, carries what a person needs to find the cause, and gives a low-cardinality label
//! to the `api_errors_total` metric.

use thiserror::Error;

/// Everything that can go wrong while the controller runs. None of these stops it: a failed
/// action is logged once with its context, counted, and tried again at the next cycle (or not at
/// all, for refusals that would only repeat).
#[derive(Debug, Error)]
pub enum Error {
    #[error("listing PodMetrics through the API server")]
    ListPodMetrics {
        #[source]
        source: kube::Error,
    },
    #[error("reading {url}")]
    FetchMetricsUrl {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered HTTP {status}")]
    MetricsUrlStatus { url: String, status: u16 },
    #[error("decoding the PodMetrics list from {from}")]
    DecodePodMetrics {
        from: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("reading the ServiceAccount token {path}")]
    ReadToken {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the CA file {path}")]
    ReadCaFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("building the HTTPS client for the metrics endpoints")]
    BuildHttpClient {
        #[source]
        source: reqwest::Error,
    },
    #[error("reading kube-state-metrics at {url}")]
    FetchKubeStateMetrics {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("kube-state-metrics at {url} answered HTTP {status}")]
    KubeStateMetricsStatus { url: String, status: u16 },
    #[error("parsing kube-state-metrics text from {url}")]
    ParseKubeStateMetrics {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("resizing pod {pod}")]
    PatchResize {
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("annotating pod {pod}")]
    AnnotatePod {
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("publishing event {reason} on pod {pod}")]
    PublishEvent {
        pod: String,
        reason: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("reading the API server version")]
    ReadServerVersion {
        #[source]
        source: kube::Error,
    },
    #[error("flushing the history store")]
    FlushHistory {
        #[source]
        source: rightsize_history::FlushError,
    },
    #[error("loading the history store")]
    LoadHistory {
        #[source]
        source: rightsize_history::FlushError,
    },
    #[error("watching {what}")]
    Watch {
        what: &'static str,
        #[source]
        source: kube::runtime::watcher::Error,
    },
    #[error("holding the leader Lease {name}")]
    Lease {
        name: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// Label for `rightsize_controller_api_errors_total{kind}`: the action, plus the HTTP status
    /// class when the API server answered, so that 409s, 403s and 500s are told apart.
    pub fn metric_label(&self) -> String {
        let action = match self {
            Self::ListPodMetrics { .. } => "list_pod_metrics",
            Self::FetchMetricsUrl { .. } => "fetch_metrics_url",
            Self::MetricsUrlStatus { .. } => "metrics_url_status",
            Self::DecodePodMetrics { .. } => "decode_pod_metrics",
            Self::ReadToken { .. } => "read_token",
            Self::ReadCaFile { .. } => "read_ca_file",
            Self::BuildHttpClient { .. } => "build_http_client",
            Self::FetchKubeStateMetrics { .. } => "fetch_kube_state_metrics",
            Self::KubeStateMetricsStatus { .. } => "kube_state_metrics_status",
            Self::ParseKubeStateMetrics { .. } => "parse_kube_state_metrics",
            Self::PatchResize { .. } => "patch_resize",
            Self::AnnotatePod { .. } => "annotate_pod",
            Self::PublishEvent { .. } => "publish_event",
            Self::ReadServerVersion { .. } => "read_server_version",
            Self::FlushHistory { .. } => "flush_history",
            Self::LoadHistory { .. } => "load_history",
            Self::Watch { .. } => "watch",
            Self::Lease { .. } => "lease",
        };
        match self.api_status() {
            Some(code) => format!("{action}_{code}"),
            None => action.to_owned(),
        }
    }

    /// The HTTP status the API server answered with, if it answered.
    pub fn api_status(&self) -> Option<u16> {
        match self {
            Self::ListPodMetrics { source }
            | Self::PatchResize { source, .. }
            | Self::AnnotatePod { source, .. }
            | Self::PublishEvent { source, .. }
            | Self::ReadServerVersion { source } => match source {
                kube::Error::Api(status) => Some(status.code),
                _ => None,
            },
            Self::MetricsUrlStatus { status, .. } | Self::KubeStateMetricsStatus { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// A refusal that would only repeat if sent again unchanged: 403 (a ResourceQuota or RBAC)
    /// and 422 (validation). Recorded once, not retried in a loop.
    pub fn is_refusal(&self) -> bool {
        matches!(self.api_status(), Some(403 | 422))
    }

    /// A resize refused because it lowers a memory limit: 1.33 validation
    /// (`validateContainerResize`, PR #130183) answers 422 with this message.
    pub fn refuses_limit_decrease(&self) -> bool {
        match self {
            Self::PatchResize {
                source: kube::Error::Api(status),
                ..
            } => status.code == 422 && status.message.contains(LIMIT_DECREASE_MESSAGE),
            _ => false,
        }
    }
}

/// What 1.33's API validation says of a memory-limit decrease without a RestartContainer policy.
pub const LIMIT_DECREASE_MESSAGE: &str = "memory limits cannot be decreased";

/// The error with its whole chain of causes on one line, for logs and Event notes.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
