//! Patch metadata of the served kinds for strategic merge patch: which list fields merge, by
//! which key, and which maps are replaced whole. Kubernetes declares these as the
//! `patchStrategy` / `patchMergeKey` struct tags of its Go types (k8s.io/api v0.33.9
//! `*/v1/types.go`, k8s.io/apimachinery `pkg/apis/meta/v1/types.go`); the rows below are those
//! tags, transcribed for every type reachable from a served kind that leads to one.
//!
//! The table is a type graph, not a list of paths: a pod template is one `PodTemplateSpec` row
//! whether it sits in a Deployment, a Job or a CronJob's job template. A field not listed has no
//! strategy: a map merges key by key and a list is replaced whole ("atomic"), as in
//! apimachinery. Every field named `metadata` is an `ObjectMeta`.

/// One struct field's patch tags: (Go type, JSON field, Go type of the field or of its list
/// items where deeper rows exist, `patchStrategy`, `patchMergeKey`).
pub(super) type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The tags, sorted by type.
static ROWS: &[Row] = &[
    ("ObjectMeta", "ownerReferences", "", "merge", "uid"),
    ("ObjectMeta", "finalizers", "", "merge", ""),
    ("Container", "ports", "", "merge", "containerPort"),
    ("Container", "env", "", "merge", "name"),
    ("Container", "volumeMounts", "", "merge", "mountPath"),
    ("Container", "volumeDevices", "", "merge", "devicePath"),
    ("ContainerStatus", "volumeMounts", "", "merge", "mountPath"),
    (
        "ContainerStatus",
        "allocatedResourcesStatus",
        "",
        "merge",
        "name",
    ),
    ("CronJob", "spec", "CronJobSpec", "", ""),
    ("CronJobSpec", "jobTemplate", "JobTemplateSpec", "", ""),
    ("DaemonSet", "spec", "DaemonSetSpec", "", ""),
    ("DaemonSet", "status", "DaemonSetStatus", "", ""),
    ("DaemonSetSpec", "template", "PodTemplateSpec", "", ""),
    ("DaemonSetStatus", "conditions", "", "merge", "type"),
    ("Deployment", "spec", "DeploymentSpec", "", ""),
    ("Deployment", "status", "DeploymentStatus", "", ""),
    ("DeploymentSpec", "template", "PodTemplateSpec", "", ""),
    ("DeploymentSpec", "strategy", "", "retainKeys", ""),
    ("DeploymentStatus", "conditions", "", "merge", "type"),
    ("EphemeralContainer", "ports", "", "merge", "containerPort"),
    ("EphemeralContainer", "env", "", "merge", "name"),
    (
        "EphemeralContainer",
        "volumeMounts",
        "",
        "merge",
        "mountPath",
    ),
    (
        "EphemeralContainer",
        "volumeDevices",
        "",
        "merge",
        "devicePath",
    ),
    (
        "EphemeralVolumeSource",
        "volumeClaimTemplate",
        "PersistentVolumeClaimTemplate",
        "",
        "",
    ),
    ("Job", "spec", "JobSpec", "", ""),
    ("Job", "status", "JobStatus", "", ""),
    ("JobSpec", "template", "PodTemplateSpec", "", ""),
    ("JobStatus", "conditions", "", "merge", "type"),
    ("JobTemplateSpec", "spec", "JobSpec", "", ""),
    ("MutatingWebhook", "matchConditions", "", "merge", "name"),
    (
        "MutatingWebhookConfiguration",
        "webhooks",
        "MutatingWebhook",
        "merge",
        "name",
    ),
    ("Namespace", "status", "NamespaceStatus", "", ""),
    ("NamespaceStatus", "conditions", "", "merge", "type"),
    ("Node", "spec", "NodeSpec", "", ""),
    ("Node", "status", "NodeStatus", "", ""),
    ("NodeSpec", "podCIDRs", "", "merge", ""),
    ("NodeStatus", "conditions", "", "merge", "type"),
    ("NodeStatus", "addresses", "", "merge", "type"),
    (
        "PersistentVolumeClaim",
        "status",
        "PersistentVolumeClaimStatus",
        "",
        "",
    ),
    (
        "PersistentVolumeClaimStatus",
        "conditions",
        "",
        "merge",
        "type",
    ),
    ("Pod", "spec", "PodSpec", "", ""),
    ("Pod", "status", "PodStatus", "", ""),
    (
        "PodDisruptionBudget",
        "spec",
        "PodDisruptionBudgetSpec",
        "",
        "",
    ),
    (
        "PodDisruptionBudget",
        "status",
        "PodDisruptionBudgetStatus",
        "",
        "",
    ),
    ("PodDisruptionBudgetSpec", "selector", "", "replace", ""),
    (
        "PodDisruptionBudgetStatus",
        "conditions",
        "",
        "merge",
        "type",
    ),
    ("PodSpec", "volumes", "Volume", "merge,retainKeys", "name"),
    ("PodSpec", "initContainers", "Container", "merge", "name"),
    ("PodSpec", "containers", "Container", "merge", "name"),
    (
        "PodSpec",
        "ephemeralContainers",
        "EphemeralContainer",
        "merge",
        "name",
    ),
    ("PodSpec", "imagePullSecrets", "", "merge", "name"),
    ("PodSpec", "hostAliases", "", "merge", "ip"),
    (
        "PodSpec",
        "topologySpreadConstraints",
        "",
        "merge",
        "topologyKey",
    ),
    ("PodSpec", "schedulingGates", "", "merge", "name"),
    ("PodSpec", "resourceClaims", "", "merge,retainKeys", "name"),
    ("PodStatus", "conditions", "", "merge", "type"),
    ("PodStatus", "hostIPs", "", "merge", "ip"),
    ("PodStatus", "podIPs", "", "merge", "ip"),
    (
        "PodStatus",
        "initContainerStatuses",
        "ContainerStatus",
        "",
        "",
    ),
    ("PodStatus", "containerStatuses", "ContainerStatus", "", ""),
    (
        "PodStatus",
        "ephemeralContainerStatuses",
        "ContainerStatus",
        "",
        "",
    ),
    (
        "PodStatus",
        "resourceClaimStatuses",
        "",
        "merge,retainKeys",
        "name",
    ),
    ("PodTemplate", "template", "PodTemplateSpec", "", ""),
    ("PodTemplateSpec", "spec", "PodSpec", "", ""),
    ("ReplicaSet", "spec", "ReplicaSetSpec", "", ""),
    ("ReplicaSet", "status", "ReplicaSetStatus", "", ""),
    ("ReplicaSetSpec", "template", "PodTemplateSpec", "", ""),
    ("ReplicaSetStatus", "conditions", "", "merge", "type"),
    ("Service", "spec", "ServiceSpec", "", ""),
    ("Service", "status", "ServiceStatus", "", ""),
    ("ServiceAccount", "secrets", "", "merge", "name"),
    ("ServiceSpec", "ports", "", "merge", "port"),
    ("ServiceStatus", "conditions", "", "merge", "type"),
    ("StatefulSet", "spec", "StatefulSetSpec", "", ""),
    ("StatefulSet", "status", "StatefulSetStatus", "", ""),
    ("StatefulSetSpec", "template", "PodTemplateSpec", "", ""),
    (
        "StatefulSetSpec",
        "volumeClaimTemplates",
        "PersistentVolumeClaim",
        "",
        "",
    ),
    ("StatefulSetStatus", "conditions", "", "merge", "type"),
    ("ValidatingWebhook", "matchConditions", "", "merge", "name"),
    (
        "ValidatingWebhookConfiguration",
        "webhooks",
        "ValidatingWebhook",
        "merge",
        "name",
    ),
    ("Volume", "ephemeral", "EphemeralVolumeSource", "", ""),
];

/// How a list or map field is patched (apimachinery `strategicpatch` `mergeMap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// No tag: maps merge, lists are replaced.
    Default,
    /// `patchStrategy:"merge"`: lists merge (by `merge_key` for lists of objects).
    Merge,
    /// `patchStrategy:"replace"`: the field is replaced whole.
    Replace,
}

/// The patch metadata of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMeta {
    pub strategy: Strategy,
    /// `patchMergeKey`, empty for lists of scalars or lists without one.
    pub merge_key: &'static str,
}

/// A position in the type graph: the Go type whose fields are being patched ("" when unknown:
/// every field below it has the default strategy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    rows: &'static [Row],
    ty: &'static str,
}

impl Schema {
    /// The schema of a served kind's object (the Go type is named like the kind; the
    /// `/scale` subresource is `Scale`).
    pub fn for_kind(kind: &str) -> Self {
        Self::within(ROWS, kind)
    }

    /// The schema of Go type `ty` in another table (the tests' copy of apimachinery's test type).
    pub(super) fn within(rows: &'static [Row], ty: &str) -> Self {
        let ty = rows.iter().map(|r| r.0).find(|t| *t == ty).unwrap_or("");
        Self { rows, ty }
    }

    /// Go type name, for error messages.
    pub fn name(&self) -> &'static str {
        self.ty
    }

    /// The schema of `field` (of its items, for a list) and the field's patch metadata.
    pub fn field(&self, field: &str) -> (Schema, FieldMeta) {
        let rows = self.rows;
        if field == "metadata" && std::ptr::eq(rows, ROWS) {
            return (
                Schema {
                    rows,
                    ty: "ObjectMeta",
                },
                DEFAULT,
            );
        }
        let Some(&(_, _, child, tag, key)) = rows
            .iter()
            .find(|r| r.0 == self.ty && r.1 == field && !self.ty.is_empty())
        else {
            return (Schema { rows, ty: "" }, DEFAULT);
        };
        (
            Schema { rows, ty: child },
            FieldMeta {
                strategy: parse_tag(tag),
                merge_key: key,
            },
        )
    }
}

const DEFAULT: FieldMeta = FieldMeta {
    strategy: Strategy::Default,
    merge_key: "",
};

/// A `patchStrategy` tag: "retainKeys" only changes how clients compute patches (they add a
/// `$retainKeys` directive, which the merge honours wherever it appears), so it is dropped
/// here as apimachinery's `extractRetainKeysPatchStrategy` does.
fn parse_tag(tag: &str) -> Strategy {
    match tag.split(',').find(|s| *s != "retainKeys") {
        Some("merge") => Strategy::Merge,
        Some("replace") => Strategy::Replace,
        _ => Strategy::Default,
    }
}

/// Every (kind-independent) row, for the tests that check the table against the brief.
#[cfg(test)]
pub(super) fn rows() -> &'static [Row] {
    ROWS
}
