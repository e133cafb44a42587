//! Tenants: the people who rent, with their contacts, references, ID check and — once invited —
//! their own account.

mod input;

use serde::{Deserialize, Serialize};

pub use input::{
    ContactInput, ReferenceInput, TenantInput, TenantPatchInput, REFERENCES_MAX, TENANT_NAME_MAX,
};

use crate::id::{OrgId, TenantId, UserId};
use crate::portfolio::Address;
use crate::time::{Date, Timestamp};
use crate::validation::{FieldError, Validator};

crate::string_enum! {
    /// Where a tenant stands, from their leases: `prospect` before any lease is in force,
    /// `current` while one is, `past` once every lease that was in force has ended.
    TenantStatus {
        Prospect => "prospect",
        Current => "current",
        Past => "past",
    }
}

crate::string_enum! {
    /// The check of a tenant's identity documents.
    IdVerificationStatus {
        /// No ID document uploaded yet.
        NotStarted => "not_started",
        /// A document was uploaded and waits for review.
        Pending => "pending",
        Verified => "verified",
        Rejected => "rejected",
    }
}

/// Someone to reach in an emergency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub name: String,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A personal or professional reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    pub name: String,
    pub relationship: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
}

/// The state of a tenant's ID check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdVerification {
    pub status: IdVerificationStatus,
    /// The reviewer's note on the decision.
    pub note: Option<String>,
    /// Who verified or rejected (a user or API key ID).
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Timestamp>,
}

/// A tenant as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub organisation_id: OrgId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<Date>,
    pub address: Option<Address>,
    pub emergency_contact: Option<Contact>,
    pub references: Vec<Reference>,
    pub notes: Option<String>,
    pub status: TenantStatus,
    pub id_verification: IdVerification,
    /// The account the tenant signs in with, once they accepted an invitation.
    pub user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A tenant with their leases and payments (`GET /api/tenants/{id}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantDetail {
    #[serde(flatten)]
    pub tenant: Tenant,
    /// Every lease the tenant is on, newest first.
    pub leases: Vec<crate::leasing::Lease>,
    /// The latest 50 payments on the tenant's leases, newest first (all of them through
    /// `GET /api/payments?tenantId=`).
    pub payments: Vec<crate::ledger::Payment>,
    /// What the tenant's leases owe now, in their currency: charges posted less payments and
    /// credits (negative when in credit). `null` before anything was posted.
    pub balance: Option<crate::money::MoneyDto>,
    /// The same per currency, when the leases are in more than one.
    pub balances: Vec<crate::money::MoneyDto>,
}

/// A tenant ready to be stored (also the whole of a replacement).
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<Date>,
    pub address: Option<Address>,
    pub emergency_contact: Option<Contact>,
    pub references: Vec<Reference>,
    pub notes: Option<String>,
}

/// A checked change of a tenant.
#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub date_of_birth: Option<Option<Date>>,
    pub address: Option<Option<Address>>,
    pub emergency_contact: Option<Option<Contact>>,
    pub references: Option<Vec<Reference>>,
    pub notes: Option<Option<String>>,
}

impl NewTenant {
    /// Writes these fields over a tenant's (a replacement).
    pub fn replace(self, t: &mut Tenant) {
        t.first_name = self.first_name;
        t.last_name = self.last_name;
        t.email = self.email;
        t.phone = self.phone;
        t.date_of_birth = self.date_of_birth;
        t.address = self.address;
        t.emergency_contact = self.emergency_contact;
        t.references = self.references;
        t.notes = self.notes;
    }
}

impl TenantPatch {
    /// Applies the change to a tenant's fields.
    pub fn apply(self, t: &mut Tenant) {
        if let Some(v) = self.first_name {
            t.first_name = v;
        }
        if let Some(v) = self.last_name {
            t.last_name = v;
        }
        if let Some(v) = self.email {
            t.email = v;
        }
        if let Some(v) = self.phone {
            t.phone = v;
        }
        if let Some(v) = self.date_of_birth {
            t.date_of_birth = v;
        }
        if let Some(v) = self.address {
            t.address = v;
        }
        if let Some(v) = self.emergency_contact {
            t.emergency_contact = v;
        }
        if let Some(v) = self.references {
            t.references = v;
        }
        if let Some(v) = self.notes {
            t.notes = v;
        }
    }
}

/// `PATCH /api/tenants/{id}/id-verification`: the reviewer's decision.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdDecisionInput {
    #[schema(required = true, schema_with = decision_schema)]
    pub status: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Passport checked in person."
    )]
    pub note: Option<String>,
}

/// `IdDecisionInput.status`: the two outcomes of a review, of the four ID statuses.
fn decision_schema() -> utoipa::openapi::schema::Object {
    let outcomes = [
        IdVerificationStatus::Verified,
        IdVerificationStatus::Rejected,
    ];
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .description(Some("`verified` or `rejected`."))
        .enum_values(Some(outcomes.map(IdVerificationStatus::as_str)))
        .examples([serde_json::json!("verified")])
        .build()
}

/// A checked ID decision.
#[derive(Debug, Clone)]
pub struct IdDecision {
    pub status: IdVerificationStatus,
    pub note: Option<String>,
}

impl IdDecisionInput {
    pub fn validate(self) -> Result<IdDecision, Vec<FieldError>> {
        let mut v = Validator::new();
        let status = v.required("status", self.status.as_deref()).and_then(|s| {
            match s.trim().parse::<IdVerificationStatus>() {
                Ok(st @ (IdVerificationStatus::Verified | IdVerificationStatus::Rejected)) => {
                    Some(st)
                }
                _ => {
                    v.error("status", "must be one of: verified, rejected");
                    None
                }
            }
        });
        let note = v.opt_multiline("note", self.note.as_deref(), 1000);
        v.finish(|| IdDecision {
            status: status.unwrap(),
            note,
        })
    }
}
