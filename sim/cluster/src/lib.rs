//! Embedded simulated Kubernetes cluster (DESIGN §6): not built yet.
