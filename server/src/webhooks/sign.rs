//! Signatures: Standard Webhooks for the generic format, DingTalk's robot signing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2_hmac::Sha256>;

/// The prefix of a Standard Webhooks key (`whsec_` + base64 of the key bytes).
pub const KEY_PREFIX: &str = "whsec_";

/// The HMAC key a generic endpoint's secret stands for: a `whsec_` key is base64 of its bytes;
/// any other text is used as its bytes. `None` when a `whsec_` key is not base64.
pub fn standard_key(secret: &str) -> Option<Vec<u8>> {
    match secret.strip_prefix(KEY_PREFIX) {
        Some(b64) => STANDARD.decode(b64).ok().filter(|k| !k.is_empty()),
        None => Some(secret.as_bytes().to_vec()),
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The `webhook-signature` header: `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")).
pub fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac = hmac(key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac))
}

/// DingTalk's `sign`: base64(HMAC-SHA256(secret, timestamp_ms + "\n" + secret)), URL-encoded.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let text = format!("{timestamp_ms}\n{secret}");
    let mac = hmac(secret.as_bytes(), &[text.as_bytes()]);
    crate::web::urlencode(&STANDARD.encode(mac))
}

/// A new Standard Webhooks key (24 random bytes).
pub fn new_key() -> String {
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(&uuid::Uuid::new_v4().as_bytes()[..8]);
    format!("{KEY_PREFIX}{}", STANDARD.encode(bytes))
}

/// A secret as the API shows it after creation: its first 6 and last 4 characters.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() <= 12 {
        return "****".into();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_example() {
        // The example of the Standard Webhooks reference libraries.
        let key = standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        let body = br#"{"test": 2432232314}"#;
        let sig = standard_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn url_encoding_of_base64() {
        assert_eq!(crate::web::urlencode("a+b/c="), "a%2Bb%2Fc%3D");
    }

    #[test]
    fn masks() {
        assert_eq!(mask("whsec_abcdefghijklmnop"), "whsec_****mnop");
        assert_eq!(mask("short"), "****");
    }
}
