//! The stored form of a [`UsageProfile`]: a versioned, compact binary encoding (what the
//! history store keeps in its ConfigMaps and the webhook decodes), and the typed errors of
//! decoding it. A profile's content and rules live in [`super`].

use thiserror::Error;

use super::{HISTORY_HOURS, PROFILE_VERSION, UsageProfile, slot_index};

/// Fixed header: version (1) + newest hour (8) + first seen (8) + last seen (8) + last OOM (8)
/// + slot count (2).
pub(super) const HEADER_LEN: usize = 1 + 8 * 4 + 2;

/// Why a stored profile could not be decoded. The history store skips such an entry (with a
/// warning and a metric) instead of failing the whole shard.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProfileDecodeError {
    #[error("profile is empty")]
    Empty,
    #[error("profile has unknown version {0} (this build reads versions 1 to {PROFILE_VERSION})")]
    UnknownVersion(u8),
    #[error("profile is truncated: {len} bytes, at least {needed} needed")]
    Truncated { len: usize, needed: usize },
    #[error("profile claims {0} hourly slots, at most {HISTORY_HOURS} are kept")]
    TooManySlots(usize),
    #[error("profile has {0} bytes after its last slot")]
    TrailingBytes(usize),
}

impl UsageProfile {
    /// Versioned binary encoding: header, then the slots newest first with trailing empty
    /// slots dropped (a young workload costs a few bytes), then as many replica counts, two per
    /// byte (low nibble first). At most `HEADER_LEN + 2 * 336 + 168` = 875 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let newest = self.newest_hour.unwrap_or(i64::MIN);
        let codes: Vec<u16> = match self.newest_hour {
            None => Vec::new(),
            Some(n) => {
                let mut v: Vec<u16> = (0..HISTORY_HOURS as i64)
                    .map(|back| self.slots[slot_index(n - back)])
                    .collect();
                while v.last() == Some(&0) {
                    v.pop();
                }
                v
            }
        };
        let mut out = Vec::with_capacity(HEADER_LEN + 2 * codes.len() + codes.len().div_ceil(2));
        out.push(PROFILE_VERSION);
        for field in [newest, self.first_seen, self.last_seen, self.last_oom] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        out.extend_from_slice(&(codes.len() as u16).to_le_bytes());
        for c in &codes {
            out.extend_from_slice(&c.to_le_bytes());
        }
        let count_at = |back: usize| self.replicas[slot_index(newest - back as i64)];
        for back in (0..codes.len()).step_by(2) {
            let high = if back + 1 < codes.len() {
                count_at(back + 1)
            } else {
                0
            };
            out.push(count_at(back) | (high << 4));
        }
        out
    }

    /// Decodes [`UsageProfile::to_bytes`] output; anything else is a typed error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProfileDecodeError> {
        let (&version, rest) = bytes.split_first().ok_or(ProfileDecodeError::Empty)?;
        if !(1..=PROFILE_VERSION).contains(&version) {
            return Err(ProfileDecodeError::UnknownVersion(version));
        }
        // Version 1 had no replica counts.
        let counts_len = |slots: usize| if version == 1 { 0 } else { slots.div_ceil(2) };
        if bytes.len() < HEADER_LEN {
            return Err(ProfileDecodeError::Truncated {
                len: bytes.len(),
                needed: HEADER_LEN,
            });
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&rest[8 * i..8 * i + 8]);
            i64::from_le_bytes(b)
        };
        let (newest, first_seen, last_seen, last_oom) = (word(0), word(1), word(2), word(3));
        let count = usize::from(u16::from_le_bytes([rest[32], rest[33]]));
        if count > HISTORY_HOURS {
            return Err(ProfileDecodeError::TooManySlots(count));
        }
        let needed = HEADER_LEN + 2 * count + counts_len(count);
        if bytes.len() < needed {
            return Err(ProfileDecodeError::Truncated {
                len: bytes.len(),
                needed,
            });
        }
        if bytes.len() > needed {
            return Err(ProfileDecodeError::TrailingBytes(bytes.len() - needed));
        }
        let mut profile = UsageProfile {
            newest_hour: (newest != i64::MIN).then_some(newest),
            first_seen,
            last_seen,
            last_oom,
            ..UsageProfile::default()
        };
        let (codes, counts) = bytes[HEADER_LEN..].split_at(2 * count);
        for (back, chunk) in codes.chunks_exact(2).enumerate() {
            let code = u16::from_le_bytes([chunk[0], chunk[1]]);
            let i = slot_index(newest - back as i64);
            profile.slots[i] = code;
            profile.replicas[i] = match counts.get(back / 2) {
                Some(&pair) if back % 2 == 0 => pair & 0x0f,
                Some(&pair) => pair >> 4,
                None => u8::from(code != 0),
            };
        }
        Ok(profile)
    }
}
