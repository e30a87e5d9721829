//! The `evaluate` command at its edges: a reader that stops early (`evaluate --json | head`)
//! ends the command quietly, and a policy named twice is one row.

use std::io::Read;
use std::process::{Command, Stdio};

fn evaluate(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rightsize-sim"));
    cmd.arg("evaluate")
        .arg("--traces")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/traces"))
        .args(args);
    cmd
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let mut child = evaluate(&["--json", "--per-workload"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then hang up, as `head -c 1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(&first, b"{");
}

#[test]
fn a_policy_named_twice_is_one_row() {
    let out = evaluate(&["--policy", "vpa", "--policy", "static", "--policy", "vpa"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    // Each section of the table has one row per policy.
    let rows = |p: &str| {
        table
            .lines()
            .filter(|l| l.starts_with(&format!("{p} ")))
            .count()
    };
    assert!(rows("static") > 0, "{table}");
    assert_eq!(rows("vpa"), rows("static"), "{table}");
}
