//! Signing: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the
//! subscription's secret (`whsec_<base64 key>`). During a rotation both the new and the old
//! secret sign, space-separated, so a receiver may accept either until it switches.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::FieldError;

/// The prefix of a secret as the spec writes it.
pub const SECRET_PREFIX: &str = "whsec_";
/// Key length of the secrets we make (the spec allows 24 to 64 bytes).
pub const KEY_BYTES: usize = 32;

/// A signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A secret from random bytes the caller drew (the core draws none).
    pub fn from_key(key: [u8; KEY_BYTES]) -> Secret {
        Secret(key.to_vec())
    }

    /// Parses `whsec_<base64>`, naming `field` on failure.
    pub fn parse(field: &str, raw: &str) -> Result<Secret, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "webhook_secret",
                format!("{field} must be whsec_ followed by 24 to 64 bytes in base64"),
            )
        };
        let b64 = raw.trim().strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
        let key = STANDARD.decode(b64).map_err(|_| bad())?;
        if !(24..=64).contains(&key.len()) {
            return Err(bad());
        }
        Ok(Secret(key))
    }

    /// `whsec_<base64>`: shown once to whoever created the subscription.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The `v1,<base64>` signature of one delivery.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length, so this never fails; a secret is 24 to 64 bytes.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per live secret (the newest first).
pub fn signature_header(secrets: &[Secret], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| s.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(n: u8) -> Secret {
        Secret::from_key([n; KEY_BYTES])
    }

    #[test]
    fn the_reference_implementation_accepts_our_signature() {
        let s = secret(7);
        let body = br#"{"type":"opportunity.closed_won","data":{"id":"opp_1"}}"#;
        let ts = chrono::Utc::now().timestamp();
        let wh = standardwebhooks::Webhook::new(&s.expose()).unwrap();
        let mut headers = http_headers(
            "msg_2b4",
            ts,
            &signature_header(std::slice::from_ref(&s), "msg_2b4", ts, body),
        );
        assert!(wh.verify(body, &headers).is_ok());
        // A changed body, or another secret, does not verify.
        assert!(wh.verify(b"{}", &headers).is_err());
        headers = http_headers(
            "msg_2b4",
            ts,
            &signature_header(&[secret(8)], "msg_2b4", ts, body),
        );
        assert!(wh.verify(body, &headers).is_err());
    }

    #[test]
    fn during_a_rotation_either_secret_verifies() {
        let (new, old) = (secret(1), secret(2));
        let body = b"{\"a\":1}";
        let ts = chrono::Utc::now().timestamp();
        let header = signature_header(&[new.clone(), old.clone()], "msg_9", ts, body);
        assert_eq!(header.split(' ').count(), 2);
        for s in [new, old] {
            let wh = standardwebhooks::Webhook::new(&s.expose()).unwrap();
            assert!(wh.verify(body, &http_headers("msg_9", ts, &header)).is_ok());
        }
    }

    #[test]
    fn secrets_parse_and_name_the_field() {
        let s = secret(3);
        assert_eq!(Secret::parse("secret", &s.expose()).unwrap(), s);
        for bad in ["abc", "whsec_!!", "whsec_AAAA"] {
            let e = Secret::parse("secret", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.rule.as_str()),
                ("secret", "webhook_secret")
            );
        }
        assert!(!format!("{s:?}").contains(&s.expose()));
    }

    fn http_headers(id: &str, ts: i64, sig: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", sig.parse().unwrap());
        h
    }
}
