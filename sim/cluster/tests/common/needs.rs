//! What a test needs from outside the checkout (kubectl on PATH, the development set in
//! `../shared/traces`). A test never passes by skipping: when `CI` is set (CI sets `CI=true`) a
//! missing need fails the test; without `CI` the test prints loudly what it skipped and why, and
//! returns. Shared by the integration tests of `sim` and `sim/cluster` (included by path).

#![allow(dead_code)]

/// Environment variable that points the tests at another copy of the development set (also how
/// a missing one is shown failing under CI: `RIGHTSIZE_SHARED_TRACES=/nonexistent CI=true`).
pub const SHARED_TRACES_ENV: &str = "RIGHTSIZE_SHARED_TRACES";

/// Whether `CI` is set to anything but an empty string or `false`/`0`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// `true` when the need is `present`. Otherwise: panics under CI; without CI prints a loud
/// notice that `what` was skipped because `need` is missing, and returns `false`.
pub fn available(present: bool, need: &str, what: &str) -> bool {
    if present {
        return true;
    }
    assert!(
        !in_ci(),
        "CI is set and {need} is missing: {what} cannot run (see README, \"What the tests need\")"
    );
    // Straight to stderr, past the test harness's capture, so it shows though the test passes.
    let notice = format!(
        "\n*** SKIPPED: {need} is missing; {what} did not run (it fails when CI is set) ***\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    false
}
