//! A tenant's row: read back into a [`Tenant`], and every column written from one.

use lintel_domain::leasing::{Contact, IdVerification, Reference, Tenant};
use lintel_domain::portfolio::Address;
use lintel_domain::{Date, Timestamp};
use sea_query::SimpleExpr;

use crate::error::{parse_col, Result, StoreError};
use crate::leasing::schema::Tenants as T;

#[derive(serde::Deserialize)]
pub(super) struct TenantRow {
    pub id: String,
    org_id: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
    date_of_birth: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    emergency_contact_json: Option<String>,
    references_json: String,
    notes: Option<String>,
    pub sort_name: String,
    status: String,
    id_status: String,
    id_note: Option<String>,
    id_reviewed_by: Option<String>,
    id_reviewed_at: Option<i64>,
    user_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn json<T: serde::de::DeserializeOwned>(col: &str, raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("tenants.{col}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("tenant json: {e}")))
}

impl TenantRow {
    pub(super) fn into_tenant(self) -> Result<Tenant> {
        let address = Address::from_parts(
            self.address_line1,
            self.address_line2,
            self.city,
            self.region,
            self.postal_code,
            self.country,
        );
        let emergency_contact: Option<Contact> = self
            .emergency_contact_json
            .as_deref()
            .map(|j| json("emergency_contact_json", j))
            .transpose()?;
        let references: Vec<Reference> = json("references_json", &self.references_json)?;
        let date_of_birth = match self.date_of_birth.as_deref() {
            Some(d) => Some(
                Date::parse(d)
                    .ok_or_else(|| StoreError::Corrupt(format!("tenants.date_of_birth: {d:?}")))?,
            ),
            None => None,
        };
        Ok(Tenant {
            id: parse_col("tenants.id", &self.id)?,
            organisation_id: parse_col("tenants.org_id", &self.org_id)?,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
            phone: self.phone,
            date_of_birth,
            address,
            emergency_contact,
            references,
            notes: self.notes,
            status: parse_col("tenants.status", &self.status)?,
            id_verification: IdVerification {
                status: parse_col("tenants.id_status", &self.id_status)?,
                note: self.id_note,
                reviewed_by: self.id_reviewed_by,
                reviewed_at: self.id_reviewed_at.map(Timestamp),
            },
            user_id: self
                .user_id
                .as_deref()
                .map(|u| parse_col("tenants.user_id", u))
                .transpose()?,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

pub(super) const COLUMNS: [T; 25] = [
    T::Id,
    T::OrgId,
    T::FirstName,
    T::LastName,
    T::Email,
    T::Phone,
    T::DateOfBirth,
    T::AddressLine1,
    T::AddressLine2,
    T::City,
    T::Region,
    T::PostalCode,
    T::Country,
    T::EmergencyContactJson,
    T::ReferencesJson,
    T::Notes,
    T::SortName,
    T::Status,
    T::IdStatus,
    T::IdNote,
    T::IdReviewedBy,
    T::IdReviewedAt,
    T::UserId,
    T::CreatedAt,
    T::UpdatedAt,
];

/// What `q` searches: names, email and the phone's digits, lower-cased.
fn search_text(t: &Tenant) -> String {
    let digits: String = t
        .phone
        .iter()
        .flat_map(|p| p.chars())
        .filter(char::is_ascii_digit)
        .collect();
    format!(
        "{} {}\n{}\n{}\n{}",
        t.first_name,
        t.last_name,
        t.email.as_deref().unwrap_or(""),
        t.phone.as_deref().unwrap_or(""),
        digits
    )
    .to_lowercase()
}

fn sort_name(t: &Tenant) -> String {
    format!("{} {}", t.last_name, t.first_name).to_lowercase()
}

/// Every stored column of `t`, for an insert or a whole-row update.
pub(super) fn values(t: &Tenant) -> Result<Vec<(T, SimpleExpr)>> {
    let [line1, line2, city, region, postal_code, country] = Address::parts(t.address.as_ref());
    let contact = t.emergency_contact.as_ref().map(to_json).transpose()?;
    let v = &t.id_verification;
    Ok(vec![
        (T::Id, t.id.to_string().into()),
        (T::OrgId, t.organisation_id.to_string().into()),
        (T::FirstName, t.first_name.clone().into()),
        (T::LastName, t.last_name.clone().into()),
        (T::Email, t.email.clone().into()),
        (T::Phone, t.phone.clone().into()),
        (
            T::DateOfBirth,
            t.date_of_birth.map(|d| d.to_string()).into(),
        ),
        (T::AddressLine1, line1.into()),
        (T::AddressLine2, line2.into()),
        (T::City, city.into()),
        (T::Region, region.into()),
        (T::PostalCode, postal_code.into()),
        (T::Country, country.into()),
        (T::EmergencyContactJson, contact.into()),
        (T::ReferencesJson, to_json(&t.references)?.into()),
        (T::Notes, t.notes.clone().into()),
        (T::SearchText, search_text(t).into()),
        (T::SortName, sort_name(t).into()),
        (T::Status, t.status.as_str().into()),
        (T::IdStatus, v.status.as_str().into()),
        (T::IdNote, v.note.clone().into()),
        (T::IdReviewedBy, v.reviewed_by.clone().into()),
        (T::IdReviewedAt, v.reviewed_at.map(|t| t.0).into()),
        (T::UserId, t.user_id.map(|u| u.to_string()).into()),
        (T::CreatedAt, t.created_at.0.into()),
        (T::UpdatedAt, t.updated_at.0.into()),
    ])
}
