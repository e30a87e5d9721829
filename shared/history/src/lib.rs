//! ConfigMap-backed history store (issue 4): not built yet.
