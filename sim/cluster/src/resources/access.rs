//! The access-control groups' rows: `rbac.authorization.k8s.io/v1` (roles and bindings),
//! `authorization.k8s.io/v1` (SelfSubjectAccessReview) and `authentication.k8s.io/v1`
//! (SelfSubjectReview, `kubectl auth whoami`). The review kinds are created and answered, never
//! stored. Data only; lookups are in the parent module. Names and verbs as `kubectl
//! api-resources` lists them on a real 1.33 server.

use super::{AUTHN_GROUP, CREATE_ONLY, RBAC_GROUP, REVIEW_GROUP, RW, ResourceDef};

/// The RBAC kinds.
pub(super) static RBAC: &[ResourceDef] = &[
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
];

/// `authorization.k8s.io/v1`: SelfSubjectAccessReview (`kubectl auth can-i`).
pub(super) static AUTHORIZATION: &[ResourceDef] = &[def!(
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
)];

/// `authentication.k8s.io/v1`: SelfSubjectReview (`kubectl auth whoami`).
pub(super) static AUTHENTICATION: &[ResourceDef] = &[def!(
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
)];
