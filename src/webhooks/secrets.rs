//! Webhook signing secrets at rest. A secret must be read back in clear to sign, so it cannot
//! be hashed like a password or an API key: it is sealed with the server's secret key
//! (XChaCha20-Poly1305, a random nonce each time, the endpoint id as associated data so a
//! sealed secret copied onto another endpoint does not open).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::error::ApiError;

/// The prefix Standard Webhooks gives a secret.
pub const PREFIX: &str = "whsec_";
/// Random bytes in a new secret (as Svix issues them).
const SECRET_BYTES: usize = 24;
const NONCE_BYTES: usize = 24;

/// A new signing secret, `whsec_` and base64 of 24 random bytes.
pub fn generate() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// `secret` sealed for the endpoint: base64 of nonce ‖ ciphertext.
pub fn seal(key: &[u8; 32], endpoint_id: &str, secret: &str) -> Result<String, ApiError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: endpoint_id.as_bytes(),
            },
        )
        .map_err(|_| ApiError::internal("sealing a webhook secret failed"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

/// The secret a [`seal`] holds; an error when the key is not the one that sealed it.
pub fn open(key: &[u8; 32], endpoint_id: &str, sealed: &str) -> Result<String, ApiError> {
    let bytes = STANDARD
        .decode(sealed)
        .map_err(|_| ApiError::internal("a sealed webhook secret is not base64"))?;
    if bytes.len() <= NONCE_BYTES {
        return Err(ApiError::internal("a sealed webhook secret is too short"));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(ApiError::internal)?;
    let clear = XChaCha20Poly1305::new(key.into())
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: sealed,
                aad: endpoint_id.as_bytes(),
            },
        )
        .map_err(|_| {
            ApiError::internal("a webhook secret does not open with this server's secret key")
        })?;
    String::from_utf8(clear).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_endpoint() {
        let key = [7u8; 32];
        let secret = generate();
        assert!(secret.starts_with(PREFIX));
        assert_eq!(STANDARD.decode(&secret[PREFIX.len()..]).unwrap().len(), 24);
        let sealed = seal(&key, "endpoint-1", &secret).unwrap();
        assert!(!sealed.contains(&secret[PREFIX.len()..]));
        assert_eq!(open(&key, "endpoint-1", &sealed).unwrap(), secret);
        assert!(open(&[8u8; 32], "endpoint-1", &sealed).is_err());
        assert!(open(&key, "endpoint-2", &sealed).is_err());
        assert_ne!(
            seal(&key, "endpoint-1", &secret).unwrap(),
            sealed,
            "fresh nonce"
        );
    }
}
