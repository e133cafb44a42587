//! Download links Lintel signs for itself (documents on local disk): the link names what it
//! opens and when it stops working, and carries an HMAC-SHA256 of both under a server key, so a
//! link cannot be altered, extended or made up without the key.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// The link was genuine but its time is up.
    Expired,
    /// The signature does not match: altered, forged, or signed under another key.
    Invalid,
}

/// Signs and checks download links.
#[derive(Clone)]
pub struct LinkSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(…)")
    }
}

impl LinkSigner {
    pub fn new(key: [u8; 32]) -> LinkSigner {
        LinkSigner { key }
    }

    /// A signer with a fresh random key (links die with the process).
    pub fn random() -> LinkSigner {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        LinkSigner { key }
    }

    /// The key kept in `path` (64 hex digits), made and written there (readable by the owner
    /// only) on first use, so links outlive a restart.
    pub fn load_or_create(path: &Path) -> std::io::Result<LinkSigner> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut key = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut key).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: not a signing key: {e}", path.display()),
                    )
                })?;
                Ok(LinkSigner { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let signer = LinkSigner::random();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(path, &hex::encode(signer.key))?;
                Ok(signer)
            }
            Err(e) => Err(e),
        }
    }

    fn mac(&self, subject: &str, expires_at_ms: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(subject.as_bytes());
        mac.update(b"\n");
        mac.update(expires_at_ms.to_string().as_bytes());
        mac
    }

    /// The signature of a link to `subject` that works until `expires_at_ms` (Unix ms).
    pub fn sign(&self, subject: &str, expires_at_ms: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(subject, expires_at_ms).finalize().into_bytes())
    }

    /// Checks a link at `now_ms`. The signature is compared in constant time, and checked
    /// before the time, so an expired link is only reported as such when it is genuine.
    pub fn verify(
        &self,
        subject: &str,
        expires_at_ms: i64,
        signature: &str,
        now_ms: i64,
    ) -> Result<(), LinkRefused> {
        let given = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkRefused::Invalid)?;
        let expected = self.mac(subject, expires_at_ms).finalize().into_bytes();
        if !bool::from(expected.as_slice().ct_eq(&given)) {
            return Err(LinkRefused::Invalid);
        }
        if now_ms >= expires_at_ms {
            return Err(LinkRefused::Expired);
        }
        Ok(())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn a_genuine_link_works_until_it_expires() {
        let s = LinkSigner::random();
        let sig = s.sign("doc_1", NOW + 900_000);
        assert_eq!(s.verify("doc_1", NOW + 900_000, &sig, NOW), Ok(()));
        assert_eq!(
            s.verify("doc_1", NOW + 900_000, &sig, NOW + 899_999),
            Ok(())
        );
        assert_eq!(
            s.verify("doc_1", NOW + 900_000, &sig, NOW + 900_000),
            Err(LinkRefused::Expired)
        );
    }

    #[test]
    fn altered_or_forged_links_are_refused() {
        let s = LinkSigner::random();
        let exp = NOW + 900_000;
        let sig = s.sign("doc_1", exp);
        // Another document, a later expiry, a changed signature, garbage, another key.
        assert_eq!(s.verify("doc_2", exp, &sig, NOW), Err(LinkRefused::Invalid));
        assert_eq!(
            s.verify("doc_1", exp + 1, &sig, NOW),
            Err(LinkRefused::Invalid)
        );
        let mut bad = sig.clone().into_bytes();
        bad[0] = if bad[0] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(s.verify("doc_1", exp, &bad, NOW), Err(LinkRefused::Invalid));
        assert_eq!(
            s.verify("doc_1", exp, "not base64!", NOW),
            Err(LinkRefused::Invalid)
        );
        assert_eq!(s.verify("doc_1", exp, "", NOW), Err(LinkRefused::Invalid));
        let other = LinkSigner::random();
        assert_eq!(
            other.verify("doc_1", exp, &sig, NOW),
            Err(LinkRefused::Invalid)
        );
        // An expired forgery is reported as forged, not as expired.
        assert_eq!(
            s.verify("doc_1", exp, &bad, exp + 1),
            Err(LinkRefused::Invalid)
        );
    }

    #[test]
    fn the_key_file_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/links.key");
        let a = LinkSigner::load_or_create(&path).unwrap();
        let b = LinkSigner::load_or_create(&path).unwrap();
        assert_eq!(a.sign("doc_1", NOW), b.sign("doc_1", NOW));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "zz").unwrap();
        assert!(LinkSigner::load_or_create(&path).is_err());
    }
}
