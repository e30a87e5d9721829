//! Helpers shared by the integration tests: start a cluster, wait with a bound.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use rightsize_sim_cluster::{SimCluster, SimConfig};

/// Upper bound of every wait in these tests; generous for a loaded 2-core CI machine.
pub const WAIT: Duration = Duration::from_secs(20);

pub async fn start() -> SimCluster {
    SimCluster::start(SimConfig::default())
        .await
        .expect("sim starts")
}

pub async fn start_with(config: SimConfig) -> SimCluster {
    SimCluster::start(config).await.expect("sim starts")
}

/// Poll `f` every 50 ms until it returns `Some`, failing the test after [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `Status` of a failed kube call.
pub fn status_of<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> Box<kube::core::Status> {
    match r {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected an API error Status, got {other:?}"),
    }
}

/// Run kubectl with `<home>/kubeconfig` and `$HOME` in `home` ([`kubectl::run`]) off the
/// async runtime's worker threads.
pub async fn kubectl_in(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kubectl::run(&home.join("kubeconfig"), &home, &args)
    })
    .await
    .expect("kubectl task")
}

pub mod kubectl;
pub mod needs;
