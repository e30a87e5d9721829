//! `rightsize-sim apiserver` refuses bad flags at start: each gives a message naming the flag
//! and a non-zero exit, instead of serving an invalid node (issue 12).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a refused start may take (it should be immediate; a served cluster never exits).
const EXIT_WITHIN: Duration = Duration::from_secs(20);

/// Runs `apiserver` with `args`; returns (exit code, stderr). A process that keeps running
/// (it accepted the flags and serves) is killed and fails the test.
fn apiserver(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightsize-sim"))
        .arg("apiserver")
        .args(["--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > EXIT_WITHIN {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("apiserver {args:?} kept running instead of refusing the flag");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!kubeconfig.exists(), "a refused start writes no kubeconfig");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_apiserver_flags_stop_it_at_start_naming_the_flag() {
    let cases: [(&[&str], &str, &str); 9] = [
        (
            &["--node-memory", "lots"],
            "--node-memory",
            "not a Kubernetes quantity",
        ),
        (
            &["--node-memory", "-1Gi"],
            "--node-memory",
            "greater than zero",
        ),
        (
            &["--node-cpu", "abc"],
            "--node-cpu",
            "not a Kubernetes quantity",
        ),
        (&["--node-cpu", "-2"], "--node-cpu", "greater than zero"),
        (&["--speed", "0"], "--speed", "greater than zero"),
        (&["--speed", "-5"], "--speed", "greater than zero"),
        (&["--speed", "fast"], "--speed", "not a number"),
        (&["--nodes", "0"], "--nodes", "at least 1"),
        (&["--nodes", "-1"], "--nodes", "not a whole number"),
    ];
    for (args, flag, why) in cases {
        let (code, stderr) = apiserver(args);
        assert!(
            code.is_some_and(|c| c != 0),
            "{args:?}: exit {code:?}, {stderr}"
        );
        assert!(
            stderr.contains(flag),
            "{args:?} should name {flag}: {stderr}"
        );
        assert!(
            stderr.contains(why),
            "{args:?} should say {why:?}: {stderr}"
        );
    }
}

#[test]
fn bad_apiserver_settings_from_the_environment_are_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rightsize-sim"))
        .args(["apiserver", "--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(dir.path().join("kubeconfig"))
        .env("SIM_NODE_MEMORY", "lots")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("--node-memory"), "{stderr}");
}
