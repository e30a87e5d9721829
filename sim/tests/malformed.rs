//! Malformed trace directories stop the evaluation with an error naming the file and the line
//! (EVALUATION.md, "INPUT").
use std::fs;
use std::path::{Path, PathBuf};

use rightsize_sim::evaluate::cli::EvaluateArgs;
use rightsize_sim::evaluate::trace::{HEADER, TraceError, load_dir};

/// A scratch directory (tempfile's), removed on drop.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("create scratch dir"))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `DIR/<workload>/<file>`, returning its path.
    fn write(&self, workload: &str, file: &str, text: &str) -> PathBuf {
        let dir = self.0.path().join(workload);
        fs::create_dir_all(&dir).expect("create workload dir");
        let path = dir.join(file);
        fs::write(&path, text).expect("write trace");
        path
    }
}

/// A valid replica, so that a bad one is found among good ones.
fn good() -> String {
    format!("{HEADER}\n0,1,1,1\n60,1,1,1\n")
}

fn load_error(dir: &Path) -> String {
    match load_dir(dir) {
        Ok(_) => panic!("{} loaded although malformed", dir.display()),
        Err(e) => e.to_string(),
    }
}

fn expect_error(bad_text: &str, line: usize, wanted: &str) {
    let scratch = Scratch::new();
    scratch.write("app-a", "r0.csv", &good());
    let bad = scratch.write("app-b", "r1.csv", bad_text);
    let message = load_error(scratch.path());
    let prefix = format!("{}:{line}: ", bad.display());
    assert!(
        message.starts_with(&prefix),
        "`{message}` should start with `{prefix}`"
    );
    assert!(
        message.contains(wanted),
        "`{message}` should say `{wanted}`"
    );
}

#[test]
fn missing_column_names_file_and_line() {
    expect_error(
        "timestamp_s,usage_bytes,provisioned_bytes\n0,1,1\n",
        1,
        "missing column peak_bytes",
    );
    expect_error(
        &format!("{HEADER}\n0,1,1,1\n60,1,1\n"),
        3,
        "expected 4 fields",
    );
}

#[test]
fn non_numeric_field_names_file_line_and_column() {
    expect_error(
        &format!("{HEADER}\n0,1,1,1\n60,12MB,1,1\n"),
        3,
        "usage_bytes `12MB` is not a non-negative decimal integer",
    );
}

#[test]
fn unsorted_timestamps_name_file_and_line() {
    expect_error(
        &format!("{HEADER}\n0,1,1,1\n120,1,1,1\n60,1,1,1\n"),
        4,
        "timestamp 60 is not after 120 (line 3)",
    );
}

#[test]
fn empty_file_names_file_and_line() {
    expect_error("", 1, "empty file");
    expect_error(&format!("{HEADER}\n\n"), 3, "no data row");
}

#[test]
fn other_files_and_csv_less_directories_are_ignored() {
    let scratch = Scratch::new();
    scratch.write("app-a", "r0.csv", &good());
    scratch.write("app-a", "notes.txt", "not a trace");
    scratch.write("empty-dir", "README", "no csv here");
    fs::write(scratch.path().join("REFERENCE.json"), "{}").expect("write");
    let workloads = load_dir(scratch.path()).expect("loads");
    assert_eq!(workloads.len(), 1);
    assert_eq!(workloads[0].replicas.len(), 1);
}

#[test]
fn directory_without_workloads_is_an_error() {
    let scratch = Scratch::new();
    assert!(matches!(
        load_dir(scratch.path()),
        Err(TraceError::NoWorkloads { .. })
    ));
}

#[test]
fn evaluate_command_reports_the_trace_error() {
    let scratch = Scratch::new();
    let bad = scratch.write("app-a", "r0.csv", &format!("{HEADER}\n0,1,x,1\n"));
    let mut args = EvaluateArgs::for_traces(scratch.path());
    args.policies = vec!["static".to_owned()];
    let message = args.run(&mut Vec::new()).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("{}:2: peak_bytes `x`", bad.display())),
        "{message}"
    );
}
