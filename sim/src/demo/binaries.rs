//! The real rightsize binaries the demo runs as child processes: found beside the running
//! `rightsize-sim` (same target directory and profile, which is where `cargo run` puts them),
//! built with cargo when missing, started with deploy/'s environment and stopped with SIGTERM as
//! the kubelet would stop their containers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The binaries the demo runs, by package (each package's binary has its name).
pub const BINARIES: [&str; 3] = [
    "rightsize-certs",
    "rightsize-webhook",
    "rightsize-controller",
];
/// How long a child gets between SIGTERM and SIGKILL (deploy/'s SHUTDOWN_GRACE_SECONDS is 10).
const STOP_GRACE: Duration = Duration::from_secs(12);

/// The directory holding the binaries: `dir` if given, else the running executable's directory.
/// Missing binaries are built with `cargo build` of the same profile when this executable lives
/// in a cargo target directory, else the error says what to build.
pub fn locate(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the running executable")?;
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => exe
            .parent()
            .context("the running executable has no directory")?
            .to_path_buf(),
    };
    let missing: Vec<&str> = BINARIES
        .into_iter()
        .filter(|b| !dir.join(b).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(dir);
    }
    let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_target = dir.parent().is_some_and(|p| {
        p.file_name().is_some_and(|n| n == "target") || p.join("CACHEDIR.TAG").is_file()
    });
    let build = format!(
        "cargo build{} {}",
        if profile == "release" {
            " --release"
        } else {
            ""
        },
        missing
            .iter()
            .map(|b| format!("-p {b}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if !in_target || !(profile == "debug" || profile == "release") {
        bail!(
            "{} missing in {}: build them ({build}) and pass --bin-dir DIR",
            missing.join(", "),
            dir.display()
        );
    }
    println!("building {} ({build}) ...", missing.join(", "));
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.arg("build");
    if profile == "release" {
        cmd.arg("--release");
    }
    for b in &missing {
        cmd.args(["-p", b]);
    }
    // Same target directory as this executable, whatever the caller's environment says.
    if let Some(target) = dir.parent() {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    let status = cmd
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .status()
        .with_context(|| format!("running `{build}`"))?;
    if !status.success() {
        bail!("`{build}` failed ({status})");
    }
    Ok(dir)
}

/// A running child process; killed if dropped without [`Proc::stop`].
pub struct Proc {
    pub name: String,
    child: Child,
    pub log: PathBuf,
}

impl Proc {
    /// Start `bin` from `dir` with `args` and exactly `env` (plus PATH), output written to
    /// `log_dir/name.log`. Its own process group: a Ctrl-C in the terminal reaches the demo,
    /// which stops it in order.
    pub fn start(
        dir: &Path,
        bin: &str,
        name: &str,
        args: &[String],
        env: &BTreeMap<String, String>,
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        let log = log_dir.join(format!("{name}.log"));
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = Command::new(dir.join(bin))
            .args(args)
            .env_clear()
            .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
            .envs(env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", dir.join(bin).display()))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log,
        })
    }

    /// Wait for a one-shot child (rightsize-certs) to finish successfully.
    pub fn wait_success(mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if status.success() {
                    return Ok(());
                }
                bail!("{} failed ({status}); its log: {}", self.name, self.tail());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not finish in {timeout:?}; its log: {}",
                    self.name,
                    self.tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Still running? An exited child is an error naming its log.
    pub fn check(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => bail!("{} exited ({status}); its log: {}", self.name, self.tail()),
        }
    }

    /// SIGTERM, then SIGKILL after [`STOP_GRACE`]. Returns whether it exited cleanly.
    pub fn stop(mut self) -> bool {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status.success();
        }
        // std has no way to send SIGTERM (unsafe_code is forbidden here): kill(1) does.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }

    /// Log lines that report an API call refused by RBAC (HTTP 403 `Forbidden`): a grant
    /// deploy/ is missing.
    pub fn forbidden_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("forbidden") || l.contains("Forbidden"))
            .map(str::to_owned)
            .collect()
    }

    /// The last lines of the log, for an error message.
    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("{}\n{tail}", self.log.display())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
