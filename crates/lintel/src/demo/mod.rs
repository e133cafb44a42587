//! `lintel demo`: a demo organisation with a realistic portfolio, created once.
//!
//! The organisation is marked with a demo slug, so a second run finds it instead of creating
//! another; every run prints the admin login and a freshly issued API key, so the credentials
//! printed always work.

mod data;
mod portfolio;

use anyhow::Context;
use lintel_domain::identity::{NewMemberInput, Organisation, RegisterInput};
use lintel_domain::portfolio::{Availability, PropertySort};
use lintel_domain::{Actor, Limit, PageRequest, Plan, Role};
use lintel_store::identity::NewUserRecord;
use lintel_store::properties::PropertyFilter;
use lintel_store::{Store, StoreError};

use crate::admin::{ensure_valid, issue_key};
use crate::config::Config;

const SLUG: &str = "harbourline";
const ORG_NAME: &str = "Harbourline Residential (demo)";
const ADMIN_EMAIL: &str = "demo@harbourline.example";
const ADMIN_NAME: &str = "Avery Marsh";
/// The fixed demo password (passes the password policy). Printed on every run.
pub const DEMO_PASSWORD: &str = "harbourline-demo-2026";

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

pub async fn run(store: &Store, config: &Config) -> anyhow::Result<()> {
    let (org, created) = find_or_create(store).await?;

    // A run interrupted half-way left an organisation without its data: finish the job.
    let seeded = if property_count(store, &org).await? == 0 {
        Some(
            portfolio::seed(store, org.id, org.plan)
                .await
                .context("creating the demo portfolio")?,
        )
    } else {
        None
    };
    let added = add_missing_members(store, &org).await?;

    let key_name = format!("Demo key ({})", today());
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
    if added > 0 {
        println!("Members added: {added}.");
    }
    println!("Organisation ID: {}", org.id);
    println!();
    println!("Admin login (fixed demo password; do not use the demo for real data):");
    println!("  Email:    {ADMIN_EMAIL}");
    println!("  Password: {DEMO_PASSWORD}");
    println!("Other members, same password:");
    for (role, _, email) in MEMBERS {
        println!("  {:<17} {email}", role.as_str());
    }
    println!();
    println!(
        "API key ({}, role admin, shown once; a new one is issued on every run):",
        key.id
    );
    println!("API key: {secret}");
    let host = config.bind.trim().replace("0.0.0.0", "127.0.0.1");
    println!("Try it: curl -H \"Authorization: Bearer {secret}\" http://{host}/api/properties");
    Ok(())
}

/// The demo organisation, creating it (with its admin) when it does not exist yet.
async fn find_or_create(store: &Store) -> anyhow::Result<(Organisation, bool)> {
    if let Some(org) = store.orgs().find_demo(SLUG).await? {
        return Ok((org, false));
    }
    let reg = ensure_valid(
        "the demo admin",
        RegisterInput {
            email: Some(ADMIN_EMAIL.into()),
            password: Some(DEMO_PASSWORD.into()),
            name: Some(ADMIN_NAME.into()),
            organisation_name: Some(ORG_NAME.into()),
        }
        .validate(),
    )?;
    let admin = NewUserRecord {
        email: reg.email.as_str().to_string(),
        name: reg.name,
        password_hash: lintel_api::auth::hash_password(&reg.password)?,
    };
    match store
        .orgs()
        .create_with_admin(&reg.organisation_name, Plan::Business, admin, Some(SLUG))
        .await
    {
        Ok((org, _)) => Ok((org, true)),
        // Another `lintel demo` got there first: use its organisation.
        Err(StoreError::Conflict(c)) => match store.orgs().find_demo(SLUG).await? {
            Some(org) => Ok((org, false)),
            None => anyhow::bail!(
                "cannot create the demo organisation: {ADMIN_EMAIL} is already used by another \
                 organisation ({c})"
            ),
        },
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

/// Adds the demo members that are not there yet; returns how many were added.
async fn add_missing_members(store: &Store, org: &Organisation) -> anyhow::Result<usize> {
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
                password: Some(DEMO_PASSWORD.into()),
            }
            .validate(),
        )?;
        let record = NewUserRecord {
            email: m.email.as_str().to_string(),
            name: m.name,
            password_hash: lintel_api::auth::hash_password(&m.password)?,
        };
        match members
            .add(
                &Actor::system(),
                record,
                m.role,
                org.plan.limit(Limit::Members),
            )
            .await
        {
            Ok(_) => added += 1,
            Err(StoreError::Conflict(_)) => {
                eprintln!("warning: {email} belongs to another organisation; not added to the demo")
            }
            Err(e) => return Err(e).context("adding demo members"),
        }
    }
    Ok(added)
}

/// Today's date (UTC) as `YYYY-MM-DD`, to tell demo keys apart.
fn today() -> String {
    let mut s = lintel_domain::Timestamp::now().to_rfc3339();
    s.truncate(10);
    s
}
