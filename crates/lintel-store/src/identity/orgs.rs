use lintel_domain::identity::{Organisation, User};
use lintel_domain::EventKind;
use lintel_domain::{Actor, OrgId, Plan, Role, Timestamp, UserId};
use sea_query::{Expr, Query};

use super::members::{insert_membership, insert_user, NewUserRecord};
use super::KeyCache;
use crate::db::{Db, Tx};
use crate::error::{parse_col, Result};
use crate::events::{self, Change};
use crate::identity::schema::Organisations as O;
use crate::locks;

#[derive(serde::Deserialize)]
pub(crate) struct OrgRow {
    id: String,
    name: String,
    plan: String,
    timezone: String,
    base_currency: String,
    created_at: i64,
}

impl OrgRow {
    pub(crate) fn into_org(self) -> Result<Organisation> {
        Ok(Organisation {
            id: parse_col("organisations.id", &self.id)?,
            name: self.name,
            plan: parse_col("organisations.plan", &self.plan)?,
            timezone: self.timezone,
            base_currency: self.base_currency,
            created_at: Timestamp(self.created_at),
        })
    }
}

pub(crate) const ORG_COLUMNS: [O; 6] = [
    O::Id,
    O::Name,
    O::Plan,
    O::Timezone,
    O::BaseCurrency,
    O::CreatedAt,
];

#[derive(serde::Deserialize)]
struct Base {
    base_currency: String,
}

/// The organisation's base currency.
pub(crate) async fn base_currency_in(db: &Db, org: OrgId) -> Result<String> {
    let base: Base = db
        .one(
            &Query::select()
                .column(O::BaseCurrency)
                .from(O::Table)
                .and_where(Expr::col(O::Id).eq(org.to_string()))
                .to_owned(),
        )
        .await?;
    Ok(base.base_currency)
}

/// Organisations as a whole (platform-level operations).
pub struct Orgs<'a> {
    pub(crate) db: &'a Db,
    pub(crate) keys: &'a KeyCache,
}

impl Orgs<'_> {
    /// Creates an organisation with its first admin (a new account), atomically. A taken email
    /// is a Conflict. `demo_slug` marks an organisation created by `lintel demo`, so it is
    /// created only once.
    pub async fn create_with_admin(
        &self,
        name: &str,
        plan: Plan,
        admin: NewUserRecord,
        demo_slug: Option<&str>,
    ) -> Result<(Organisation, User)> {
        let admin = &admin;
        self.db
            .write(move |mut tx| async move {
                let user_id = UserId::new();
                let actor = Actor::user(user_id, None);
                insert_user(&mut tx, user_id, admin).await?;
                let organisation = insert_org(&mut tx, &actor, name, plan, demo_slug).await?;
                let user =
                    insert_membership(&mut tx, &actor, organisation.id, user_id, Role::Admin)
                        .await?;
                tx.commit().await?;
                Ok((organisation, user))
            })
            .await
    }

    /// Creates an organisation whose first admin is an existing account (someone signed in who
    /// starts another organisation).
    pub async fn create_for(
        &self,
        actor: &Actor,
        user: UserId,
        name: &str,
        plan: Plan,
    ) -> Result<(Organisation, User)> {
        self.db
            .write(move |mut tx| async move {
                let organisation = insert_org(&mut tx, actor, name, plan, None).await?;
                let member =
                    insert_membership(&mut tx, actor, organisation.id, user, Role::Admin).await?;
                tx.commit().await?;
                Ok((organisation, member))
            })
            .await
    }

    pub async fn get(&self, id: OrgId) -> Result<Organisation> {
        let row: OrgRow = self
            .db
            .one(
                &Query::select()
                    .columns(ORG_COLUMNS)
                    .from(O::Table)
                    .and_where(Expr::col(O::Id).eq(id.to_string()))
                    .to_owned(),
            )
            .await?;
        row.into_org()
    }

    pub async fn find_demo(&self, slug: &str) -> Result<Option<Organisation>> {
        let row: Option<OrgRow> = self
            .db
            .opt(
                &Query::select()
                    .columns(ORG_COLUMNS)
                    .from(O::Table)
                    .and_where(Expr::col(O::DemoSlug).eq(slug))
                    .to_owned(),
            )
            .await?;
        row.map(OrgRow::into_org).transpose()
    }

    /// Changes the organisation's name or time zone (the fields given).
    pub async fn update_settings(
        &self,
        actor: &Actor,
        id: OrgId,
        settings: &lintel_domain::identity::OrganisationSettings,
    ) -> Result<Organisation> {
        self.db
            .write(move |mut tx| async move {
                locks::org(&mut tx, id).await?;
                let select = Query::select()
                    .columns(ORG_COLUMNS)
                    .from(O::Table)
                    .and_where(Expr::col(O::Id).eq(id.to_string()))
                    .to_owned();
                let before = tx.one::<OrgRow>(&select).await?.into_org()?;
                let mut values = vec![(O::UpdatedAt, Timestamp::now().0.into())];
                if let Some(name) = &settings.name {
                    values.push((O::Name, name.clone().into()));
                }
                if let Some(tz) = &settings.timezone {
                    values.push((O::Timezone, tz.clone().into()));
                }
                if let Some(c) = settings.base_currency {
                    values.push((O::BaseCurrency, c.code().into()));
                }
                tx.exec(
                    &Query::update()
                        .table(O::Table)
                        .values(values)
                        .and_where(Expr::col(O::Id).eq(id.to_string()))
                        .to_owned(),
                )
                .await?;
                let after = tx.one::<OrgRow>(&select).await?.into_org()?;
                let change = Change {
                    kind: EventKind::OrganisationUpdated,
                    entity_id: &id.to_string(),
                    before: Some(&before),
                    after: Some(&after),
                };
                events::emit(&mut tx, id, actor, change).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await
    }

    pub async fn set_plan(&self, actor: &Actor, id: OrgId, plan: Plan) -> Result<Organisation> {
        let after = self
            .db
            .write(move |mut tx| async move {
                let after = set_plan_in(&mut tx, actor, id, plan).await?;
                tx.commit().await?;
                Ok(after)
            })
            .await?;
        self.keys.clear();
        Ok(after)
    }
}

/// Moves organisation `id` to `plan` inside `tx`, with its event. The caller clears the key
/// cache (which holds plans) once `tx` commits.
pub(crate) async fn set_plan_in(
    tx: &mut Tx,
    actor: &Actor,
    id: OrgId,
    plan: Plan,
) -> Result<Organisation> {
    locks::org(tx, id).await?;
    let select = Query::select()
        .columns(ORG_COLUMNS)
        .from(O::Table)
        .and_where(Expr::col(O::Id).eq(id.to_string()))
        .to_owned();
    let before = tx.one::<OrgRow>(&select).await?.into_org()?;
    tx.exec(
        &Query::update()
            .table(O::Table)
            .values([
                (O::Plan, plan.as_str().into()),
                (O::UpdatedAt, Timestamp::now().0.into()),
            ])
            .and_where(Expr::col(O::Id).eq(id.to_string()))
            .to_owned(),
    )
    .await?;
    let after = tx.one::<OrgRow>(&select).await?.into_org()?;
    let change = Change {
        kind: EventKind::OrganisationPlanChanged,
        entity_id: &id.to_string(),
        before: Some(&before),
        after: Some(&after),
    };
    events::emit(tx, id, actor, change).await?;
    Ok(after)
}

/// Stores a new organisation and records `organisation.create`.
async fn insert_org(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    plan: Plan,
    demo_slug: Option<&str>,
) -> Result<Organisation> {
    let org = OrgId::new();
    let now = Timestamp::now().0;
    tx.exec(
        &Query::insert()
            .into_table(O::Table)
            .columns([
                O::Id,
                O::Name,
                O::Plan,
                O::DemoSlug,
                O::CreatedAt,
                O::UpdatedAt,
            ])
            .values_panic([
                org.to_string().into(),
                name.into(),
                plan.as_str().into(),
                demo_slug.map(str::to_string).into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    let row: OrgRow = tx
        .one(
            &Query::select()
                .columns(ORG_COLUMNS)
                .from(O::Table)
                .and_where(Expr::col(O::Id).eq(org.to_string()))
                .to_owned(),
        )
        .await?;
    crate::ledger::insert_chart(tx, org).await?;
    let organisation = row.into_org()?;
    let change = Change::<(), _> {
        kind: EventKind::OrganisationCreated,
        entity_id: &org.to_string(),
        before: None,
        after: Some(&organisation),
    };
    events::emit(tx, org, actor, change).await?;
    Ok(organisation)
}
