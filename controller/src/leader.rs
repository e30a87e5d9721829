//! Leader election on a `coordination.k8s.io/v1` Lease, done directly (as client-go's
//! `leaderelection` does it) so that a standby learns of a graceful release at once: it watches
//! the Lease instead of sleeping until the old expiry (kube-lease-manager 0.13 sleeps).
//!
//! - Acquire: the Lease is absent (create), released (empty holder) or expired
//!   (`renewTime + leaseDurationSeconds` in the past): write ourselves as holder with the
//!   resourceVersion read (a compare-and-swap: of two candidates one gets 409 and stays standby).
//! - Renew every third of the duration; if no renewal has succeeded for a whole duration, or the
//!   Lease shows another holder, leadership is lost at once (the channel turns false).
//! - Release on shutdown: empty holder and a 1 s duration, as client-go's `ReleaseOnCancel`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{PostParams, WatchParams};
use kube::{Api, Client};
use tokio::sync::watch;

/// One replica's candidacy.
pub struct Candidate {
    api: Api<Lease>,
    name: String,
    identity: String,
    duration: Duration,
}

/// What the Lease says now.
enum Seen {
    Absent,
    Mine(Lease),
    Free(Lease),
    Other { expires_in: Duration },
}

impl Candidate {
    pub fn new(
        client: Client,
        namespace: &str,
        name: &str,
        identity: &str,
        duration: Duration,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            duration,
        }
    }

    fn retry(&self) -> Duration {
        self.duration / 3
    }

    fn spec(&self, previous: Option<&LeaseSpec>) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        let mine = previous.and_then(|p| p.holder_identity.as_deref()) == Some(&self.identity);
        let transitions = previous.and_then(|p| p.lease_transitions).unwrap_or(0);
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(self.duration.as_secs().max(1) as i32),
            acquire_time: if mine {
                previous.and_then(|p| p.acquire_time.clone())
            } else {
                Some(now.clone())
            },
            renew_time: Some(now),
            lease_transitions: Some(if mine { transitions } else { transitions + 1 }),
            ..LeaseSpec::default()
        }
    }

    async fn look(&self) -> Result<Seen, kube::Error> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(Seen::Absent);
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref().unwrap_or("");
        if holder == self.identity {
            return Ok(Seen::Mine(lease));
        }
        let renewed = spec.renew_time.as_ref().map_or(0, |t| t.0.as_millisecond());
        let duration_ms = i64::from(spec.lease_duration_seconds.unwrap_or(0)) * 1000;
        let left = renewed + duration_ms - Timestamp::now().as_millisecond();
        if holder.is_empty() || left <= 0 {
            Ok(Seen::Free(lease))
        } else {
            Ok(Seen::Other {
                expires_in: Duration::from_millis(left as u64),
            })
        }
    }

    /// Write ourselves as holder (create, or compare-and-swap on the version read).
    async fn claim(&self, seen: Seen) -> Result<bool, kube::Error> {
        let pp = PostParams::default();
        let r = match seen {
            Seen::Absent => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.name.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(self.spec(None)),
                };
                self.api.create(&pp, &lease).await
            }
            Seen::Mine(mut lease) | Seen::Free(mut lease) => {
                lease.spec = Some(self.spec(lease.spec.as_ref()));
                self.api.replace(&self.name, &pp, &lease).await
            }
            Seen::Other { .. } => return Ok(false),
        };
        match r {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Run until `shutdown` turns true: `leader` says whether we hold the Lease. Releases it on
    /// the way out if we hold it.
    pub async fn run(self, leader: watch::Sender<bool>, mut shutdown: watch::Receiver<bool>) {
        let mut last_renewal: Option<Instant> = None;
        let wake = tokio::sync::Notify::new();
        let watch_lease = async {
            loop {
                let wp = WatchParams::default().fields(&format!("metadata.name={}", self.name));
                match self.api.watch(&wp, "0").await {
                    Ok(stream) => {
                        let mut stream = std::pin::pin!(stream);
                        while stream.next().await.is_some() {
                            wake.notify_one();
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "lease watch failed; polling"),
                }
                tokio::time::sleep(self.retry()).await;
            }
        };
        let elect = async {
            loop {
                if *shutdown.borrow() {
                    break;
                }
                let mut pause = self.retry();
                match self.look().await {
                    Ok(Seen::Other { expires_in }) => {
                        last_renewal = None;
                        leader.send_if_modified(|l| std::mem::replace(l, false));
                        pause = pause.min(expires_in + Duration::from_millis(50));
                    }
                    Ok(seen) => match self.claim(seen).await {
                        Ok(true) => {
                            if last_renewal.is_none() {
                                tracing::info!(lease = %self.name, identity = %self.identity, "became leader");
                            }
                            last_renewal = Some(Instant::now());
                            leader.send_if_modified(|l| !std::mem::replace(l, true));
                        }
                        Ok(false) => pause = Duration::from_millis(100),
                        Err(e) => {
                            tracing::warn!(error = %e, lease = %self.name, "lease write failed")
                        }
                    },
                    Err(e) => tracing::warn!(error = %e, lease = %self.name, "lease read failed"),
                }
                // A leader whose renewals failed for a whole duration may already be replaced.
                if last_renewal.is_some_and(|t| t.elapsed() >= self.duration) {
                    tracing::warn!(lease = %self.name, "lease not renewed in time: stepping down");
                    last_renewal = None;
                    leader.send_if_modified(|l| std::mem::replace(l, false));
                }
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = wake.notified(), if !*leader.borrow() => {}
                    _ = shutdown.changed() => {}
                }
            }
        };
        tokio::select! {
            _ = elect => {}
            _ = watch_lease => {}
        }
        if *leader.borrow() {
            leader.send_replace(false);
            self.release().await;
        }
    }

    /// Give the Lease up (empty holder, 1 s duration), so that a standby takes over at once.
    async fn release(&self) {
        if let Ok(Seen::Mine(mut lease)) = self.look().await {
            if let Some(spec) = lease.spec.as_mut() {
                spec.holder_identity = None;
                spec.lease_duration_seconds = Some(1);
                spec.renew_time = Some(MicroTime(Timestamp::now()));
            }
            match self
                .api
                .replace(&self.name, &PostParams::default(), &lease)
                .await
            {
                Ok(_) => tracing::info!(lease = %self.name, "lease released"),
                Err(e) => tracing::warn!(error = %e, lease = %self.name, "lease release failed"),
            }
        }
    }
}
