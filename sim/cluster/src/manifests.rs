//! Kubernetes manifests (multi-document YAML, as in deploy/) read into JSON objects and created
//! in a simulated cluster as the administrator, so tests and the demo install the project's own
//! ServiceAccounts, RBAC and Services rather than hand-written copies.

use std::path::Path;

use serde_json::Value;

use crate::cluster::SimCluster;
use crate::error::Error;
use crate::resources;
use crate::util;

/// The objects of a multi-document YAML text (empty documents and comments skipped).
pub fn parse(yaml: &str, origin: &str) -> Result<Vec<Value>, Error> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).map_err(|e| Error::Manifest {
        path: origin.to_string(),
        reason: e.to_string(),
    })?;
    Ok(docs.into_iter().filter(|d| d.is_object()).collect())
}

/// The objects of the YAML file at `path`.
pub fn read(path: &Path) -> Result<Vec<Value>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Manifest {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    parse(&text, &path.display().to_string())
}

impl SimCluster {
    /// Create `objects` as the administrator, namespaced ones without a namespace in
    /// `default_ns` (as `kustomize`'s `namespace:` or `kubectl create -n` would place them).
    pub async fn create_objects(&self, objects: &[Value], default_ns: &str) -> Result<(), Error> {
        for obj in objects {
            let av = util::str_at(obj, "apiVersion");
            let kind = util::str_at(obj, "kind");
            let name = util::str_at(obj, "metadata.name");
            let what = format!("{kind} {name:?}");
            let def = resources::all()
                .find(|r| r.api_version() == av && r.kind == kind && !r.is_virtual())
                .ok_or_else(|| Error::CreateObject {
                    what: what.clone(),
                    reason: format!("{av} {kind} is not served by the simulated cluster"),
                })?;
            let ns = match util::str_at(obj, "metadata.namespace") {
                "" if def.namespaced => default_ns,
                ns => ns,
            };
            self.state()
                .create(def, ns, obj.clone())
                .await
                .map_err(|e| Error::CreateObject {
                    what,
                    reason: e.message,
                })?;
        }
        Ok(())
    }

    /// [`read`] each file and [`Self::create_objects`] its objects of the kinds in `only`
    /// (every kind if empty), in order: e.g. deploy/base/webhook.yaml's Service without its
    /// Deployment.
    pub async fn create_from_files(
        &self,
        paths: &[&Path],
        only: &[&str],
        default_ns: &str,
    ) -> Result<(), Error> {
        for path in paths {
            let objects: Vec<Value> = read(path)?
                .into_iter()
                .filter(|o| only.is_empty() || only.contains(&util::str_at(o, "kind")))
                .collect();
            self.create_objects(&objects, default_ns).await?;
        }
        Ok(())
    }
}

/// The kinds [`SimCluster::install_rbac`] installs.
pub const RBAC_KINDS: [&str; 5] = [
    "ServiceAccount",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
];

impl SimCluster {
    /// Create the objects of the kinds in `only` that a kustomization directory lists (its
    /// `resources:` files, in order, placed in its `namespace:` as `kubectl apply -k` would
    /// place them). File resources are read, and directory resources as bases with their own
    /// kustomization; no patches or generators.
    pub async fn create_from_kustomization(&self, dir: &Path, only: &[&str]) -> Result<(), Error> {
        let path = dir.join("kustomization.yaml");
        let k = parse(
            &std::fs::read_to_string(&path).map_err(|e| Error::Manifest {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?,
            &path.display().to_string(),
        )?
        .into_iter()
        .next()
        .unwrap_or_default();
        let ns = util::str_at(&k, "namespace");
        let resources: Vec<std::path::PathBuf> = k
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|f| dir.join(f))
            .collect();
        // A directory resource is a base (deploy/ builds on deploy/base): its own kustomization.
        for base in resources.iter().filter(|p| p.is_dir()) {
            Box::pin(self.create_from_kustomization(base, only)).await?;
        }
        let refs: Vec<&Path> = resources
            .iter()
            .filter(|p| !p.is_dir())
            .map(|p| p.as_path())
            .collect();
        self.create_from_files(&refs, only, if ns.is_empty() { "default" } else { ns })
            .await
    }

    /// A kustomization's ServiceAccounts, Roles, ClusterRoles and bindings ([`RBAC_KINDS`]):
    /// what a binary running as one of those ServiceAccounts may do in this cluster, e.g.
    /// `sim.install_rbac(deploy_dir)` then `sim.service_account_client(ns, "rightsize-controller")`.
    pub async fn install_rbac(&self, kustomization_dir: &Path) -> Result<(), Error> {
        self.create_from_kustomization(kustomization_dir, &RBAC_KINDS)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_reads_as_objects() {
        let objs = parse(
            "# comment\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"pods\"]\n    verbs: [get]\n",
            "inline",
        )
        .unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[1]["rules"][0]["apiGroups"][0], "");
        assert!(parse("a: [", "bad").is_err());
    }
}
