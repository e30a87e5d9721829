//! Manifests more than one crate's tests send to a simulated cluster (the in-process one in
//! `sim/cluster/tests`, the `rightsize-sim apiserver` binary in `sim/tests`), so both scenarios
//! check the same objects.

/// A Deployment of two pods with a 100 MiB constant memory profile.
pub const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
      annotations:
        sim.rightsize.dev/memory-profile: constant:100Mi
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
";

/// Bytes past the 1 MiB ConfigMap data limit in [`big_configmap`] (and far under the API
/// server's 3 MiB request body limit, so the refusal is the ConfigMap rule's).
const OVER_LIMIT: usize = 100;

/// A ConfigMap manifest whose data is over the 1 MiB limit (and under the 3 MiB body limit).
pub fn big_configmap(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  blob: {}\n",
        "x".repeat(1024 * 1024 + OVER_LIMIT)
    )
}
