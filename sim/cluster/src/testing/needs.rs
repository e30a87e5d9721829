//! What a test needs from outside the checkout (a tool on PATH such as kubectl, a folder such as
//! the development set `../shared/traces`), and the one rule for when it is missing: a test never
//! passes by skipping. When `CI` is set (CI runs with `CI=true`) a missing need fails the test;
//! without `CI` the test prints loudly what it skipped and why, and returns.

/// Whether `CI` is set to anything but an empty string or `false`/`0`.
pub fn in_ci() -> bool {
    ci_is_set(std::env::var("CI").ok().as_deref())
}

/// The reading of the `CI` variable's value: unset, empty, `0` and `false` mean "not CI".
fn ci_is_set(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// `true` when the need is `present`. Otherwise: fails the test under CI; without CI prints a
/// loud notice that `what` was skipped because `need` is missing, and returns `false`, so the
/// caller returns:
///
/// ```no_run
/// # use rightsize_sim_cluster::testing::needs;
/// let dir = std::path::Path::new("../shared/traces");
/// if !needs::require(dir.is_dir(), "../shared/traces (the development set)", "the conformance test") {
///     return;
/// }
/// ```
#[track_caller]
pub fn require(present: bool, need: &str, what: &str) -> bool {
    match decide(present, in_ci(), need, what) {
        Decision::Run => true,
        Decision::Fail(message) => panic!("{message}"),
        Decision::Skip(notice) => {
            // Straight to stderr, past the test harness's capture, so it shows though the test
            // passes.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
            false
        }
    }
}

/// Whether the tool `program` runs: `program <args>` starts and exits 0 (e.g. `kubectl version
/// --client`, `python3 --version`).
pub fn tool_runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What [`require`] does about a need.
#[derive(Debug, PartialEq)]
enum Decision {
    Run,
    Fail(String),
    Skip(String),
}

fn decide(present: bool, ci: bool, need: &str, what: &str) -> Decision {
    if present {
        Decision::Run
    } else if ci {
        Decision::Fail(format!(
            "CI is set and {need} is missing: {what} cannot run (see README, \"What the tests need\")"
        ))
    } else {
        Decision::Skip(format!(
            "\n*** SKIPPED: {need} is missing; {what} did not run (it fails when CI is set) ***\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_counts_as_set_unless_empty_zero_or_false() {
        for on in ["true", "1", "yes", " true "] {
            assert!(ci_is_set(Some(on)), "{on:?}");
        }
        for off in [None, Some(""), Some("0"), Some("false"), Some(" ")] {
            assert!(!ci_is_set(off), "{off:?}");
        }
    }

    #[test]
    fn a_present_need_runs_in_and_out_of_ci() {
        assert_eq!(decide(true, true, "kubectl", "t"), Decision::Run);
        assert_eq!(decide(true, false, "kubectl", "t"), Decision::Run);
    }

    #[test]
    fn a_missing_need_fails_under_ci_naming_need_and_test() {
        let Decision::Fail(m) = decide(false, true, "kubectl (on PATH)", "the kubectl test") else {
            panic!("not a failure");
        };
        assert!(m.contains("kubectl (on PATH) is missing") && m.contains("the kubectl test"));
    }

    #[test]
    fn a_missing_need_outside_ci_is_skipped_with_a_loud_notice() {
        let Decision::Skip(n) = decide(false, false, "../shared/traces", "the conformance test")
        else {
            panic!("not a skip");
        };
        assert!(n.contains("*** SKIPPED: ../shared/traces is missing; the conformance test"));
    }

    #[test]
    fn a_tool_that_is_not_installed_does_not_run() {
        assert!(!tool_runs("rightsize-no-such-tool", &["--version"]));
    }
}
