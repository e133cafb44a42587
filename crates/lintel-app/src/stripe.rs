//! Stripe: Checkout Sessions created through its HTTP API ([`Stripe::checkout_session`]), and
//! its webhook signatures, checked exactly as Stripe specifies them: the `Stripe-Signature`
//! header carries a timestamp `t` and one or more `v1` signatures, each an HMAC-SHA256, keyed by
//! an endpoint's signing secret, of `"{t}.{raw body}"` in lower-case hex. A request is genuine
//! when some `v1` matches some configured secret (several during a rotation) and `t` is within
//! the tolerance of now. Checked on the raw bytes before anything parses them.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Stripe's own libraries' default: five minutes either way.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing Stripe-Signature header")]
    Missing,
    #[error("malformed Stripe-Signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    NoMatch,
    #[error("no webhook signing secret is configured")]
    NoSecret,
}

/// The `v1` signature of `payload` sent at `timestamp` under `secret`, in hex.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks `header` (the `Stripe-Signature` value) against `payload` for any of `secrets`, at
/// `now` (Unix seconds).
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[String],
    now: i64,
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => timestamp = v.parse::<i64>().ok(),
            "v1" => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let (Some(t), false) = (timestamp, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        let expected = hex::decode(sign(secret, t, payload)).expect("hex we made");
        if signatures
            .iter()
            .any(|s| bool::from(s.as_slice().ct_eq(&expected)))
        {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

/// Stripe's API as Lintel uses it: the secret key and where the API is.
#[derive(Debug, Clone)]
pub struct Stripe {
    pub secret_key: String,
    /// `https://api.stripe.com`, or a stand-in.
    pub api_base: String,
}

/// A Checkout Session: where to send the person who pays.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// Why Stripe's API could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Not reached, or no answer in time: worth retrying.
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    /// Stripe answered with an error.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
}

impl Stripe {
    /// Creates a Checkout Session from `form` (Stripe's form-encoded parameters, e.g.
    /// `mode`, `line_items[0][price]`). `idempotency_key`, when given, is passed on, so a
    /// retried request gets the same session from Stripe.
    pub async fn checkout_session(
        &self,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<CheckoutSession, StripeError> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| StripeError::Unreachable(e.to_string()))?;
        let url = format!("{}/v1/checkout/sessions", self.api_base);
        let mut req = http.post(url).bearer_auth(&self.secret_key).form(form);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let res = req
            .send()
            .await
            .map_err(|e| StripeError::Unreachable(e.to_string()))?;
        let status = res.status();
        let body: serde_json::Value = res
            .json()
            .await
            .map_err(|e| StripeError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("no message")
                .to_string();
            return Err(StripeError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_value(body).map_err(|e| StripeError::Refused {
            status: status.as_u16(),
            message: format!("unexpected answer: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_signature() {
        // HMAC-SHA256 of "1700000000.{}" under "whsec_test", computed independently.
        let sig = sign("whsec_test", 1_700_000_000, b"{}");
        assert_eq!(
            sig,
            "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
        let header = format!("t=1700000000,v1={sig}");
        let secrets = vec!["whsec_test".to_string()];
        assert_eq!(
            verify(Some(&header), b"{}", &secrets, 1_700_000_100),
            Ok(())
        );
    }

    #[test]
    fn forged_stale_missing_and_rotated() {
        let secrets = vec!["whsec_old".to_string(), "whsec_new".to_string()];
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_800_000_000;
        let good = |secret: &str, t: i64| format!("t={t},v1={}", sign(secret, t, body));
        // Either secret of a rotation; extra schemes and signatures are ignored.
        assert_eq!(
            verify(Some(&good("whsec_new", now)), body, &secrets, now),
            Ok(())
        );
        let mixed = format!("t={now},v0=abc,v1=00ff,v1={}", sign("whsec_old", now, body));
        assert_eq!(verify(Some(&mixed), body, &secrets, now), Ok(()));
        // Another secret, another body, too old or too far ahead, or no header at all.
        assert_eq!(
            verify(Some(&good("whsec_other", now)), body, &secrets, now),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&good("whsec_new", now)), b"{}", &secrets, now),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&good("whsec_new", now - 301)), body, &secrets, now),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&good("whsec_new", now + 301)), body, &secrets, now),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(None, body, &secrets, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(Some("v1=abcd"), body, &secrets, now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some("t=1"), body, &[], now),
            Err(SignatureError::NoSecret)
        );
    }
}
