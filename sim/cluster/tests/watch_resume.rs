//! Watch resumption as the real server answers it: a watch from a resourceVersion older than the
//! oldest event the server holds, including one from before this server started (another run's),
//! gets HTTP 200 and then an ERROR event carrying a 410 `Expired` Status; kube-rs's `watcher`
//! then re-lists. Shown across a restart of the server on the same address.

mod common;

use common::{start, start_with};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use rightsize_sim_cluster::SimConfig;
use rightsize_sim_cluster::testing::WAIT;
use serde_json::json;

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}})).unwrap()
}

#[tokio::test]
async fn watch_from_a_version_before_the_server_started_gets_410_expired_after_200() {
    // A version from an earlier run of the server.
    let earlier = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(earlier.client().unwrap());
    let old = cms
        .create(&PostParams::default(), &cm("old"))
        .await
        .unwrap();
    let old_rv = old.metadata.resource_version.unwrap();
    drop(earlier);

    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client().unwrap());
    cms.create(&PostParams::default(), &cm("new"))
        .await
        .unwrap();
    // `Api::watch` fails on a non-2xx answer, so getting a stream at all is the HTTP 200.
    let mut stream = cms
        .watch(&WatchParams::default(), &old_rv)
        .await
        .expect("HTTP 200")
        .boxed();
    let first = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("stream open")
        .expect("a decodable event");
    match first {
        WatchEvent::Error(e) => {
            assert_eq!((e.code, e.reason.as_str()), (410, "Expired"), "{e:?}");
            assert!(e.message.contains("too old resource version"), "{e:?}");
        }
        other => panic!("expected an ERROR event with 410, got {other:?}"),
    }
}

#[tokio::test]
async fn watcher_relists_when_the_server_restarts_with_new_versions() {
    let mut first = start().await;
    let addr = first.addr();
    let client = first.client().unwrap();
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    cms.create(&PostParams::default(), &cm("before-restart"))
        .await
        .unwrap();
    let mut events = watcher(cms.clone(), watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut names = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, events.next())
            .await
            .expect("in time")
        {
            Some(Ok(watcher::Event::InitApply(c))) => names.push(c.metadata.name.unwrap()),
            Some(Ok(watcher::Event::InitDone)) => break,
            _ => {}
        }
    }
    assert!(names.contains(&"before-restart".to_string()));

    // The server restarts on the same address with fresh state: the watcher's next watch
    // resumes from a version of the previous run, is told 410 Expired, and re-lists.
    first.stop().await;
    let second = start_with(SimConfig {
        listen: addr,
        ..SimConfig::default()
    })
    .await;
    let cms2: Api<ConfigMap> = Api::default_namespaced(second.client().unwrap());
    cms2.create(&PostParams::default(), &cm("after-restart"))
        .await
        .unwrap();
    let mut relisted = false;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watcher never re-listed after the restart"
        );
        match tokio::time::timeout(WAIT, events.next())
            .await
            .expect("in time")
        {
            Some(Ok(watcher::Event::Init)) => relisted = true,
            Some(Ok(watcher::Event::InitApply(c)))
                if relisted && c.metadata.name.as_deref() == Some("after-restart") =>
            {
                break;
            }
            _ => {}
        }
    }
}
