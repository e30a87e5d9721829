//! The resource kinds the simulated API server serves, with what discovery advertises about each:
//! one table so routing, discovery, storage and admission agree on names. This module owns the
//! row type ([`ResourceDef`]), the discovery order of the API groups ([`GROUPS`]) and every
//! lookup; the rows themselves are data, one module per family of API groups (`core_v1`,
//! `workloads`, `access`, `platform`), so adding a kind touches one short file.

use serde_json::Value;

/// Verbs advertised for ordinary read-write resources.
const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Verbs for `metrics.k8s.io`, which is read-only.
const RO: &[&str] = &["get", "list"];
/// Verbs of the review kinds, which are only created (and never stored).
const CREATE_ONLY: &[&str] = &["create"];
/// `rbac.authorization.k8s.io`, the RBAC kinds' group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// `authorization.k8s.io`, the group of SelfSubjectAccessReview.
pub const REVIEW_GROUP: &str = "authorization.k8s.io";
/// `authentication.k8s.io`, the group of SelfSubjectReview (`kubectl auth whoami`).
pub const AUTHN_GROUP: &str = "authentication.k8s.io";

/// One served resource (group/version/plural).
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Subresources served under `<plural>/<name>/<sub>`.
    pub subresources: &'static [&'static str],
    /// Storage key: `events.k8s.io/v1` Events share the core Events storage (as in Kubernetes).
    pub storage: &'static str,
    /// Field selector labels accepted besides `metadata.name` and `metadata.namespace`
    /// (the real server rejects others with "field label not supported").
    pub field_labels: &'static [&'static str],
}

impl ResourceDef {
    /// `apiVersion` of objects of this resource.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether this resource is computed on request (PodMetrics, access reviews) rather than
    /// stored.
    pub fn is_virtual(&self) -> bool {
        self.group == "metrics.k8s.io" || self.is_review()
    }

    /// Whether this is a review kind: created, answered, never stored (`authorization.k8s.io`
    /// access reviews, `authentication.k8s.io` SelfSubjectReview).
    pub fn is_review(&self) -> bool {
        self.group == REVIEW_GROUP
            || (self.group == AUTHN_GROUP && self.plural == "selfsubjectreviews")
    }

    /// Kind of the list object.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// A list object of this resource. Built by moving `items` in: `json!` would serialize them
    /// into a second deep copy, the largest cost of a 10,000-pod list.
    pub fn list_object(&self, metadata: Value, items: Vec<Value>) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), Value::String(self.list_kind()));
        m.insert("apiVersion".into(), Value::String(self.api_version()));
        m.insert("metadata".into(), metadata);
        m.insert("items".into(), Value::Array(items));
        Value::Object(m)
    }
}

/// One row of the table, fields in [`ResourceDef`]'s order (keeps each row a short list).
macro_rules! def {
    ($g:expr, $v:expr, $p:expr, $s:expr, $k:expr, $ns:expr, $short:expr, $verbs:expr, $sub:expr, $store:expr, $fields:expr) => {
        ResourceDef {
            group: $g,
            version: $v,
            plural: $p,
            singular: $s,
            kind: $k,
            namespaced: $ns,
            short_names: $short,
            verbs: $verbs,
            subresources: $sub,
            storage: $store,
            field_labels: $fields,
        }
    };
}

mod access;
mod core_v1;
mod platform;
mod workloads;

/// Every served resource, one slice per API group in discovery order (`/apis` lists the groups
/// in this order; the core group is served at `/api` and comes first).
pub static GROUPS: &[&[ResourceDef]] = &[
    core_v1::CORE,
    platform::EVENTS,
    platform::COORDINATION,
    workloads::APPS,
    platform::POLICY,
    workloads::BATCH,
    platform::ADMISSION_REGISTRATION,
    access::RBAC,
    access::AUTHORIZATION,
    access::AUTHENTICATION,
    platform::METRICS,
];

/// Every served resource, group by group in discovery order.
pub fn all() -> impl Iterator<Item = &'static ResourceDef> {
    GROUPS.iter().flat_map(|g| g.iter())
}

/// Groups in discovery order with their single served version.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in all().filter(|r| !r.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// The resource at group/version/plural, if served.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
    all().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Whether group/version is served at all.
pub fn group_version_served(group: &str, version: &str) -> bool {
    all().any(|r| r.group == group && r.version == version)
}

/// Core resources by storage key, for internal callers (controllers, kubelet).
pub fn by_storage(storage: &str) -> &'static ResourceDef {
    all()
        .find(|r| {
            r.storage == storage
                && (r.group.is_empty()
                    || r.group == "apps"
                    || r.group == "batch"
                    || r.group == "policy"
                    || r.group == "coordination.k8s.io"
                    || r.group == RBAC_GROUP
                    || r.group == "admissionregistration.k8s.io")
        })
        .expect("internal callers name a stored resource")
}
