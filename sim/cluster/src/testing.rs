//! Test support shared by the integration tests of every crate (Cargo feature `test-support`,
//! enabled only through dev-dependencies): the one bounded polling helper ([`eventually`] and its
//! variants), the one rule for what a test needs from outside the checkout ([`needs`]: a missing
//! tool or file fails the test when `CI` is set, and is skipped loudly otherwise), the one
//! way tests drive the real kubectl ([`kubectl`]), and a stand-in HTTPS admission webhook
//! ([`webhook`]). Each used to be copied into several test trees;
//! a fix to any of them (a longer bound for a loaded CI machine, a clearer skip notice) now
//! reaches every test.
//!
//! Nothing here is used by the simulated cluster itself, so the feature adds no dependency.

pub mod fixtures;
pub mod kubectl;
pub mod needs;
pub mod webhook;

use std::future::Future;
use std::time::Duration;

/// Upper bound of every wait in the tests: generous, because CI runs them on a loaded 2-core
/// machine (several test binaries at once, each with its own simulated cluster). A bound, not a
/// timing assertion: a correct test never gets near it.
pub const WAIT: Duration = Duration::from_secs(30);

/// A loopback address with a port free right now, for a process a test or bench starts (it
/// binds the port itself a moment later).
pub fn free_local_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// How often the polling helpers ask again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Poll `f` every [`POLL_INTERVAL`] until it returns `Some`, failing the test after [`WAIT`]
/// with "timed out … waiting for `what`".
pub async fn eventually<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(WAIT, what, f).await
}

/// [`eventually`] with another bound (a scenario that knowingly takes longer than [`WAIT`]).
pub async fn eventually_within<T, F, Fut>(wait: Duration, what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match poll(wait, f).await {
        Some(v) => v,
        None => panic!("timed out after {wait:?} waiting for {what}"),
    }
}

/// Poll `f` every [`POLL_INTERVAL`] until it returns `Some`; `None` once `wait` has passed (for a
/// caller that adds its own diagnostics to the failure, e.g. a child process's log).
pub async fn poll<T, F, Fut>(wait: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The first object listing `api` with `params` returns, waiting (up to [`WAIT`]) for one to
/// appear (a controller's ReplicaSet, Job or pod, an Event); a failed list is asked again.
pub async fn first_listed<K>(api: &kube::Api<K>, params: &kube::api::ListParams, what: &str) -> K
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    eventually(what, || async {
        api.list(params).await.ok()?.items.into_iter().next()
    })
    .await
}

/// [`eventually_within`] for synchronous tests (no async runtime): sleeps the thread between
/// polls.
#[track_caller]
pub fn eventually_blocking<T>(wait: Duration, what: &str, f: impl FnMut() -> Option<T>) -> T {
    match poll_blocking(wait, f) {
        Some(v) => v,
        None => panic!("timed out after {wait:?} waiting for {what}"),
    }
}

/// [`poll`] for synchronous tests: `None` once `wait` has passed.
pub fn poll_blocking<T>(wait: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn eventually_returns_the_first_some_after_retrying() {
        let mut calls = 0;
        let got = eventually("the third call", || {
            calls += 1;
            std::future::ready((calls == 3).then_some(calls))
        })
        .await;
        assert_eq!((got, calls), (3, 3));
    }

    #[tokio::test]
    async fn poll_gives_up_once_the_bound_has_passed() {
        let mut calls = 0u32;
        let got: Option<()> = poll(Duration::from_millis(100), || {
            calls += 1;
            std::future::ready(None)
        })
        .await;
        assert_eq!(got, None);
        assert!(calls >= 1, "asked at least once before giving up");
    }

    #[tokio::test]
    #[should_panic(expected = "timed out after 100ms waiting for a pod that never comes")]
    async fn eventually_within_fails_naming_what_it_waited_for() {
        eventually_within(Duration::from_millis(100), "a pod that never comes", || {
            std::future::ready(None::<()>)
        })
        .await;
    }

    #[tokio::test]
    async fn first_listed_waits_for_an_object_to_appear() {
        let sim = crate::SimCluster::start(crate::SimConfig::default())
            .await
            .unwrap();
        let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(sim.client().unwrap(), "default");
        let late: k8s_openapi::api::core::v1::ConfigMap = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "late", "labels": {"made": "late"}}}),
        )
        .unwrap();
        let writer = api.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            writer.create(&Default::default(), &late).await.unwrap();
        });
        let params = kube::api::ListParams::default().labels("made=late");
        let got = first_listed(&api, &params, "the late ConfigMap").await;
        assert_eq!(got.metadata.name.as_deref(), Some("late"));
    }

    #[test]
    fn poll_blocking_retries_then_gives_up() {
        let mut calls = 0;
        let got = poll_blocking(Duration::from_secs(5), || {
            calls += 1;
            (calls == 2).then_some("second")
        });
        assert_eq!(got, Some("second"));
        assert_eq!(poll_blocking(Duration::ZERO, || None::<()>), None);
    }

    #[test]
    #[should_panic(expected = "timed out after 0ns waiting for an exit")]
    fn eventually_blocking_fails_naming_what_it_waited_for() {
        eventually_blocking(Duration::ZERO, "an exit", || None::<()>);
    }
}
