//! The bearer tokens the simulated API server has issued (TokenRequest), and who they belong to.
//!
//! A real server signs a JWT bound to the ServiceAccount's uid and verifies it on each request
//! (KEP-1205 bound service account tokens). The sim keeps the same contract with less machinery:
//! an opaque random token mapped in memory to the ServiceAccount (namespace, name, uid) and its
//! expiry. The authenticator checks that the ServiceAccount still exists with that uid, so a
//! deleted (or deleted and re-created) ServiceAccount's tokens stop working, as bound tokens do.
//! A leaf module: `state` holds the book, `auth` reads it.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;

/// Random bytes per token (256 bits, from the ring provider's secure random source).
const TOKEN_BYTES: usize = 32;

/// Whom a token was issued to, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub namespace: String,
    pub service_account: String,
    /// uid of the ServiceAccount at issue time.
    pub uid: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// Issued tokens by token string, and the administrator's token (what the sim's TLS
/// kubeconfig carries, as a real admin kubeconfig carries a `system:masters` credential).
pub struct TokenBook {
    issued: Mutex<HashMap<String, IssuedToken>>,
    admin: String,
}

impl Default for TokenBook {
    fn default() -> Self {
        Self {
            issued: Mutex::default(),
            admin: random_token(),
        }
    }
}

/// 256 random bits, URL-safe base64.
fn random_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    let random = rustls::crypto::ring::default_provider().secure_random;
    if random.fill(&mut bytes).is_err() {
        // The ring source does not fail on supported platforms; fall back to the shared mix.
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (crate::util::random_u64() >> (i % 8)) as u8;
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl TokenBook {
    /// The administrator's bearer token.
    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// Issue a new token for `who`.
    pub fn issue(&self, who: IssuedToken) -> String {
        let token = random_token();
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), who);
        token
    }

    /// The token's record if it was issued and has not expired at `now` (Unix seconds).
    pub fn lookup(&self, token: &str, now: i64) -> Option<IssuedToken> {
        let mut book = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        match book.get(token) {
            Some(t) if t.expires_at > now => Some(t.clone()),
            Some(_) => {
                book.remove(token);
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(expires_at: i64) -> IssuedToken {
        IssuedToken {
            namespace: "ns".into(),
            service_account: "sa".into(),
            uid: "u".into(),
            expires_at,
        }
    }

    #[test]
    fn issued_tokens_are_distinct_and_expire() {
        let book = TokenBook::default();
        let a = book.issue(who(100));
        let b = book.issue(who(100));
        assert_ne!(a, b);
        assert!(a.len() >= 40, "{a}");
        assert_eq!(book.lookup(&a, 99), Some(who(100)));
        assert_eq!(book.lookup(&a, 100), None, "expired at its expiry");
        assert_eq!(book.lookup("made-up", 0), None);
        assert_eq!(
            book.lookup(book.admin(), 0),
            None,
            "the admin token is not issued"
        );
    }
}
