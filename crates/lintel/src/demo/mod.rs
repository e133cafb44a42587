//! `lintel demo`: a demo organisation with a realistic portfolio, created once.
//!
//! The organisation is marked with a demo slug, so a second run finds it instead of creating
//! another. Every run sets the demo users' password (a new random one unless `--password` is
//! given), revokes the demo API key an earlier run printed and issues a new one, so the
//! credentials printed always work and earlier ones stop working.

mod data;
mod money;
mod portfolio;
mod tenancy;

use anyhow::Context;
use lintel_app::identity::{create_organisation, Origin};
use lintel_app::AppError;
use lintel_domain::identity::{NewMemberInput, Organisation, RegisterInput};
use lintel_domain::portfolio::{Availability, PropertySort};
use lintel_domain::{Actor, Limit, PageRequest, Plan, Role, UserId};
use lintel_store::portfolio::properties::PropertyFilter;
use lintel_store::{Store, StoreError};
use rand::Rng;

use crate::admin::{ensure_valid, issue_key};
use crate::config::Config;

const SLUG: &str = "harbourline";
const ORG_NAME: &str = "Harbourline Residential (demo)";
const ADMIN_EMAIL: &str = "demo@harbourline.example";
const ADMIN_NAME: &str = "Avery Marsh";
/// The name every demo API key starts with; a run revokes the earlier ones.
const KEY_NAME: &str = "Demo key";

/// The member who is also a tenant: their profile is linked to their account.
const TENANT_EMAIL: &str = "jordan.lee@harbourline.example";
/// The first page, for "is there any yet?".
const FIRST: PageRequest = PageRequest {
    page: 1,
    page_size: 1,
};

/// The other members: `(role, name, email)`; they share the demo password.
const MEMBERS: &[(Role, &str, &str)] = &[
    (
        Role::Landlord,
        "Eleanor Whitcombe",
        "eleanor.whitcombe@harbourline.example",
    ),
    (
        Role::PropertyManager,
        "Marcus Okafor",
        "marcus.okafor@harbourline.example",
    ),
    (
        Role::Broker,
        "Priya Raman",
        "priya.raman@harbourline.example",
    ),
    (Role::Tenant, "Jordan Lee", "jordan.lee@harbourline.example"),
];

pub async fn run(store: &Store, config: &Config, password: Option<String>) -> anyhow::Result<()> {
    let (password, chosen) = match password {
        Some(p) => (p, true),
        None => (random_password(), false),
    };
    let reg = ensure_valid(
        "the demo password",
        RegisterInput {
            email: Some(ADMIN_EMAIL.into()),
            password: Some(password.clone()),
            name: Some(ADMIN_NAME.into()),
            organisation_name: Some(ORG_NAME.into()),
        }
        .validate(),
    )?;
    let (org, created) = find_or_create(store, reg).await?;

    // A run interrupted half-way left an organisation without its data: finish the job.
    let seeded = if property_count(store, &org).await? == 0 {
        // Most of the demo's units are let in Canadian dollars.
        let settings = lintel_domain::identity::OrganisationSettings {
            base_currency: lintel_domain::money::Currency::parse("CAD"),
            ..Default::default()
        };
        store
            .orgs()
            .update_settings(&lintel_domain::Actor::system(), org.id, &settings)
            .await
            .context("setting the demo's base currency")?;
        Some(
            portfolio::seed(store, org.id, org.plan)
                .await
                .context("creating the demo portfolio")?,
        )
    } else {
        None
    };
    let added = add_missing_members(store, &org, &password).await?;
    let tenancy = if store
        .org(org.id)
        .tenants()
        .list(&Default::default(), FIRST)
        .await?
        .total
        == 0
    {
        let jordan = store.credentials().login(TENANT_EMAIL).await?.map(|a| a.id);
        let t = tenancy::seed(store, config, org.id, jordan)
            .await
            .context("creating the demo tenancy")?;
        let m = match t.first_lease {
            Some(lease) => money::seed(store, org.id, lease)
                .await
                .context("recording the demo payments")?,
            None => money::Seeded::default(),
        };
        Some((t, m))
    } else {
        None
    };
    set_passwords(store, &org, &password).await?;
    let revoked = revoke_earlier_keys(store, &org).await?;

    let key_name = format!("{KEY_NAME} ({})", today());
    let (key, secret) = issue_key(store, org.id, key_name, Role::Admin).await?;

    if created {
        println!(
            "Created the demo organisation \"{}\" on the {} plan.",
            org.name,
            org.plan.label()
        );
    } else {
        println!(
            "The demo organisation \"{}\" already exists; nothing was duplicated.",
            org.name
        );
    }
    if let Some(s) = seeded {
        println!(
            "Portfolio: {} buildings, {} properties, {} units.",
            s.buildings, s.properties, s.units
        );
    }
    if let Some((t, m)) = tenancy {
        println!(
            "Tenancy: {} tenants, {} leases (active, pending signature, draft, ended), a lease document and a renewal offer waiting for an answer.",
            t.tenants, t.leases
        );
        println!(
            "Money: a year of rent and the deposit on the active lease, {} payments (bank transfer, cash, cheque, card), {} refund, {} bounced cheque returned with a fee; the latest month still owed, {} card payment for it pending at Stripe.",
            m.payments, m.refunds, m.returns, m.pending
        );
    }
    if added > 0 {
        println!("Members added: {added}.");
    }
    println!("Organisation ID: {}", org.id);
    println!();
    let origin = if chosen {
        "the password given with --password"
    } else {
        "a new random password, set on every run; choose one with --password"
    };
    println!("Admin login ({origin}; do not use the demo for real data):");
    println!("  Email:    {ADMIN_EMAIL}");
    println!("  Password: {password}");
    println!("Other members, same password:");
    for (role, _, email) in MEMBERS {
        println!("  {:<17} {email}", role.as_str());
    }
    println!(
        "Tenant login: {TENANT_EMAIL} sees their own lease, its document and the renewal offer (answer it with POST /api/lease-renewals/{{id}}/respond)."
    );
    println!();
    if revoked > 0 {
        println!("Revoked the demo API key printed by the previous run.");
    }
    println!(
        "API key ({}, role admin, shown once; a new one is issued on every run):",
        key.id
    );
    println!("API key: {secret}");
    let host = config.bind.trim().replace("0.0.0.0", "127.0.0.1");
    println!("Try it: curl -H \"Authorization: Bearer {secret}\" http://{host}/api/properties");
    Ok(())
}

/// 20 characters from an alphabet without look-alikes (about 113 bits).
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The demo users' accounts, by email (those that exist).
async fn demo_accounts(store: &Store) -> anyhow::Result<Vec<UserId>> {
    let mut ids = Vec::new();
    for email in std::iter::once(ADMIN_EMAIL).chain(MEMBERS.iter().map(|m| m.2)) {
        if let Some(a) = store.credentials().login(email).await? {
            ids.push(a.id);
        }
    }
    Ok(ids)
}

/// Sets every demo user's password to the run's (their open sessions end).
async fn set_passwords(store: &Store, org: &Organisation, password: &str) -> anyhow::Result<()> {
    for user in demo_accounts(store).await? {
        let system = Actor::system();
        lintel_app::identity::set_password(store, &system, org.id, user, password.into(), None)
            .await
            .context("setting the demo password")?;
    }
    Ok(())
}

/// Revokes the live demo keys of earlier runs (issued by the system with the demo name).
async fn revoke_earlier_keys(store: &Store, org: &Organisation) -> anyhow::Result<usize> {
    let keys = store.org(org.id).api_keys();
    let mut revoked = 0;
    let mut page = 1;
    loop {
        let found = keys
            .list(PageRequest {
                page,
                page_size: 100,
            })
            .await?;
        for k in &found.items {
            let earlier = k.name.starts_with(KEY_NAME) && k.created_by.is_none();
            if earlier && k.revoked_at.is_none() {
                keys.revoke(&Actor::system(), k.id).await?;
                revoked += 1;
            }
        }
        if u64::from(page) >= found.total_pages {
            break;
        }
        page += 1;
    }
    Ok(revoked)
}

/// The demo organisation, creating it (with its admin) when it does not exist yet.
async fn find_or_create(
    store: &Store,
    reg: lintel_domain::identity::Registration,
) -> anyhow::Result<(Organisation, bool)> {
    if let Some(org) = store.orgs().find_demo(SLUG).await? {
        return Ok((org, false));
    }
    let origin = Origin {
        plan: Plan::Business,
        demo_slug: Some(SLUG),
    };
    match create_organisation(store, reg, origin).await {
        Ok((org, _)) => Ok((org, true)),
        // Another `lintel demo` got there first: use its organisation.
        Err(AppError::Store(StoreError::Conflict(c))) => {
            match store.orgs().find_demo(SLUG).await? {
                Some(org) => Ok((org, false)),
                None => anyhow::bail!(
                "cannot create the demo organisation: {ADMIN_EMAIL} already has an account ({c:?})"
            ),
            }
        }
        Err(e) => Err(e).context("creating the demo organisation"),
    }
}

async fn property_count(store: &Store, org: &Organisation) -> anyhow::Result<u64> {
    let filter = PropertyFilter {
        availability: Availability::Active,
        status: None,
        kind: None,
        q: None,
        sort: PropertySort::CreatedAt,
    };
    let page = PageRequest {
        page: 1,
        page_size: 1,
    };
    Ok(store
        .org(org.id)
        .properties()
        .list(&filter, page)
        .await?
        .total)
}

/// Adds the demo members that are not there yet; returns how many were added. An email that
/// already has an account joins with it.
async fn add_missing_members(
    store: &Store,
    org: &Organisation,
    password: &str,
) -> anyhow::Result<usize> {
    let members = store.org(org.id).members();
    let existing = members
        .list(PageRequest {
            page: 1,
            page_size: 100,
        })
        .await?
        .items
        .into_iter()
        .map(|u| u.email)
        .collect::<Vec<_>>();
    let limit = org.plan.cap(Limit::Members);
    let mut added = 0;
    for (role, name, email) in MEMBERS {
        if existing.iter().any(|e| e == email) {
            continue;
        }
        let m = ensure_valid(
            name,
            NewMemberInput {
                email: Some((*email).into()),
                name: Some((*name).into()),
                role: Some(role.as_str().into()),
                password: Some(password.into()),
            }
            .validate(),
        )?;
        let system = Actor::system();
        match store.credentials().login(m.email.as_str()).await? {
            Some(account) => {
                let joined = members.join(&system, account.id, m.role, limit).await;
                joined.context("adding demo members")?;
            }
            None => {
                let added = lintel_app::identity::add_member(store, &system, org.id, m, limit);
                added.await.context("adding demo members")?;
            }
        }
        added += 1;
    }
    Ok(added)
}

/// Today's date (UTC) as `YYYY-MM-DD`, to tell demo keys apart.
fn today() -> String {
    let mut s = lintel_domain::Timestamp::now().to_rfc3339();
    s.truncate(10);
    s
}
