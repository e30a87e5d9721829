//! The resource kinds the simulated API server serves, with what discovery advertises about each.
//! One static table so routing, discovery, storage and admission agree on names.

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

const POD_FIELDS: &[&str] = &[
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];
const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

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

/// Every served resource.
pub static RESOURCES: &[ResourceDef] = &[
    def!(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        RW,
        &["status"],
        "namespaces",
        &["status.phase"]
    ),
    def!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        RW,
        &["status", "resize"],
        "pods",
        POD_FIELDS
    ),
    def!(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        RW,
        &[],
        "configmaps",
        &[]
    ),
    // core/v1 Secrets (kubernetes `pkg/registry/core/secret`): no short name; `type` is the one
    // extra selectable field (`strategy.go` `SelectableFields`).
    def!(
        "",
        "v1",
        "secrets",
        "secret",
        "Secret",
        true,
        &[],
        RW,
        &[],
        "secrets",
        &["type"]
    ),
    def!(
        "",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        RW,
        &[],
        "events",
        EVENT_FIELDS
    ),
    def!(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        RW,
        &["status"],
        "nodes",
        &["spec.unschedulable"]
    ),
    def!(
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        RW,
        &[],
        "events",
        EVENT_FIELDS
    ),
    def!(
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        true,
        &[],
        RW,
        &[],
        "leases",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        RW,
        &["status", "scale"],
        "deployments",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        RW,
        &["status", "scale"],
        "replicasets",
        &["status.replicas"]
    ),
    // --- issue 12 part B (sim-kinds): policy and workload kinds. Names, short names and
    // subresources as the real server's discovery lists them (kubernetes `pkg/registry/*/rest`).
    def!(
        "",
        "v1",
        "limitranges",
        "limitrange",
        "LimitRange",
        true,
        &["limits"],
        RW,
        &[],
        "limitranges",
        &[]
    ),
    def!(
        "",
        "v1",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        true,
        &["quota"],
        RW,
        &["status"],
        "resourcequotas",
        &[]
    ),
    def!(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        RW,
        &["status"],
        "poddisruptionbudgets",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        RW,
        &["status", "scale"],
        "statefulsets",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        RW,
        &["status"],
        "daemonsets",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        true,
        &[],
        RW,
        &[],
        "controllerrevisions",
        &[]
    ),
    def!(
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        true,
        &[],
        RW,
        &["status"],
        "jobs",
        &["status.successful"]
    ),
    def!(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
        RW,
        &["status"],
        "cronjobs",
        &[]
    ),
    // --- end of sim-kinds block.
    def!(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        false,
        &[],
        RW,
        &[],
        "mutatingwebhookconfigurations",
        &[]
    ),
    // sim-auth: Services, ServiceAccounts (TokenRequest as the `token` subresource), RBAC and
    // SelfSubjectAccessReview. Short names and subresources as `kubectl api-resources` lists
    // them on a real 1.33 server.
    def!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        RW,
        &["status"],
        "services",
        &["spec.clusterIP", "spec.type"]
    ),
    def!(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        RW,
        &["token"],
        "serviceaccounts",
        &[]
    ),
    def!(
        RBAC_GROUP,
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        &[],
        RW,
        &[],
        "clusterroles",
        &[]
    ),
    def!(
        RBAC_GROUP,
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        &[],
        RW,
        &[],
        "clusterrolebindings",
        &[]
    ),
    def!(
        RBAC_GROUP,
        "v1",
        "roles",
        "role",
        "Role",
        true,
        &[],
        RW,
        &[],
        "roles",
        &[]
    ),
    def!(
        RBAC_GROUP,
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        &[],
        RW,
        &[],
        "rolebindings",
        &[]
    ),
    def!(
        REVIEW_GROUP,
        "v1",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        false,
        &[],
        CREATE_ONLY,
        &[],
        "selfsubjectaccessreviews",
        &[]
    ),
    def!(
        AUTHN_GROUP,
        "v1",
        "selfsubjectreviews",
        "selfsubjectreview",
        "SelfSubjectReview",
        false,
        &[],
        CREATE_ONLY,
        &[],
        "selfsubjectreviews",
        &[]
    ),
    def!(
        "metrics.k8s.io",
        "v1beta1",
        "pods",
        "",
        "PodMetrics",
        true,
        &[],
        RO,
        &[],
        "podmetrics",
        &[]
    ),
    def!(
        "metrics.k8s.io",
        "v1beta1",
        "nodes",
        "",
        "NodeMetrics",
        false,
        &[],
        RO,
        &[],
        "nodemetrics",
        &[]
    ),
];

/// Groups in discovery order with their single served version.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// The resource at group/version/plural, if served.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Whether group/version is served at all.
pub fn group_version_served(group: &str, version: &str) -> bool {
    RESOURCES
        .iter()
        .any(|r| r.group == group && r.version == version)
}

/// Core resources by storage key, for internal callers (controllers, kubelet).
pub fn by_storage(storage: &str) -> &'static ResourceDef {
    RESOURCES
        .iter()
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
