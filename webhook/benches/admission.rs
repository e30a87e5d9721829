//! Cost of the pure admission decision, without HTTP or TLS: what `/mutate` spends inside
//! `admit` per review, and with the JSON parse of the review and the serialisation of the
//! response around it. The end-to-end webhook benchmark (TLS, keep-alive, a load generator) is
//! separate; this one says how much of its latency budget the decision itself takes.
//!
//! `cargo bench -p rightsize-webhook --bench admission [-- ITERATIONS]` (default 20,000 per
//! case). Figures and the command are in `docs/BENCHMARKS.md`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Histories, NOW, deployment, load};
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionReview};
use rightsize_webhook::admission::{AdmissionConfig, AdmissionContext, admit};

/// Default number of timed calls per case.
const DEFAULT_ITERATIONS: usize = 20_000;
/// Untimed calls first, so caches and the allocator are warm.
const WARMUP: usize = 1_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let mean = total / samples.len() as u32;
    println!(
        "{name:<44} p50 {:>6.1} µs  p99 {:>6.1} µs  max {:>8.1} µs  mean {:>6.1} µs",
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        samples[samples.len() - 1].as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6,
    );
}

fn time(iterations: usize, mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..WARMUP {
        f();
    }
    (0..iterations)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn main() {
    let iterations = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS);
    // 48 hours of 300 MiB hourly peaks (the fixtures' profile shape): the policy computes its
    // quantile over every stored hour (its costly path), not its floor.
    let peak = 300.0 * 1024.0 * 1024.0;
    let histories = Histories::default().with(deployment("web"), &["app", "proxy"], peak);
    let config = AdmissionConfig::default();
    let ctx = AdmissionContext::new(&histories, &config, NOW);
    println!("admission decision, {iterations} calls per case after {WARMUP} warm-up calls");
    for fixture in [
        "deployment_pod",
        "sidecar_pod",
        "besteffort_pod",
        "mode_off_pod",
    ] {
        let req = load(fixture);
        report(
            &format!("admit({fixture})"),
            time(iterations, || {
                std::hint::black_box(admit(std::hint::black_box(&req), &ctx));
            }),
        );
    }
    let empty = Histories::default();
    let miss = AdmissionContext::new(&empty, &config, NOW);
    let req = load("deployment_pod");
    report(
        "admit(deployment_pod), no history",
        time(iterations, || {
            std::hint::black_box(admit(&req, &miss));
        }),
    );
    let body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/deployment_pod.json"),
    )
    .unwrap();
    report(
        "parse + admit + serialise (deployment_pod)",
        time(iterations, || {
            let review: AdmissionReview<DynamicObject> = serde_json::from_slice(&body).unwrap();
            let req: AdmissionRequest<DynamicObject> = review.try_into().unwrap();
            let out = admit(&req, &ctx).response.into_review();
            std::hint::black_box(serde_json::to_vec(&out).unwrap());
        }),
    );
}
