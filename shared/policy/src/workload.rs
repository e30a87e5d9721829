//! Workload identity: which Deployment, StatefulSet, Job… a pod belongs to, from its metadata
//! alone, and a stable ConfigMap key for it. History is learned and stored per workload, so every
//! replica and every rollout of a workload must map to the same identity.
//!
//! Only the owner reference with `controller: true` counts (apimachinery
//! `metav1.GetControllerOf`; the API server allows at most one). At mutating admission a
//! controller-made pod has `generateName`, no `name` and maybe no `namespace`, which is why the
//! request namespace is passed in (`../shared/reference/kubernetes-api-facts.md` §2.3).
//!
//! Rules (Kubernetes sources in brackets):
//! - owner ReplicaSet and pod label `pod-template-hash`, RS named `<deployment>-<hash>` →
//!   Deployment [`pkg/controller/deployment/sync.go`: the RS is named
//!   `deployment.Name + "-" + podTemplateSpecHash`; the hash label is copied to its pods];
//! - owner ReplicaSet without that label (or not named `…-<hash>`) → bare ReplicaSet;
//! - owner Job named `<cronjob>-<minutes>` → CronJob (see [`cronjob_of_job`]), else Job;
//! - owner StatefulSet, DaemonSet, ReplicationController → that object;
//! - any other controller kind → `Other(kind)`, keyed by the owner's name;
//! - no controller owner → bare pod, keyed by `generateName` if set (so the pods one generator
//!   makes share history), else by `name`.

use std::borrow::Cow;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::hash::fnv1a64;

/// Pod label the Deployment controller puts on every ReplicaSet's pods
/// (`apps/v1.DefaultDeploymentUniqueLabelKey`).
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// Longest ConfigMap key (`IsConfigMapKey`: a DNS-1123 subdomain length, 253).
pub const MAX_KEY_LEN: usize = 253;

/// Digits of the scheduled-time suffix of a CronJob-made Job. The CronJob controller names Jobs
/// `<cronjob>-<scheduledTime.Unix()/60>` (`pkg/controller/cronjob/utils.go`, `getJobName` /
/// `getTimeHashInMinutes`); minutes since the epoch have 8 digits from 1989 to 2160.
pub const CRONJOB_SUFFIX_DIGITS: usize = 8;

/// Smallest suffix read as a CronJob schedule time: 2010-01-01T00:00Z in minutes. It excludes
/// date-like suffixes people type by hand (`backup-20240101`, at most 20991231), which would
/// otherwise read as minutes in 2008–2009.
pub const CRONJOB_MIN_MINUTES: u64 = 21_038_400;

/// Separator between the readable prefix and the hash in a hashed key. Plain keys never contain
/// it (see [`WorkloadRef::key`]).
const HASH_MARK: &str = "..";

/// The kind of object a workload is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    ReplicationController,
    /// A ReplicaSet not managed by a Deployment.
    ReplicaSet,
    /// A pod with no controller.
    Pod,
    /// A controller of another kind (a CRD such as an Argo Rollout), by its `kind`. Its API group
    /// is not part of the identity.
    Other(String),
}

impl WorkloadKind {
    /// The token that starts a key. Tokens contain no `.`, so a key's first `.` ends the token.
    pub fn token(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Self::Deployment => "deploy",
            Self::StatefulSet => "sts",
            Self::DaemonSet => "ds",
            Self::Job => "job",
            Self::CronJob => "cronjob",
            Self::ReplicationController => "rc",
            Self::ReplicaSet => "rs",
            Self::Pod => "pod",
            Self::Other(kind) => return Cow::Owned(format!("x-{kind}")),
        })
    }

    /// The inverse of [`token`](Self::token).
    pub fn from_token(token: &str) -> Option<Self> {
        Some(match token {
            "deploy" => Self::Deployment,
            "sts" => Self::StatefulSet,
            "ds" => Self::DaemonSet,
            "job" => Self::Job,
            "cronjob" => Self::CronJob,
            "rc" => Self::ReplicationController,
            "rs" => Self::ReplicaSet,
            "pod" => Self::Pod,
            other => Self::Other(
                other
                    .strip_prefix("x-")
                    .filter(|k| !k.is_empty())?
                    .to_owned(),
            ),
        })
    }

    /// The Kubernetes `kind` name, for messages and Events.
    pub fn kind_name(&self) -> &str {
        match self {
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::Job => "Job",
            Self::CronJob => "CronJob",
            Self::ReplicationController => "ReplicationController",
            Self::ReplicaSet => "ReplicaSet",
            Self::Pod => "Pod",
            Self::Other(kind) => kind,
        }
    }
}

/// The workload a pod belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadRef {
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
}

/// Why a pod's workload could not be determined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    #[error("pod has no namespace and none was given with the request")]
    MissingNamespace,
    #[error("pod in namespace {namespace:?} has no controller, no name and no generateName")]
    MissingName { namespace: String },
}

/// Why a key could not be turned back into a workload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "workload key {0:?} is hashed (too long or unusual characters): it cannot be parsed back"
    )]
    Hashed(String),
    #[error("malformed workload key {0:?}: expected <kind>.<namespace>.<name>")]
    Malformed(String),
}

impl WorkloadRef {
    pub fn new(namespace: impl Into<String>, kind: WorkloadKind, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            kind,
            name: name.into(),
        }
    }

    /// The workload of a pod. `request_namespace` is the AdmissionRequest's namespace (or the
    /// namespace the pod was listed in); it is used when the pod's own is missing or empty, as at
    /// CREATE time.
    pub fn of_pod(
        meta: &ObjectMeta,
        request_namespace: Option<&str>,
    ) -> Result<Self, WorkloadError> {
        let namespace = non_empty(meta.namespace.as_deref())
            .or(non_empty(request_namespace))
            .ok_or(WorkloadError::MissingNamespace)?;
        let labels = meta.labels.as_ref();
        let controller = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true));
        let (kind, name) = match controller {
            Some(owner) => {
                classify_owner(owner, labels.and_then(|l| l.get(POD_TEMPLATE_HASH_LABEL)))
            }
            None => {
                let name = non_empty(meta.generate_name.as_deref())
                    .or(non_empty(meta.name.as_deref()))
                    .ok_or_else(|| WorkloadError::MissingName {
                        namespace: namespace.to_owned(),
                    })?;
                (WorkloadKind::Pod, name.to_owned())
            }
        };
        Ok(Self::new(namespace, kind, name))
    }

    /// A stable ConfigMap data key for this workload (`[-._a-zA-Z0-9]+`, at most 253 chars).
    ///
    /// Plain form `<token>.<namespace>.<name>`, e.g. `deploy.shop.web`: unambiguous because
    /// tokens and namespaces (DNS-1123 labels) contain no `.`, so the first two dots split it, and
    /// the name (which may contain dots) is the rest. Kinds never collide: each has its own token.
    ///
    /// Hashed form, when the plain form would be longer than 253 chars or contain a character a
    /// key may not (or `..`, or an empty part): the plain form with bad characters replaced by
    /// `-`, cut to leave room, then `..` and 16 hex digits of FNV-1a 64 over kind token,
    /// namespace and name (NUL-separated). `..` never occurs in a plain key, which is how
    /// [`from_key`](Self::from_key) tells them apart. FNV-1a is implemented here so the key never
    /// depends on a crate version.
    pub fn key(&self) -> String {
        let token = self.kind.token();
        let plain = format!("{token}.{}.{}", self.namespace, self.name);
        let part_ok = |s: &str, dots: bool| {
            !s.is_empty() && s.chars().all(|c| is_key_char(c) && (dots || c != '.'))
        };
        if plain.len() <= MAX_KEY_LEN
            && part_ok(&token, false)
            && part_ok(&self.namespace, false)
            && part_ok(&self.name, true)
            && !plain.contains(HASH_MARK)
            && WorkloadKind::from_token(&token).as_ref() == Some(&self.kind)
        {
            return plain;
        }
        // NUL-separated so that ("ab", "c") and ("a", "bc") hash differently.
        let identity = format!("{token}\0{}\0{}", self.namespace, self.name);
        let hash = fnv1a64(identity.as_bytes());
        let room = MAX_KEY_LEN - HASH_MARK.len() - 16;
        let prefix: String = plain
            .chars()
            .map(|c| if is_key_char(c) { c } else { '-' })
            .take(room)
            .collect();
        format!("{prefix}{HASH_MARK}{hash:016x}")
    }

    /// The workload a plain key names (the inverse of [`key`](Self::key)); hashed keys are
    /// one-way and give [`KeyError::Hashed`].
    pub fn from_key(key: &str) -> Result<Self, KeyError> {
        if key.contains(HASH_MARK) {
            return Err(KeyError::Hashed(key.to_owned()));
        }
        let malformed = || KeyError::Malformed(key.to_owned());
        let (token, rest) = key.split_once('.').ok_or_else(malformed)?;
        let (namespace, name) = rest.split_once('.').ok_or_else(malformed)?;
        if namespace.is_empty() || name.is_empty() || !key.chars().all(is_key_char) {
            return Err(malformed());
        }
        let kind = WorkloadKind::from_token(token).ok_or_else(malformed)?;
        Ok(Self::new(namespace, kind, name))
    }
}

impl fmt::Display for WorkloadRef {
    /// `Deployment shop/web`, for logs and Events.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.kind.kind_name(),
            self.namespace,
            self.name
        )
    }
}

/// The workload behind a pod's controller owner.
fn classify_owner(
    owner: &OwnerReference,
    template_hash: Option<&String>,
) -> (WorkloadKind, String) {
    // apiVersion is "group/version", or just "version" for the core group.
    let group = owner.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let name = owner.name.clone();
    match (group, owner.kind.as_str()) {
        ("apps", "ReplicaSet") => {
            let deployment = template_hash
                .filter(|h| !h.is_empty())
                .and_then(|h| name.strip_suffix(h.as_str()))
                .and_then(|prefix| prefix.strip_suffix('-'))
                .filter(|d| !d.is_empty());
            match deployment {
                Some(d) => (WorkloadKind::Deployment, d.to_owned()),
                None => (WorkloadKind::ReplicaSet, name),
            }
        }
        ("apps", "StatefulSet") => (WorkloadKind::StatefulSet, name),
        ("apps", "DaemonSet") => (WorkloadKind::DaemonSet, name),
        ("batch", "Job") => match cronjob_of_job(&name) {
            Some(cronjob) => (WorkloadKind::CronJob, cronjob.to_owned()),
            None => (WorkloadKind::Job, name),
        },
        ("", "ReplicationController") => (WorkloadKind::ReplicationController, name),
        (_, kind) => (WorkloadKind::Other(kind.to_owned()), name),
    }
}

/// The CronJob that made a Job, guessed from the Job's name alone.
///
/// A pod only references its Job; the Job's own owner (the CronJob) is not visible from the pod,
/// and the webhook must not call the API server on its request path (DESIGN §2). Neither pod nor
/// Job labels name the CronJob. So: a Job named `<cronjob>-<n>` where `n` has exactly
/// [`CRONJOB_SUFFIX_DIGITS`] digits and is at least [`CRONJOB_MIN_MINUTES`] is taken as made by
/// CronJob `<cronjob>`. A hand-made Job that matches is grouped by its prefix too, which is what
/// one wants for a job run again and again under numbered names.
pub fn cronjob_of_job(job_name: &str) -> Option<&str> {
    let (cronjob, suffix) = job_name.rsplit_once('-')?;
    let minutes: u64 = suffix.parse().ok()?;
    (!cronjob.is_empty()
        && suffix.len() == CRONJOB_SUFFIX_DIGITS
        && suffix.bytes().all(|b| b.is_ascii_digit())
        && minutes >= CRONJOB_MIN_MINUTES)
        .then_some(cronjob)
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// `IsConfigMapKey`'s character set.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// apimachinery `IsConfigMapKey`: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` and not
/// starting with `..` (the history store checks every key it writes with it).
pub fn is_config_map_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.chars().all(is_key_char)
        && key != "."
        && !key.starts_with("..")
}

#[cfg(test)]
mod tests;
