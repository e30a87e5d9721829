//! The certificate state machine: from what the Secret holds, whether the caBundle already
//! publishes its CAs, and the time, decide the one step to take ([`plan`]), then compute the
//! Secret contents after that step ([`execute`]). Pure: no I/O, the clock is an argument.
//!
//! ```text
//!  Missing / Unusable ──Create──► Steady (bundle [CA1], serving from CA1)
//!  Steady ──serving expires within renew-before──► IssueServing (same CA) ──► Steady
//!  Steady ──CA1 expires within renew-before──► AddCa: bundle [CA1, CA2], serving still CA1
//!  ──(bundle published, settle elapsed)──► SwitchServing: serving from CA2
//!  ──(settle elapsed)──► DropOldCas: bundle [CA2] ──► Steady
//! ```
//!
//! No step leaves the API server unable to verify what the webhook serves: a new CA is trusted
//! (published) before anything is signed with it, and the old CA stays trusted until the webhook
//! has had `settle` to load the new serving pair. Each step is a separate run, spaced by the
//! schedule and at least `settle` apart. A Secret that cannot be used is replaced, keeping the
//! CAs of its bundle that are still valid so the pair in use keeps verifying meanwhile.

use std::time::SystemTime;

use crate::error::CertError;
use crate::material::{self, CertInfo, KeyedCert};
use crate::spec::CertSpec;
use crate::state::{CertState, Contents, Material};

/// The reason of a scheduled serving-certificate renewal (any other reason is a repair).
pub const RENEWAL_DUE: &str = "the serving certificate expires within the renewal window";

/// The one step a run takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Start over: a new CA, appended to the still-valid CAs worth keeping, and a serving
    /// certificate from it.
    Create { reason: String },
    /// A new serving certificate from the current CA; the bundle does not change.
    IssueServing { reason: String },
    /// Rotation step 1: a new CA joins the bundle and becomes the signing CA; serving unchanged.
    AddCa,
    /// Rotation step 2: the serving certificate is re-issued by the new CA.
    SwitchServing,
    /// Rotation step 3: CAs other than the current one leave the bundle.
    DropOldCas,
    /// A rotation step is due but must wait (for the caBundle to be published, or for `until`).
    Wait {
        reason: String,
        until: Option<SystemTime>,
    },
    /// Everything is valid for longer than renew-before.
    Keep,
}

impl Plan {
    /// Whether the step rewrites the Secret.
    pub fn writes_secret(&self) -> bool {
        !matches!(self, Plan::Wait { .. } | Plan::Keep)
    }
}

/// Whether `settle` has passed since the last step (an unknown last step counts as long ago).
fn settled(m: &Material, spec: &CertSpec, now: SystemTime) -> Result<(), SystemTime> {
    match m.last_change.map(|t| t + spec.settle) {
        Some(until) if now < until => Err(until),
        _ => Ok(()),
    }
}

/// Decide the next step. `bundle_published`: every webhook of the configuration carries exactly
/// the Secret's `ca.crt`.
pub fn plan(state: &CertState, bundle_published: bool, spec: &CertSpec, now: SystemTime) -> Plan {
    let m = match state {
        CertState::Missing => {
            return Plan::Create {
                reason: "the Secret does not exist".into(),
            };
        }
        CertState::Unusable { reason, .. } => {
            return Plan::Create {
                reason: reason.clone(),
            };
        }
        CertState::Usable(m) => m,
    };
    let ca = m.current_ca();
    if ca.expired_at(now) {
        return Plan::Create {
            reason: "the CA has expired".into(),
        };
    }
    let serving = match &m.serving {
        Err(reason) => {
            return Plan::IssueServing {
                reason: reason.clone(),
            };
        }
        Ok(s) => s,
    };
    let wait = |reason: &str, until| Plan::Wait {
        reason: reason.into(),
        until,
    };
    if serving.issuer != m.current {
        if !bundle_published {
            return wait("the new CA is not yet in the caBundle", None);
        }
        return match settled(m, spec, now) {
            Err(until) => wait("the new CA bundle is settling", Some(until)),
            Ok(()) => Plan::SwitchServing,
        };
    }
    if m.bundle.len() > 1 {
        return match settled(m, spec, now) {
            Err(until) => wait("the new serving certificate is settling", Some(until)),
            Ok(()) => Plan::DropOldCas,
        };
    }
    if !ca.valid_beyond(now, spec.renew_before) {
        return Plan::AddCa;
    }
    if !serving.info.valid_beyond(now, spec.renew_before) {
        return Plan::IssueServing {
            reason: RENEWAL_DUE.into(),
        };
    }
    Plan::Keep
}

fn parsed_ca(ca: &KeyedCert) -> CertInfo {
    material::parse_certs(ca.cert_pem.as_bytes())
        .expect("rcgen output parses")
        .remove(0)
}

/// Carry out `plan`, which must come from [`plan`] on the same `state`; `None` for the steps
/// that write nothing.
pub fn execute(
    plan: &Plan,
    state: &CertState,
    spec: &CertSpec,
    now: SystemTime,
) -> Result<Option<Contents>, CertError> {
    let issue = |ca: &KeyedCert, ca_info: &CertInfo| {
        material::issue_serving(spec, ca, ca_info.not_after, now)
    };
    let contents = match (plan, state) {
        (Plan::Wait { .. } | Plan::Keep, _) => return Ok(None),
        (Plan::Create { .. }, _) => {
            let mut bundle = match state {
                CertState::Unusable { keep, .. } => keep.clone(),
                CertState::Usable(m) => (m.bundle.iter())
                    .filter(|c| !c.expired_at(now))
                    .cloned()
                    .collect(),
                CertState::Missing => Vec::new(),
            };
            let ca = material::generate_ca(spec, now)?;
            let info = parsed_ca(&ca);
            let serving = issue(&ca, &info)?;
            bundle.push(info);
            Contents {
                bundle,
                ca_key_pem: ca.key_pem,
                serving,
            }
        }
        (Plan::IssueServing { .. } | Plan::SwitchServing, CertState::Usable(m)) => Contents {
            bundle: m.bundle.clone(),
            ca_key_pem: m.ca_key_pem.clone(),
            serving: issue(&m.current_keyed(), m.current_ca())?,
        },
        (Plan::AddCa, CertState::Usable(m)) => {
            let Ok(serving) = &m.serving else {
                unreachable!("plan adds a CA only over a valid serving pair")
            };
            let ca = material::generate_ca(spec, now)?;
            let mut bundle = m.bundle.clone();
            bundle.push(parsed_ca(&ca));
            Contents {
                bundle,
                ca_key_pem: ca.key_pem,
                serving: serving.pair.clone(),
            }
        }
        (Plan::DropOldCas, CertState::Usable(m)) => {
            let Ok(serving) = &m.serving else {
                unreachable!("plan drops CAs only over a valid serving pair")
            };
            Contents {
                bundle: vec![m.current_ca().clone()],
                ca_key_pem: m.ca_key_pem.clone(),
                serving: serving.pair.clone(),
            }
        }
        (step, _) => unreachable!("plan never yields {step:?} without a usable Secret"),
    };
    Ok(Some(contents))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
