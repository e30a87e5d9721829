//! Small helpers every layer needs: timestamps in the API's formats, uids, generated names and a
//! cheap pseudo-random source (the sim needs randomness for names and fault injection, not
//! cryptographic quality, so a SplitMix64 avoids another dependency).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

static RNG_STATE: AtomicU64 = AtomicU64::new(0);

/// Next pseudo-random 64-bit value (SplitMix64 over a shared counter seeded from the clock).
pub fn random_u64() -> u64 {
    let mut state = RNG_STATE.load(Ordering::Relaxed);
    if state == 0 {
        let seed = clock_seed() | 1;
        let _ = RNG_STATE.compare_exchange(0, seed, Ordering::Relaxed, Ordering::Relaxed);
    }
    state = RNG_STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    splitmix(state)
}

/// One SplitMix64 output step for `state`.
fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded SplitMix64 stream: the same seed gives the same sequence, so a run's random choices
/// (fault injection) can be replayed.
#[derive(Debug)]
pub struct SeededRng(AtomicU64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }

    /// Restart the sequence from `seed`.
    pub fn reseed(&self, seed: u64) {
        self.0.store(seed, Ordering::Relaxed);
    }

    /// Uniform value in [0, 1).
    pub fn next_f64(&self) -> f64 {
        let state = self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A seed from the clock, for runs that were given none.
pub fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
}

/// Alphabet of `generateName` suffixes: apimachinery `util/rand.String` avoids vowels and
/// look-alike characters so generated names never spell words.
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// apimachinery `names.SimpleNameGenerator` appends 5 random characters.
const GENERATED_SUFFIX_LEN: usize = 5;
/// Names are DNS subdomains of at most 253 characters; the prefix is cut to leave room.
const MAX_GENERATED_PREFIX: usize = 63 - GENERATED_SUFFIX_LEN;

/// `generateName` + 5 random characters, as the API server's SimpleNameGenerator does.
pub fn generate_name(prefix: &str) -> String {
    let mut out: String = prefix.chars().take(MAX_GENERATED_PREFIX).collect();
    for _ in 0..GENERATED_SUFFIX_LEN {
        let idx = (random_u64() % NAME_ALPHABET.len() as u64) as usize;
        out.push(NAME_ALPHABET[idx] as char);
    }
    out
}

/// A random RFC 4122 version-4 style uid.
pub fn new_uid() -> String {
    let a = random_u64();
    let b = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Seconds and sub-second nanos since the Unix epoch.
fn now_parts() -> (i64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos())
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of `secs` seconds from the Unix epoch (jiff's calendar); a time
/// beyond jiff's range (years -9999 to 9999) is clamped to its ends.
fn format_secs(secs: i64) -> String {
    let secs = secs.clamp(
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    jiff::Timestamp::from_second(secs)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// `metav1.Time`: RFC 3339 at second precision, UTC.
pub fn now_rfc3339() -> String {
    format!("{}Z", format_secs(now_parts().0))
}

/// `metav1.MicroTime`: RFC 3339 with microseconds (events.k8s.io `eventTime`).
#[allow(dead_code)] // for events.k8s.io writers
pub fn now_micro() -> String {
    let (s, n) = now_parts();
    format!("{}.{:06}Z", format_secs(s), n / 1000)
}

/// Time `secs` seconds from the Unix epoch as `metav1.Time`.
pub fn rfc3339_at(secs: i64) -> String {
    format!("{}Z", format_secs(secs))
}

/// Current Unix time in seconds.
pub fn unix_now() -> i64 {
    now_parts().0
}

/// Parse `metav1.Time` (RFC 3339, any offset, fractional seconds allowed) back to Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Follow a dotted path (`metadata.name`) into a JSON object.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(obj, |v, seg| v.get(seg))
}

/// A string field by dotted path, or "" when absent.
pub fn str_at<'a>(obj: &'a Value, path: &str) -> &'a str {
    json_path(obj, path).and_then(Value::as_str).unwrap_or("")
}

/// Mutable access to `obj[key]`, creating an empty object there when absent or not an object.
pub fn obj_entry<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    if !obj.is_object() {
        *obj = Value::Object(Default::default());
    }
    let map = obj.as_object_mut().expect("just made an object");
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Default::default()));
    if !entry.is_object() {
        *entry = Value::Object(Default::default());
    }
    entry
}

/// A label map as `k=v,k2=v2` (a `matchLabels` selector string, kubectl's NODE SELECTOR cell);
/// empty when there are none.
pub fn labels_string(map: Option<&Value>) -> String {
    map.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(rfc3339_at(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(
            parse_rfc3339("2023-11-14T23:13:20.5+01:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_rfc3339("2023-11-14 22:13"), None);
        assert_eq!(rfc3339_at(-86_400), "1969-12-31T00:00:00Z");
    }

    #[test]
    fn generated_names_keep_the_prefix() {
        let n = generate_name("web-abc-");
        assert!(n.starts_with("web-abc-") && n.len() == 13);
        assert_ne!(new_uid(), new_uid());
    }
}
