//! The demo's tenancy: tenants on vacant units, leases in several statuses, a lease document,
//! and a renewal offer waiting for the tenant who can sign in (the demo's `tenant` member).
//!
//! Built from the API's own `*Input` structs, validated, and written through the same store
//! and use cases as HTTP requests.

use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use lintel_app::documents::{self, Storage};
use lintel_blobs::{Blobs, LinkSigner};
use lintel_domain::documents::UploadFields;
use lintel_domain::leasing::{
    LeaseInput, LeaseStatus, RenewalInput, StatusChangeRequest, TenantInput,
};
use lintel_domain::money::MoneyDto;
use lintel_domain::portfolio::UnitStatus;
use lintel_domain::{Actor, Cap, Date, LeaseId, OrgId, PageRequest, UserId};
use lintel_store::portfolio::units::UnitFilter;
use lintel_store::Store;

use crate::admin::ensure_valid;
use crate::config::Config;

/// What was created.
#[derive(Debug, Default)]
pub struct Seeded {
    pub tenants: usize,
    pub leases: usize,
    /// The lease of the tenant who can sign in (active, back-filled with a year of rent).
    pub first_lease: Option<LeaseId>,
}

/// `(first, last, email, statuses the lease goes through, start and end in days from today)`:
/// dates move with the day the demo is made, so the offer below is always open.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [LeaseStatus],
    i64,
    Option<i64>,
);

const TENANTS: &[Spec] = &[
    (
        "Jordan",
        "Lee",
        "jordan.lee@harbourline.example",
        &[LeaseStatus::Active],
        -330,
        Some(35),
    ),
    (
        "Sofia",
        "Marchetti",
        "sofia.marchetti@harbourline.example",
        &[LeaseStatus::PendingSignature],
        40,
        Some(405),
    ),
    (
        "Kwame",
        "Mensah",
        "kwame.mensah@harbourline.example",
        &[],
        60,
        None,
    ),
    (
        "Hannah",
        "Berg",
        "hannah.berg@harbourline.example",
        &[
            LeaseStatus::Active,
            LeaseStatus::NoticeGiven,
            LeaseStatus::Ended,
        ],
        -700,
        Some(-335),
    ),
];

/// `today` moved by `days`, as `YYYY-MM-DD`.
fn day(today: Date, days: i64) -> String {
    today.add_days(days).to_string()
}

/// A short lease summary, filed as the first tenant's lease document.
const LEASE_NOTE: &str = "Residential lease summary\n\nTwelve months, rent due on the 1st.\n";

pub async fn seed(
    store: &Store,
    config: &Config,
    org: OrgId,
    tenant_user: Option<UserId>,
) -> anyhow::Result<Seeded> {
    let actor = Actor::system();
    let scope = store.org(org);
    let filter = UnitFilter {
        property_id: None,
        status: Some(UnitStatus::Vacant),
    };
    let page = PageRequest {
        page: 1,
        page_size: 20,
    };
    let units = scope.units().list(&filter, page).await?.items;
    let units: Vec<_> = units.into_iter().filter(|u| u.rent.is_some()).collect();
    anyhow::ensure!(
        units.len() >= TENANTS.len(),
        "the demo portfolio has too few vacant units"
    );
    let mut seeded = Seeded::default();
    let mut first_lease: Option<LeaseId> = None;
    let today = Date::today_in("UTC");
    for ((first, last, email, path, start, end), unit) in TENANTS.iter().zip(&units) {
        let input = TenantInput {
            first_name: Some(first.to_string()),
            last_name: Some(last.to_string()),
            email: Some(email.to_string()),
            phone: Some("+1 902 555 0100".into()),
            ..Default::default()
        };
        let tenant = scope
            .tenants()
            .create(&actor, ensure_valid("a demo tenant", input.validate())?)
            .await?;
        seeded.tenants += 1;
        let rent: &MoneyDto = unit.rent.as_ref().expect("filtered on rent");
        let input = LeaseInput {
            unit_id: Some(unit.id.to_string()),
            tenant_ids: Some(vec![tenant.id.to_string()]),
            start_date: Some(day(today, *start)),
            end_date: end.map(|e| day(today, e)),
            rent: Some(rent.clone()),
            deposit: Some(rent.clone()),
            notes: Some("Demo lease.".into()),
            ..Default::default()
        };
        let lease = scope
            .leases()
            .create(&actor, &ensure_valid("a demo lease", input.validate())?)
            .await?;
        seeded.leases += 1;
        for status in *path {
            let req = StatusChangeRequest {
                status: *status,
                reason: Some("Demo data.".into()),
                effective_date: None,
            };
            scope
                .leases()
                .change_status(&actor, lease.id, &req, Cap::Unlimited)
                .await?;
        }
        if first_lease.is_none() {
            first_lease = Some(lease.id);
            if let Some(user) = tenant_user {
                scope
                    .tenants()
                    .link_account(&actor, tenant.id, user)
                    .await?;
            }
            file_lease_note(store, config, org, &actor, lease.id).await?;
        }
    }
    seeded.first_lease = first_lease;
    if let Some(lease) = first_lease {
        let offer = RenewalInput {
            lease_id: Some(lease.to_string()),
            rent: Some(units[0].rent.clone().expect("filtered on rent")),
            end_date: Some(day(today, 400)),
            offer_expires_on: Some(day(today, 14)),
            message: Some("We would love you to stay another year.".into()),
            ..Default::default()
        };
        let offer = ensure_valid("a demo renewal offer", offer.validate())?;
        scope
            .renewals()
            .create(&actor, &offer)
            .await
            .context("the demo renewal offer")?;
    }
    Ok(seeded)
}

/// Files a short text document with the first lease, in the configured storage.
async fn file_lease_note(
    store: &Store,
    config: &Config,
    org: OrgId,
    actor: &Actor,
    lease: LeaseId,
) -> anyhow::Result<()> {
    let blobs = Blobs::open(&config.storage.backend(&config.data_dir))?;
    let links = LinkSigner::random();
    let storage = Storage {
        blobs: &blobs,
        links: &links,
        link_ttl: Duration::from_secs(config.storage.signed_url_ttl_secs),
    };
    let fields = UploadFields {
        entity_type: Some("lease".into()),
        entity_id: Some(lease.to_string()),
        category: Some("lease".into()),
        name: Some("Lease summary.txt".into()),
        file_name: Some("lease-summary.txt".into()),
        file_size: Some(LEASE_NOTE.len()),
    };
    let meta = ensure_valid("the demo lease document", fields.validate())?;
    let bytes = Bytes::from_static(LEASE_NOTE.as_bytes());
    documents::upload(store, storage, org, actor, meta, bytes, Cap::Unlimited).await?;
    Ok(())
}
