//! `lintel admin …`: platform-level tasks done from the shell, outside any organisation's session.

use anyhow::{anyhow, bail, Context};
use lintel_app::identity::{create_organisation, Origin};
use lintel_app::AppError;
use lintel_domain::identity::access::NewApiKeyInput;
use lintel_domain::identity::RegisterInput;
use lintel_domain::{Actor, Feature, FieldError, OrgId, Role};
use lintel_store::{Store, StoreError};

use crate::cli::{AdminCommand, CreateApiKeyArgs, CreateOrgArgs, SetPlanArgs};

pub async fn run(store: &Store, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateOrg(a) => create_org(store, a).await,
        AdminCommand::SetPlan(a) => set_plan(store, a).await,
        AdminCommand::CreateApiKey(a) => create_api_key(store, a).await,
    }
}

async fn create_org(store: &Store, a: CreateOrgArgs) -> anyhow::Result<()> {
    let reg = RegisterInput {
        email: Some(a.admin_email),
        password: Some(a.admin_password),
        name: Some(a.admin_name),
        organisation_name: Some(a.name),
    }
    .validate()
    .map_err(|errs| {
        invalid(errs, |field| match field {
            "email" => "--admin-email",
            "password" => "--admin-password",
            "name" => "--admin-name",
            "organisationName" => "--name",
            other => other,
        })
    })?;

    let email = reg.email.as_str().to_string();
    let origin = Origin {
        plan: a.plan,
        demo_slug: None,
    };
    let (org, user) = create_organisation(store, reg, origin)
        .await
        .map_err(|e| match e {
            AppError::Store(StoreError::Conflict(_)) => {
                anyhow!("a user with e-mail {email} already exists")
            }
            other => anyhow::Error::new(other).context("creating the organisation"),
        })?;

    println!(
        "Created organisation \"{}\" on the {} plan.",
        org.name,
        org.plan.label()
    );
    println!("Organisation ID: {}", org.id);
    println!("Admin user ID:   {}", user.id);
    println!("Admin login:     {}", user.email);
    Ok(())
}

async fn set_plan(store: &Store, a: SetPlanArgs) -> anyhow::Result<()> {
    let id = parse_org(&a.org)?;
    let org = store
        .orgs()
        .set_plan(&Actor::system(), id, a.plan)
        .await
        .map_err(|e| not_found(e, &a.org))?;
    println!(
        "Organisation {} (\"{}\") is now on the {} plan.",
        org.id,
        org.name,
        org.plan.label()
    );
    Ok(())
}

async fn create_api_key(store: &Store, a: CreateApiKeyArgs) -> anyhow::Result<()> {
    let id = parse_org(&a.org)?;
    let (name, role) = NewApiKeyInput {
        name: Some(a.name),
        role: Some(a.role.as_str().to_string()),
    }
    .validate()
    .map_err(|errs| invalid(errs, |f| if f == "name" { "--name" } else { "--role" }))?;
    let org = store
        .orgs()
        .get(id)
        .await
        .map_err(|e| not_found(e, &a.org))?;
    let (key, secret) = issue_key(store, org.id, name, role).await?;

    println!(
        "Created API key {} (\"{}\", role {}) for {}.",
        key.id, key.name, key.role, org.id
    );
    println!("API key: {secret}");
    println!("Store it now: it is shown only once. Send it as `Authorization: Bearer <key>`.");
    if !org.plan.has(Feature::ApiAccess) {
        eprintln!(
            "warning: \"{}\" is on the {} plan; API keys authenticate only on the {} plan \
             (lintel admin set-plan --org {} --plan {}).",
            org.name,
            org.plan.label(),
            lintel_domain::Plan::lowest_with(Feature::ApiAccess).label(),
            org.id,
            lintel_domain::Plan::lowest_with(Feature::ApiAccess),
        );
    }
    Ok(())
}

/// Issues an API key as the system (the CLI has no user); the secret is returned once.
pub async fn issue_key(
    store: &Store,
    org: OrgId,
    name: String,
    role: Role,
) -> anyhow::Result<(lintel_domain::identity::access::ApiKey, String)> {
    lintel_app::identity::issue_api_key(store, &Actor::system(), org, name, role)
        .await
        .context("creating the API key")
}

fn parse_org(raw: &str) -> anyhow::Result<OrgId> {
    raw.trim()
        .parse::<OrgId>()
        .map_err(|e| anyhow!("invalid value '{raw}' for '--org': {e}"))
}

fn not_found(e: StoreError, raw: &str) -> anyhow::Error {
    match e {
        StoreError::NotFound => anyhow!("no organisation with ID {raw}"),
        other => anyhow::Error::new(other),
    }
}

/// One error listing every invalid flag, named as the user typed it.
fn invalid(errs: Vec<FieldError>, flag: impl Fn(&str) -> &str) -> anyhow::Error {
    let lines: Vec<String> = errs
        .iter()
        .map(|e| format!("  {}: {}", flag(&e.field), e.message))
        .collect();
    anyhow!("invalid input:\n{}", lines.join("\n"))
}

/// Fails unless `errs` is empty (used by the demo data, which must pass the API's own rules).
pub fn ensure_valid<T>(what: &str, r: Result<T, Vec<FieldError>>) -> anyhow::Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(errs) => {
            let detail: Vec<String> = errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            bail!("{what} is invalid: {}", detail.join("; "))
        }
    }
}
