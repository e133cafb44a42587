//! The entry points: platform-level operations and the organisation scope every owned table
//! is reached through. There is no way to build an org-owned repository without an [`OrgId`].

use lintel_domain::OrgId;

use crate::db::{ConnectOptions, Db};
use crate::error::Result;
use crate::identity::{Accounts, Credentials, Invites, KeyCache, Orgs};

/// The data layer.
#[derive(Clone)]
pub struct Store {
    db: Db,
    keys: KeyCache,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). Run [`Store::migrate`] before use.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Store> {
        Ok(Store {
            db: Db::connect(url, opts).await?,
            keys: KeyCache::new(),
        })
    }

    pub async fn migrate(&self) -> Result<usize> {
        crate::migrate::run(&self.db).await
    }

    /// Answers when the database does (for readiness probes).
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await
    }

    pub fn backend(&self) -> crate::Backend {
        self.db.backend()
    }

    /// How many write transactions were run again after losing a lock conflict (see
    /// [`Db::write`]): a measure of contention, for tests and metrics.
    pub fn write_retries(&self) -> u64 {
        self.db.write_retries()
    }

    pub async fn close(&self) {
        self.db.close().await
    }

    /// Organisations as a whole: creation, plans (platform-level, not org-scoped).
    pub fn orgs(&self) -> Orgs<'_> {
        Orgs {
            db: &self.db,
            keys: &self.keys,
        }
    }

    /// Looks up who a credential belongs to (login, session cookie, API key).
    pub fn credentials(&self) -> Credentials<'_> {
        Credentials {
            db: &self.db,
            keys: &self.keys,
        }
    }

    /// People's accounts across the organisations they belong to.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts { db: &self.db }
    }

    /// Invitations found by their token (the link is the credential).
    pub fn invites(&self) -> Invites<'_> {
        Invites { db: &self.db }
    }

    /// Documents found by ID alone, for signed download links.
    pub fn linked_documents(&self) -> crate::documents::LinkedDocuments<'_> {
        crate::documents::LinkedDocuments { db: &self.db }
    }

    /// The outbox's events not yet delivered, for the consumers that work after the commit.
    pub fn outbox(&self) -> crate::events::OutboxReader<'_> {
        crate::events::OutboxReader { db: &self.db }
    }

    /// Everything owned by one organisation.
    pub fn org(&self, org: OrgId) -> OrgScope<'_> {
        OrgScope {
            db: &self.db,
            keys: &self.keys,
            org,
        }
    }
}

/// One organisation's data.
#[derive(Clone, Copy)]
pub struct OrgScope<'a> {
    pub(crate) db: &'a Db,
    pub(crate) keys: &'a KeyCache,
    pub(crate) org: OrgId,
}

impl<'a> OrgScope<'a> {
    pub fn id(&self) -> OrgId {
        self.org
    }
}

// Each context adds its repositories to `OrgScope` beside their definitions
// (`impl OrgScope { pub fn properties(&self) -> PropertyRepo … }`), so adding one touches no
// list here.
