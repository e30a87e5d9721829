//! `rightsize-sim history load` against the simulated cluster: the bundled traces become
//! Deployment profiles in the history store (its namespace created on the way), readable by the
//! webhook's HistoryView; loading twice changes nothing.

use std::path::PathBuf;
use std::time::Duration;

use rightsize_history::{HistoryMetrics, HistoryView};
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_sim::history::{HistoryArgs, HistoryCommand, LoadArgs};
use rightsize_sim_cluster::{SimCluster, SimConfig};

fn traces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/traces")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_load_writes_one_deployment_profile_per_trace_workload() {
    let sim = SimCluster::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let args = LoadArgs {
        traces: traces(),
        namespace: "shop".into(),
        container: "app".into(),
        kubeconfig,
        history_namespace: "rightsize-system".into(),
        keep_timestamps: false,
    };
    let mut out = Vec::new();
    args.run(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("wrote 3 workloads"), "{text}");

    let view = HistoryView::start(
        sim.client().unwrap(),
        "rightsize-system",
        HistoryMetrics::default(),
    );
    tokio::time::timeout(Duration::from_secs(20), view.ready())
        .await
        .unwrap();
    for name in [
        "bitbrains-2013-7-vm014",
        "nezha-adservice",
        "nezha-cartservice",
    ] {
        let w = WorkloadRef::new("shop", WorkloadKind::Deployment, name);
        let h = view
            .get_workload(&w)
            .unwrap_or_else(|| panic!("{} missing", w.key()));
        let p = h.container("app").expect("container app");
        assert!(p.hours_observed() > 0);
        assert!(p.replica_hours() >= p.hours_observed());
    }
    assert!(
        view.get_workload(&WorkloadRef::new(
            "other",
            WorkloadKind::Deployment,
            "nezha-adservice"
        ))
        .is_none()
    );

    // A second load merges into the same entries (slot-wise maximum): nothing grows.
    let before = view.len();
    let mut out = Vec::new();
    let args2 = LoadArgs {
        kubeconfig: dir.path().join("kubeconfig"),
        ..args
    };
    args2.run(&mut out).await.unwrap();
    assert_eq!(view.len(), before);
}

#[test]
fn the_subcommand_parses_as_documented() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        c: Sub,
    }
    #[derive(clap::Subcommand)]
    enum Sub {
        History(HistoryArgs),
    }
    let cli = Cli::try_parse_from([
        "rightsize-sim",
        "history",
        "load",
        "--traces",
        "t",
        "--namespace",
        "shop",
        "--kubeconfig",
        "k",
    ])
    .unwrap();
    let Sub::History(HistoryArgs {
        command: HistoryCommand::Load(a),
    }) = cli.c;
    assert_eq!(
        (a.container.as_str(), a.history_namespace.as_str()),
        ("app", "rightsize-system")
    );
    assert!(!a.keep_timestamps);
}
