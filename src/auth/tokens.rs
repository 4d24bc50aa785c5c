//! Access tokens (short-lived HS256 JWTs), refresh tokens and API-key secrets (opaque, random,
//! stored only as SHA-256 digests: they carry 256 bits of entropy, so a slow hash adds nothing).

use std::collections::HashSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rules::Role;

pub const ISSUER: &str = "shopgap";
pub const AUDIENCE: &str = "shopgap-api";
/// The JOSE `typ` header of our access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The `typ` claim: only access tokens are JWTs here, but the claim keeps any other token
/// type we might sign later from being accepted as one.
pub const ACCESS_CLAIM_TYP: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// The user's organization.
    pub org: String,
    pub role: Role,
    /// The session (sign-in) the token belongs to: ending it ends the token at once.
    pub sid: String,
    pub typ: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(String),
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: std::time::Duration) -> Self {
        // Only HS256 is accepted: `alg: none` and every other algorithm fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.required_spec_claims =
            HashSet::from(["exp", "nbf", "iss", "aud", "sub"].map(String::from));
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs: ttl.as_secs() as i64,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
        session_id: &str,
    ) -> Result<String, TokenError> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.into(),
            org: org_id.into(),
            role,
            sid: session_id.into(),
            typ: ACCESS_CLAIM_TYP.into(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TOKEN_TYP.into());
        encode(&header, &claims, &self.encoding).map_err(|e| TokenError::Invalid(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data = decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        if data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(TokenError::Invalid("wrong token type header".into()));
        }
        if data.claims.typ != ACCESS_CLAIM_TYP {
            return Err(TokenError::Invalid("not an access token".into()));
        }
        Ok(data.claims)
    }
}

/// 32 random bytes, URL-safe base64, behind a prefix that tells people (and secret scanners)
/// what the string is.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn sha256_hex(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two digests without an early exit.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub const REFRESH_TOKEN_PREFIX: &str = "sgr_";
pub const API_KEY_PREFIX: &str = "sgk_";

/// A new API key: `sgk_<lookup id>_<secret>`. The lookup id is stored in the clear to find the
/// row; the whole key is stored only as a digest.
pub fn new_api_key() -> (String, String) {
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let lookup: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let key = random_token(&format!("{API_KEY_PREFIX}{lookup}_"));
    (lookup, key)
}

/// The lookup id of a presented API key, if it has the right shape.
pub fn api_key_lookup(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (lookup, secret) = rest.split_once('_')?;
    (lookup.len() == 16 && lookup.bytes().all(|b| b.is_ascii_hexdigit()) && secret.len() >= 32)
        .then_some(lookup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn issued_tokens_verify_and_carry_claims() {
        let keys = JwtKeys::new(&[7u8; 32], Duration::from_secs(60));
        let token = keys.issue("u1", "o1", Role::Manager, "s1").unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.org.as_str()), ("u1", "o1"));
        assert_eq!(claims.role, Role::Manager);
        assert_eq!(claims.sid, "s1");
        let other = JwtKeys::new(&[8u8; 32], Duration::from_secs(60));
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn api_keys_parse_back_to_their_lookup_id() {
        let (lookup, key) = new_api_key();
        assert_eq!(api_key_lookup(&key), Some(lookup.as_str()));
        assert_eq!(api_key_lookup("sgk_short_x"), None);
        assert_eq!(api_key_lookup("Bearer"), None);
    }

    #[test]
    fn digests_compare() {
        assert!(constant_time_eq(&sha256_hex("a"), &sha256_hex("a")));
        assert!(!constant_time_eq(&sha256_hex("a"), &sha256_hex("b")));
        assert!(!constant_time_eq("ab", "abc"));
    }
}
