//! Fixtures for the sweeps: organisation A (BUSINESS, so API keys work) with one record of every
//! kind a path parameter can name (a document uploaded through the API, with its download
//! link; tenants, leases, renewal offers and a notification, see `fixtures/leasing.rs`), a
//! signed-in user and an API key for every role; and an organisation B that must never see any
//! of it.

mod leasing;

pub use leasing::{lease_body, renewal_body, tenant_body, Leasing, LEASE_YEAR};

use lintel_api::auth::{hash_password, issue_api_key, secrets};
use lintel_domain::{Actor, OrgId, Plan, Role, Timestamp, UserId};
use lintel_store::identity::{NewSession, NewUserRecord};
use serde_json::{json, Value};

use super::spec::{ref_name, Operation};
use crate::support::{create_property, Client, TestApp, TestOrg, PASSWORD};

/// A fresh suffix for unique names and emails.
pub fn unique() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

fn hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

/// A user of `org` with `role`, created in the store; returns their ID and email.
pub async fn user(app: &TestApp, org: OrgId, role: Role, tag: &str) -> (UserId, String) {
    let email = format!("{tag}-{}@example.com", unique());
    let rec = NewUserRecord {
        email: email.clone(),
        name: format!("{tag} {role}"),
        password_hash: hash(),
    };
    let members = app.store().org(org).members();
    let u = members
        .add(&Actor::system(), rec, role, lintel_domain::Cap::Unlimited)
        .await
        .unwrap();
    (u.id, email)
}

/// A new session of `user`; returns its ID and a client using it.
pub async fn session(app: &TestApp, org: OrgId, user: UserId) -> (String, Client) {
    let (token, csrf) = (secrets::random_token(), secrets::random_token());
    let new = NewSession {
        user_id: user,
        token_hash: secrets::lookup_hash(&token),
        csrf_hash: secrets::lookup_hash(&csrf),
        user_agent: Some("reliability".into()),
        ip: None,
        expires_at: Timestamp(Timestamp::now().0 + 3_600_000),
    };
    let id = app.store().org(org).sessions().create(new).await.unwrap();
    let client = Client::Session {
        cookie: token,
        csrf,
    };
    (id.to_string(), client)
}

/// The session and API-key clients of one role.
pub struct RoleClients {
    pub role: Role,
    pub session: Client,
    pub key: Client,
}

/// Organisation A and its records.
pub struct Fixtures {
    pub org: TestOrg,
    /// Every role, tenant to admin, each a separate user.
    pub clients: Vec<RoleClients>,
    pub building: String,
    pub property: String,
    pub property2: String,
    pub unit: String,
    /// A PDF filed with the draft lease, so that the tenant user may read it too.
    pub document: String,
    /// A custom account of the chart.
    pub account: String,
    /// The owner-equity system account.
    pub equity_account: String,
    /// A manual journal entry on [`Fixtures::account`].
    pub entry: String,
    /// A charge on a lease in force.
    pub charge: String,
    /// A cash payment on the lease in force, large enough for many small refunds.
    pub payment: String,
    /// A bank-transfer payment on it, for the operation that returns it unpaid.
    pub returnable: String,
    /// A draft invoice holding a charge of its own on the lease in force.
    pub invoice: String,
    /// An open charge on no invoice, for the body that creates one.
    pub invoiceable: String,
    /// Tenants, leases, renewal offers and a notification, all on `unit`.
    pub leasing: Leasing,
    /// The query of the document's download link (`expires`, `signature`), as
    /// `GET /api/documents/{id}` gave it.
    pub download: Vec<(String, String)>,
    /// A member nobody signs in as (the target of member operations).
    pub member: String,
    /// An API key nobody uses (the target of revocation).
    pub api_key: String,
    pub api_key_secret: String,
    /// A second session of the tenant user (the target of session operations).
    pub session: String,
    pub session_client: Client,
    /// The tenant's email (password [`PASSWORD`]), for sign-in bodies.
    pub login_email: String,
    /// A pending invitation (the target of invitation operations).
    pub invitation: String,
    /// The token of another pending invitation, for the acceptance body.
    pub invite_token: String,
    /// Every ID and unique name of A: none may appear in an answer to B.
    pub markers: Vec<String>,
}

async fn post_id(app: &TestApp, path: &str, client: &Client, body: Value) -> String {
    let r = app.post(path, client, body).await;
    assert!(r.status.is_success(), "fixture {path}: {}", r.text);
    r.data()["id"].as_str().unwrap().to_string()
}

/// The query of the download link `GET /api/documents/{id}` gives (a relative URL: no public
/// URL is configured).
async fn download_link(app: &TestApp, client: &Client, id: &str) -> Vec<(String, String)> {
    let r = app.get(&format!("/api/documents/{id}"), client).await;
    assert!(r.status.is_success(), "fixture document: {}", r.text);
    let url = r.data()["downloadUrl"].as_str().unwrap_or_default();
    let path = format!("/api/documents/{id}/download?");
    let query = url.strip_prefix(&path);
    let query = query.unwrap_or_else(|| panic!("fixture download link {url:?}"));
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Fixtures {
    pub async fn build(app: &TestApp) -> Fixtures {
        let org = app.org(Plan::Business).await;
        // An admin key no client of the sweeps uses: organisation A holds one more credential.
        app.key(&org, Role::Admin).await;
        let n = unique();
        let mut clients = Vec::new();
        let mut tenant = None;
        for role in Role::ALL.iter().copied() {
            let (id, email) = user(app, org.id, role, "sweep").await;
            let session = app.session_for(org.id, id).await;
            let key = app.key(&org, role).await;
            if role == Role::Tenant {
                tenant = Some((id, email));
            }
            clients.push(RoleClients { role, session, key });
        }
        let (tenant_id, login_email) = tenant.unwrap();
        let (session, session_client) = self::session(app, org.id, tenant_id).await;
        let (member_id, member_email) = user(app, org.id, Role::Broker, "victim").await;
        let building_name = format!("Alpha Tower {n}");
        let building = post_id(
            app,
            "/api/buildings",
            &org.admin,
            json!({"name": building_name, "description": "fixture"}),
        )
        .await;
        let prop_name = format!("Alpha House {n}");
        let prop2_name = format!("Alpha Annex {n}");
        let property = create_property(app, &org.admin, &prop_name).await;
        let property2 = create_property(app, &org.admin, &prop2_name).await;
        let unit_name = format!("Alpha Unit {n}");
        let unit = post_id(
            app,
            &format!("/api/properties/{property}/units"),
            &org.admin,
            json!({"name": unit_name, "description": "fixture"}),
        )
        .await;
        let tenant_user = clients.iter().find(|c| c.role == Role::Tenant).unwrap();
        let tenant_user = (tenant_id, &tenant_user.session);
        let leasing = Leasing::build(app, &org.admin, &unit, tenant_user, &n).await;
        let doc_name = format!("Alpha lease {n}.pdf");
        let document = app
            .upload_pdf(&org.admin, "lease", &leasing.lease, &doc_name)
            .await;
        let download = download_link(app, &org.admin, &document).await;
        let key_name = format!("Alpha key {n}");
        let (key, api_key_secret) = issue_api_key(
            app.store(),
            &Actor::system(),
            org.id,
            key_name.clone(),
            Role::Admin,
        )
        .await
        .unwrap();
        let api_key = key.id.to_string();
        let invite = |tag: &'static str| {
            let body = json!({"email": format!("{tag}-{n}@example.com"), "role": "tenant"});
            app.post("/api/members/invitations", &org.admin, body)
        };
        let r = invite("invited").await;
        assert!(r.status.is_success(), "fixture invitation: {}", r.text);
        let invitation = r.data()["invitation"]["id"].as_str().unwrap().to_string();
        let r = invite("accepting").await;
        assert!(r.status.is_success(), "fixture invitation: {}", r.text);
        let invite_token = r.data()["token"].as_str().unwrap().to_string();
        // A custom account (the system ones cannot be archived).
        let body = json!({"code": "9900", "name": format!("Alpha account {n}"), "type": "expense"});
        let r = app.post("/api/accounts", &org.admin, body).await;
        assert!(r.status.is_success(), "fixture account: {}", r.text);
        let account = r.data()["id"].as_str().unwrap().to_string();
        // A manual entry on it, balanced against owner equity, about the fixture lease (so every
        // filter of the journal's list finds it).
        let r = app.get("/api/accounts", &org.admin).await;
        let equity = r.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["system"] == "owner_equity")
            .map(|a| a["id"].as_str().unwrap().to_string())
            .unwrap();
        let body = json!({"entryDate": "2026-01-15", "memo": format!("Alpha entry {n}"), "lines": [
            {"accountId": account, "debit": {"amountMinor": 500, "currency": "CAD"},
             "propertyId": property, "unitId": unit, "leaseId": leasing.lease,
             "tenantId": leasing.tenant},
            {"accountId": equity, "credit": {"amountMinor": 500, "currency": "CAD"}},
        ]});
        let r = app.post("/api/journal-entries", &org.admin, body).await;
        assert!(r.status.is_success(), "fixture entry: {}", r.text);
        let entry = r.data()["id"].as_str().unwrap().to_string();
        let equity_account = equity;
        // A charge on a lease in force.
        let body = json!({"kind": "fee", "amount": {"amountMinor": 2500, "currency": "CAD"},
                          "dueDate": "2070-02-01", "description": format!("Alpha fee {n}")});
        let r = app
            .post(
                &format!("/api/leases/{}/charges", leasing.in_force),
                &org.admin,
                body,
            )
            .await;
        assert!(r.status.is_success(), "fixture charge: {}", r.text);
        let charge = r.data()["id"].as_str().unwrap().to_string();
        // Charges for invoices, apart from the fixture charge (which must stay voidable), posted
        // before the payments' credit could pay them: one on the fixture invoice, one for the
        // body that creates another.
        let mut invoice_charges = Vec::new();
        for due in ["2070-04-01", "2070-05-01"] {
            let body = json!({"kind": "fee", "amount": {"amountMinor": 100, "currency": "CAD"},
                              "dueDate": due, "description": format!("Alpha invoiced {n}")});
            let path = format!("/api/leases/{}/charges", leasing.in_force);
            let r = app.post(&path, &org.admin, body).await;
            assert!(r.status.is_success(), "fixture charge: {}", r.text);
            invoice_charges.push(r.data()["id"].as_str().unwrap().to_string());
        }
        let body = json!({"leaseId": leasing.in_force, "chargeIds": [invoice_charges[0]],
                          "dueDate": "2070-04-15", "notes": format!("Alpha invoice {n}")});
        let r = app.post("/api/invoices", &org.admin, body).await;
        assert!(r.status.is_success(), "fixture invoice: {}", r.text);
        let invoice = r.data()["id"].as_str().unwrap().to_string();
        let invoiceable = invoice_charges[1].clone();
        // Payments on the lease in force, held as credit (the fixture charge stays unpaid, so
        // that it can be voided): one to read and refund, one to return.
        let pay = |method: &str| {
            json!({"leaseId": leasing.in_force, "method": method, "allocations": [],
                   "amount": {"amountMinor": 1_000_000, "currency": "CAD"},
                   "reference": format!("Alpha {method} {n}")})
        };
        let r = app.post("/api/payments", &org.admin, pay("cash")).await;
        assert!(r.status.is_success(), "fixture payment: {}", r.text);
        let payment = r.data()["id"].as_str().unwrap().to_string();
        let r = app
            .post("/api/payments", &org.admin, pay("bank_transfer"))
            .await;
        assert!(r.status.is_success(), "fixture payment: {}", r.text);
        let returnable = r.data()["id"].as_str().unwrap().to_string();
        let mut markers = vec![
            invoice.clone(),
            charge.clone(),
            payment.clone(),
            returnable.clone(),
            account.clone(),
            entry.clone(),
            invitation.clone(),
            org.id.to_string(),
            building.clone(),
            property.clone(),
            property2.clone(),
            unit.clone(),
            document.clone(),
            member_id.to_string(),
            member_email.clone(),
            api_key.clone(),
            session.clone(),
            n.clone(),
            building_name,
            prop_name,
            unit_name,
            key_name,
        ];
        markers.extend(leasing.markers.iter().cloned());
        Fixtures {
            charge,
            payment,
            returnable,
            invoice,
            invoiceable,
            account,
            equity_account,
            entry,
            org,
            clients,
            building,
            property,
            property2,
            unit,
            document,
            download,
            leasing,
            member: member_id.to_string(),
            api_key,
            api_key_secret,
            session,
            session_client,
            login_email,
            invitation,
            invite_token,
            markers,
        }
    }

    /// The fixture a path or query parameter of type `schema_ref` (e.g. `PropertyId`) names.
    pub fn id_for(&self, schema_ref: &str) -> Option<String> {
        Some(match schema_ref {
            "PropertyId" => self.property.clone(),
            "UnitId" => self.unit.clone(),
            "BuildingId" => self.building.clone(),
            "UserId" => self.member.clone(),
            "ApiKeyId" => self.api_key.clone(),
            "SessionId" => self.session.clone(),
            "InvitationId" => self.invitation.clone(),
            "DocumentId" => self.document.clone(),
            "AccountId" => self.account.clone(),
            "JournalEntryId" => self.entry.clone(),
            "ChargeId" => self.charge.clone(),
            "PaymentId" => self.payment.clone(),
            "InvoiceId" => self.invoice.clone(),
            "TenantId" => self.leasing.tenant.clone(),
            "LeaseId" => self.leasing.lease.clone(),
            "LeaseRenewalId" => self.leasing.renewal.clone(),
            "NotificationId" => self.leasing.notification.clone(),
            _ => return None,
        })
    }

    /// The fixture the ID parameter `name` of `op` names: the record of its kind, or one of its
    /// own for an operation that would use up a record another still needs, or that needs it
    /// in another state.
    pub fn param_id(&self, op: &Operation, name: &str) -> Option<String> {
        let l = &self.leasing;
        let own = match (op.path.as_str(), name) {
            // Offers are made on leases in force; the fixture lease is a draft.
            ("/api/lease-renewals", "leaseId") => &l.in_force,
            // Answering the offer closes it, and so does withdrawing it.
            ("/api/lease-renewals/{id}/withdraw", "id") => &l.withdrawn,
            // The fixture tenant has an account already.
            ("/api/tenants/{id}/invite", "id") => &l.uninvited,
            // Charges are posted on leases that are or were in force, and listed by them.
            ("/api/leases/{id}/charges", "id") | ("/api/charges", "leaseId") => &l.in_force,
            // Payments are recorded on a lease in force; a returned payment is done with.
            ("/api/payments", "leaseId") | ("/api/invoices", "leaseId") => &l.in_force,
            ("/api/payments/{id}/return", "id") => &self.returnable,
            _ => {
                let param = op.params.iter().find(|p| p.name == name);
                let kind = param.and_then(|p| ref_name(&p.schema)).unwrap_or(name);
                return self.id_for(kind);
            }
        };
        Some(own.clone())
    }

    /// The value of the query parameter `name` in the document's download link.
    pub fn link_param(&self, name: &str) -> Option<String> {
        let (_, v) = self.download.iter().find(|(k, _)| k == name)?;
        Some(v.clone())
    }

    /// A real ID of another kind than `schema_ref` (a unit ID where a property is wanted).
    pub fn other_kind_id(&self, schema_ref: &str) -> String {
        match schema_ref {
            "PropertyId" => self.unit.clone(),
            _ => self.property.clone(),
        }
    }

    /// The session and key clients of `role`.
    pub fn role(&self, role: Role) -> &RoleClients {
        self.clients.iter().find(|c| c.role == role).unwrap()
    }

    /// The markers of A found in `text`.
    pub fn leaks<'a>(&'a self, text: &str) -> Vec<&'a str> {
        self.markers
            .iter()
            .filter(|m| text.contains(m.as_str()))
            .map(String::as_str)
            .collect()
    }
}

/// Organisation B: another BUSINESS organisation with its own admin, key and records.
pub struct OtherOrg {
    pub org: TestOrg,
    pub key: Client,
    pub building: String,
    pub property: String,
}

impl OtherOrg {
    pub async fn build(app: &TestApp) -> OtherOrg {
        let org = app.org(Plan::Business).await;
        let key = app.key(&org, Role::Admin).await;
        let building = post_id(
            app,
            "/api/buildings",
            &org.admin,
            json!({"name": format!("Beta Tower {}", unique())}),
        )
        .await;
        let property = create_property(app, &org.admin, "Beta House").await;
        OtherOrg {
            org,
            key,
            building,
            property,
        }
    }
}
