//! Admission as the API server runs it, one scenario group a module, in one test binary (each
//! file directly in `tests/` is a binary of its own, linked separately: build time on a 2-core
//! machine). Mutating webhooks are real HTTPS servers (`webhook_server`) registered through
//! MutatingWebhookConfigurations; LimitRange and ResourceQuota are the API server's own
//! admission plugins.

#[path = "../common/mod.rs"]
mod common;

/// Failed calls under failurePolicy Ignore and Fail; denials and bad patches.
mod failure_policy;
/// LimitRanger and ResourceQuota admission.
mod limits_and_quota;
/// Mutation of a Deployment's pods, the request as the webhook sees it, namespaceSelector.
mod mutation;
/// The `patch` shapes accepted and refused.
mod patch_shapes;
/// Webhooks reached through `clientConfig.service`: TLS against the Service's DNS name.
mod service;
/// The test webhooks, their CA and their configuration.
mod webhook_server;
