//! Memory usage of simulated containers: generators (constant, ramp, leak, diurnal, spikes,
//! startup burst) and recorded traces (`timestamp_s,usage_bytes,peak_bytes,provisioned_bytes`,
//! DESIGN §5), chosen per pod or per container through annotations:
//!
//! - `sim.rightsize.dev/memory-profile: <profile>` for every container of the pod,
//! - `sim.rightsize.dev/memory-profile.<container>: <profile>` for one container,
//! - `sim.rightsize.dev/cpu-usage: <quantity>` constant cpu usage (default: half the request).
//!
//! Profiles (sizes are quantities, durations `30s`/`10m`/`24h`/`1d` or seconds):
//! `constant:<size>`, `ramp:start=<size>,end=<size>,over=<dur>`,
//! `leak:start=<size>,rate=<size per minute>`, `diurnal:base=<size>,amplitude=<size>,period=<dur>`,
//! `spikes:base=<size>,peak=<size>,every=<dur>,duration=<dur>`,
//! `burst:peak=<size>,steady=<size>,duration=<dur>`, `trace:<path>[,column=peak_bytes]`.
//! Time is the container's age times the cluster's speed factor; a trace loops at its end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::quantity;

/// Pod annotation selecting the memory usage profile of its containers.
pub const MEMORY_PROFILE_ANNOTATION: &str = "sim.rightsize.dev/memory-profile";
/// Pod annotation setting the cpu usage of its containers (a quantity).
pub const CPU_USAGE_ANNOTATION: &str = "sim.rightsize.dev/cpu-usage";
/// Usage of a container with no profile and no memory request.
pub const FALLBACK_MEMORY: f64 = 64.0 * 1024.0 * 1024.0;

/// A memory usage generator.
#[derive(Debug, Clone, PartialEq)]
pub enum Profile {
    Constant(f64),
    Ramp {
        start: f64,
        end: f64,
        over: f64,
    },
    Leak {
        start: f64,
        per_second: f64,
    },
    Diurnal {
        base: f64,
        amplitude: f64,
        period: f64,
    },
    Spikes {
        base: f64,
        peak: f64,
        every: f64,
        duration: f64,
    },
    Burst {
        peak: f64,
        steady: f64,
        duration: f64,
    },
    Trace(Samples),
}

fn size(s: &str) -> Result<f64, String> {
    quantity::parse(s.trim())
        .map(|q| q.value() as f64)
        .ok_or_else(|| format!("{s:?} is not a quantity"))
}

/// `30s`, `10m`, `24h`, `1d`, or plain seconds ([`crate::duration::parse_secs`]).
pub fn duration_secs(s: &str) -> Result<f64, String> {
    crate::duration::parse_secs(s).ok_or_else(|| format!("{s:?} is not a duration"))
}

/// Parsed traces, shared by every container that replays the same file.
#[derive(Default)]
pub struct TraceCache(Mutex<HashMap<String, Samples>>);

/// (seconds since the first sample, bytes)
pub type Samples = Arc<Vec<(f64, f64)>>;

impl TraceCache {
    fn load(&self, path: &str, column: &str) -> Result<Samples, String> {
        let key = format!("{path}#{column}");
        if let Some(t) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(t.clone());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .collect();
        let col = header
            .iter()
            .position(|h| *h == column)
            .ok_or_else(|| format!("{path}: no column {column}"))?;
        let mut points = Vec::new();
        let mut t0 = None;
        for l in lines.filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = l.split(',').collect();
            let t: f64 = f
                .first()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| format!("{path}: bad timestamp in {l:?}"))?;
            let v: f64 = f
                .get(col)
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| format!("{path}: bad {column} in {l:?}"))?;
            let base = *t0.get_or_insert(t);
            points.push((t - base, v));
        }
        if points.is_empty() {
            return Err(format!("{path}: no samples"));
        }
        let arc = Arc::new(points);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, arc.clone());
        Ok(arc)
    }
}

impl Profile {
    /// Parse a profile string (see the module docs).
    pub fn parse(spec: &str, traces: &TraceCache) -> Result<Profile, String> {
        let (kind, args) = spec.trim().split_once(':').unwrap_or((spec.trim(), ""));
        let mut kv: HashMap<&str, &str> = HashMap::new();
        let mut positional = Vec::new();
        for part in args.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => {
                    kv.insert(k.trim(), v.trim());
                }
                None => positional.push(part),
            }
        }
        let get = |k: &str| {
            kv.get(k)
                .copied()
                .ok_or_else(|| format!("profile {kind:?} needs {k}="))
        };
        Ok(match kind {
            "constant" => Profile::Constant(size(
                positional
                    .first()
                    .copied()
                    .map_or_else(|| get("bytes"), Ok)?,
            )?),
            "ramp" => Profile::Ramp {
                start: size(get("start")?)?,
                end: size(get("end")?)?,
                over: duration_secs(get("over")?)?.max(1e-9),
            },
            "leak" => Profile::Leak {
                start: size(get("start")?)?,
                per_second: size(get("rate")?)? / 60.0,
            },
            "diurnal" => Profile::Diurnal {
                base: size(get("base")?)?,
                amplitude: size(get("amplitude")?)?,
                period: duration_secs(kv.get("period").copied().unwrap_or("24h"))?.max(1e-9),
            },
            "spikes" => Profile::Spikes {
                base: size(get("base")?)?,
                peak: size(get("peak")?)?,
                every: duration_secs(get("every")?)?.max(1e-9),
                duration: duration_secs(get("duration")?)?,
            },
            "burst" => Profile::Burst {
                peak: size(get("peak")?)?,
                steady: size(get("steady")?)?,
                duration: duration_secs(get("duration")?)?,
            },
            "trace" => {
                let path = positional
                    .first()
                    .copied()
                    .map_or_else(|| get("path"), Ok)?;
                Profile::Trace(
                    traces.load(path, kv.get("column").copied().unwrap_or("usage_bytes"))?,
                )
            }
            other => return Err(format!("unknown memory profile {other:?}")),
        })
    }

    /// Usage in bytes at simulated time `t` seconds after the container started.
    pub fn at(&self, t: f64) -> f64 {
        let v = match self {
            Profile::Constant(b) => *b,
            Profile::Ramp { start, end, over } => start + (end - start) * (t / over).min(1.0),
            Profile::Leak { start, per_second } => start + per_second * t,
            Profile::Diurnal {
                base,
                amplitude,
                period,
            } => base + amplitude * (2.0 * std::f64::consts::PI * t / period).sin(),
            Profile::Spikes {
                base,
                peak,
                every,
                duration,
            } => {
                if t % every < *duration {
                    *peak
                } else {
                    *base
                }
            }
            Profile::Burst {
                peak,
                steady,
                duration,
            } => {
                if t < *duration {
                    *peak
                } else {
                    *steady
                }
            }
            Profile::Trace(points) => {
                let span = points.last().map_or(0.0, |p| p.0);
                // Loop the trace; the last sample lasts one median-ish step (the previous gap).
                let step = if points.len() > 1 {
                    points[points.len() - 1].0 - points[points.len() - 2].0
                } else {
                    1.0
                };
                let tt = t % (span + step.max(1e-9));
                let idx = points.partition_point(|p| p.0 <= tt).saturating_sub(1);
                points[idx].1
            }
        };
        v.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_follow_their_shapes() {
        let tc = TraceCache::default();
        let mi = 1024.0 * 1024.0;
        assert_eq!(
            Profile::parse("constant:128Mi", &tc).unwrap().at(99.0),
            128.0 * mi
        );
        let ramp = Profile::parse("ramp:start=100Mi,end=200Mi,over=100s", &tc).unwrap();
        assert_eq!(ramp.at(50.0), 150.0 * mi);
        assert_eq!(ramp.at(500.0), 200.0 * mi);
        let leak = Profile::parse("leak:start=10Mi,rate=60Mi", &tc).unwrap();
        assert_eq!(leak.at(2.0), 12.0 * mi);
        let spikes = Profile::parse("spikes:base=1Mi,peak=9Mi,every=10s,duration=1s", &tc).unwrap();
        assert_eq!((spikes.at(10.5), spikes.at(12.0)), (9.0 * mi, 1.0 * mi));
        let burst = Profile::parse("burst:peak=5Mi,steady=1Mi,duration=1m", &tc).unwrap();
        assert_eq!((burst.at(30.0), burst.at(61.0)), (5.0 * mi, 1.0 * mi));
        assert!(Profile::parse("wobble:1", &tc).is_err());
    }

    #[test]
    fn traces_replay_and_loop() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(
            &p,
            "timestamp_s,usage_bytes,peak_bytes,provisioned_bytes\n100,10,11,\n160,20,25,0\n",
        )
        .unwrap();
        let tc = TraceCache::default();
        let t = Profile::parse(&format!("trace:{}", p.display()), &tc).unwrap();
        assert_eq!((t.at(0.0), t.at(61.0), t.at(121.0)), (10.0, 20.0, 10.0));
        let peak =
            Profile::parse(&format!("trace:{},column=peak_bytes", p.display()), &tc).unwrap();
        assert_eq!(peak.at(70.0), 25.0);
    }
}
