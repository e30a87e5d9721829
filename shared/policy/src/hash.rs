//! FNV-1a 64 (Fowler/Noll/Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3): the one
//! hash the project persists (hashed workload keys, history shard placement). Implemented here,
//! a few lines, so stored keys and shard numbers never depend on a crate's version.

/// FNV-1a 64 of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
