//! Typed, prefixed, time-sortable identifiers: `prop_01jd9…`.
//!
//! Underneath is a ULID (48-bit millisecond timestamp + 80 random bits), rendered in lowercase
//! Crockford base32, so IDs sort by creation time as plain strings on both databases. The prefix
//! is part of the type: a `UnitId` cannot be passed where a `PropertyId` is wanted, and a string
//! with the wrong prefix does not parse.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

/// What an ID names: its prefix, its schema name and the entity's human name.
pub trait IdKind: 'static + Send + Sync {
    const PREFIX: &'static str;
    const SCHEMA: &'static str;
    const ENTITY: &'static str;
}

pub struct Id<K: IdKind>(Ulid, PhantomData<K>);

/// The next ULID of this process: monotonic, so IDs made within one millisecond still sort in
/// creation order (the random part is incremented instead of drawn again).
fn next_ulid() -> Ulid {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let mut g = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    g.generate().unwrap_or_else(|_| Ulid::new())
}

impl<K: IdKind> Id<K> {
    pub fn new() -> Self {
        Id(next_ulid(), PhantomData)
    }

    pub fn from_ulid(u: Ulid) -> Self {
        Id(u, PhantomData)
    }

    /// The entity's human name, as used in `"{Entity} not found."`.
    pub fn entity() -> &'static str {
        K::ENTITY
    }
}

impl<K: IdKind> Default for Id<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: IdKind> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: IdKind> Copy for Id<K> {}
impl<K: IdKind> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<K: IdKind> Eq for Id<K> {}
impl<K: IdKind> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}
impl<K: IdKind> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: IdKind> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<K: IdKind> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Encoded on the stack: IDs are formatted on every request (JSON, SQL arguments).
        let mut buf = [0u8; ulid::ULID_LEN];
        let text = self.0.array_to_str(&mut buf);
        text.make_ascii_lowercase();
        f.write_str(K::PREFIX)?;
        f.write_str("_")?;
        f.write_str(text)
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a string is not an ID of the wanted kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an ID starting with '{prefix}_'")]
pub struct IdParseError {
    pub prefix: &'static str,
}

impl<K: IdKind> FromStr for Id<K> {
    type Err = IdParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = IdParseError { prefix: K::PREFIX };
        let rest = s
            .strip_prefix(K::PREFIX)
            .and_then(|r| r.strip_prefix('_'))
            .ok_or(err.clone())?;
        // A ULID is 128 bits in 26 base-32 digits (130 bits), so the first digit is at most 7;
        // a larger one would silently lose its top bits and name another ID.
        if rest.len() != 26
            || !(b'0'..=b'7').contains(&rest.as_bytes()[0])
            || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(err);
        }
        Ulid::from_string(&rest.to_ascii_uppercase())
            .map(Id::from_ulid)
            .map_err(|_| err)
    }
}

impl<K: IdKind> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written whole on the stack and handed over as one string: `collect_str` would go
        // through the formatter piece by piece.
        let mut buf = [0u8; 64];
        let (prefix, n) = (K::PREFIX.as_bytes(), K::PREFIX.len());
        if n + 1 + ulid::ULID_LEN > buf.len() {
            return s.collect_str(self);
        }
        buf[..n].copy_from_slice(prefix);
        buf[n] = b'_';
        let mut ulid = [0u8; ulid::ULID_LEN];
        let text = self.0.array_to_str(&mut ulid);
        text.make_ascii_lowercase();
        buf[n + 1..n + 1 + ulid::ULID_LEN].copy_from_slice(text.as_bytes());
        match std::str::from_utf8(&buf[..n + 1 + ulid::ULID_LEN]) {
            Ok(id) => s.serialize_str(id),
            Err(_) => s.collect_str(self),
        }
    }
}

impl<'de, K: IdKind> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The characters of an ID after its prefix: a ULID in lowercase Crockford base32, which has
/// no `i`, `l`, `o` or `u`, and whose first digit is at most 7 (the parser refuses the rest).
pub const ULID_PATTERN: &str = "[0-7][0-9a-hjkmnp-tv-z]{25}";

/// The documented pattern of an ID with this prefix: `^prop_[0-7][0-9a-hjkmnp-tv-z]{25}$`.
pub fn id_pattern(prefix: &str) -> String {
    format!("^{prefix}_{ULID_PATTERN}$")
}

impl<K: IdKind> utoipa::PartialSchema for Id<K> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(id_pattern(K::PREFIX)))
            .description(Some(format!("{} ID", K::ENTITY)))
            .examples([serde_json::Value::String(format!(
                "{}_01jd9x4m2k8q7v5t3r1n0p6w8y",
                K::PREFIX
            ))])
            .into()
    }
}

impl<K: IdKind> utoipa::ToSchema for Id<K> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(K::SCHEMA)
    }
}

macro_rules! id_kind {
    ($(#[$m:meta])* $kind:ident, $alias:ident, $prefix:literal, $schema:literal, $entity:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $kind;
        impl IdKind for $kind {
            const PREFIX: &'static str = $prefix;
            const SCHEMA: &'static str = $schema;
            const ENTITY: &'static str = $entity;
        }
        pub type $alias = Id<$kind>;
    };
}

id_kind!(OrgKind, OrgId, "org", "OrganisationId", "Organisation");
id_kind!(UserKind, UserId, "usr", "UserId", "User");
id_kind!(ApiKeyKind, ApiKeyId, "key", "ApiKeyId", "API key");
id_kind!(SessionKind, SessionId, "sess", "SessionId", "Session");
id_kind!(PropertyKind, PropertyId, "prop", "PropertyId", "Property");
id_kind!(BuildingKind, BuildingId, "bldg", "BuildingId", "Building");
id_kind!(UnitKind, UnitId, "unit", "UnitId", "Unit");
id_kind!(AuditKind, AuditId, "aud", "AuditEntryId", "Audit entry");
id_kind!(
    InvitationKind,
    InvitationId,
    "inv",
    "InvitationId",
    "Invitation"
);
id_kind!(OutboxEventKind, EventId, "evt", "EventId", "Event");
id_kind!(DocumentKind, DocumentId, "doc", "DocumentId", "Document");
id_kind!(TenantKind, TenantId, "ten", "TenantId", "Tenant");
id_kind!(AccountKind, AccountId, "acct", "AccountId", "Account");
id_kind!(
    EntryKind,
    JournalEntryId,
    "je",
    "JournalEntryId",
    "Journal entry"
);
id_kind!(ChargeIdKind, ChargeId, "chg", "ChargeId", "Charge");
id_kind!(PaymentKind, PaymentId, "pay", "PaymentId", "Payment");
id_kind!(RefundKind, RefundId, "rfd", "RefundId", "Refund");
id_kind!(InvoiceKind, InvoiceId, "inv", "InvoiceId", "Invoice");
id_kind!(LeaseKind, LeaseId, "lease", "LeaseId", "Lease");
id_kind!(
    RenewalKind,
    RenewalId,
    "ren",
    "LeaseRenewalId",
    "Renewal offer"
);
id_kind!(
    NotificationKind,
    NotificationId,
    "ntf",
    "NotificationId",
    "Notification"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_prefixes() {
        let id = PropertyId::new();
        let s = id.to_string();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{s}\""));
        assert!(s.starts_with("prop_") && s.len() == 31, "{s}");
        assert_eq!(s.parse::<PropertyId>().unwrap(), id);
        assert!(s.parse::<UnitId>().is_err());
        assert!("prop_".parse::<PropertyId>().is_err());
        assert!("prop_../../etc/passwd".parse::<PropertyId>().is_err());
        assert!(s
            .to_uppercase()
            .replace("PROP_", "prop_")
            .parse::<PropertyId>()
            .is_ok());
    }

    #[test]
    fn documented_pattern_names_exactly_the_characters_the_parser_takes() {
        assert_eq!(id_pattern("prop"), "^prop_[0-7][0-9a-hjkmnp-tv-z]{25}$");
        let allowed = |c: char| {
            c.is_ascii_digit() || (c.is_ascii_lowercase() && !matches!(c, 'i' | 'l' | 'o' | 'u'))
        };
        for c in ('0'..='9').chain('a'..='z') {
            let raw = format!("prop_0{}", c.to_string().repeat(25));
            assert_eq!(raw.parse::<PropertyId>().is_ok(), allowed(c), "{raw}");
            // The first digit: 0-7 only (8 and up would overflow 128 bits).
            let first = format!("prop_{c}{}", "0".repeat(25));
            assert_eq!(
                first.parse::<PropertyId>().is_ok(),
                ('0'..='7').contains(&c),
                "{first}"
            );
        }
        // `prop_r…` used to alias `prop_0…`; the largest ULID is still an ID.
        assert!(format!("prop_7{}", "z".repeat(25))
            .parse::<PropertyId>()
            .is_ok());
    }

    #[test]
    fn sorts_by_creation_time_even_within_a_millisecond() {
        let ids: Vec<String> = (0..1000).map(|_| UnitId::new().to_string()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        let a = PropertyId::new();
        let b = UnitId::new();
        assert!(
            a.to_string()[5..] < b.to_string()[5..],
            "one sequence across kinds"
        );
    }
}
