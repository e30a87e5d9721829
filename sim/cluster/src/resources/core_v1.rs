//! The core group's rows (`/api/v1`, group `""`): what `kubectl api-resources` lists for the
//! core kinds the sim serves, in discovery order. Data only; lookups are in the parent module.
//! Names, short names and subresources follow kubernetes `pkg/registry/core/*` (`rest`,
//! `storage`); extra selectable fields follow each strategy's `SelectableFields`.

use super::{RW, ResourceDef};

/// Field selector labels of Pods besides name and namespace (`pkg/registry/core/pod/strategy.go`).
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
/// Field selector labels of Events (`pkg/registry/core/event/strategy.go`); `events.k8s.io`
/// Events share them (and their storage).
pub(super) const EVENT_FIELDS: &[&str] = &[
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

/// The core/v1 kinds.
pub(super) static CORE: &[ResourceDef] = &[
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
];
