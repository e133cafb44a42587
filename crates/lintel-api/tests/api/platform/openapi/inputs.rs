//! The input schemas state exactly what the validators require (docs/reliability.md F3–F6): each
//! documented rule is checked against the domain validator it describes, so a schema-valid body
//! is accepted and a schema-violating one rejected. This is the table of every request-body
//! schema with a valid body and its validator (a row per variant, when one field decides which
//! others are needed).

mod leasing;
mod ledger;

use lintel_domain::identity::access::NewApiKeyInput;
use lintel_domain::identity::{
    AcceptInvitationInput, LoginInput, MemberPatchInput, NewInvitationInput, NewMemberInput,
    NewOrganisationInput, OrganisationSettingsInput, PasswordChangeInput, RegisterInput,
    SwitchOrganisationInput,
};
use lintel_domain::money::{Money, MoneyDto};
use lintel_domain::portfolio::{
    validate_amenities, AddressInput, AmenityInput, BuildingInput, BuildingPatchInput,
    BulkUnitsInput, PropertyInput, PropertyPatchInput, UnitInput, UnitPatchInput, UnitStatusInput,
};
use lintel_domain::{FieldError, Validator};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// A body through serde and the validator: `Ok`, or the failing fields (`*` when serde refused
/// the body, which the API answers with a 400 or a 422 on an unknown field).
pub type Check = fn(Value) -> Result<(), Vec<String>>;

fn run<T: DeserializeOwned>(
    body: Value,
    validate: impl FnOnce(T) -> Result<(), Vec<FieldError>>,
) -> Result<(), Vec<String>> {
    let bytes = body.to_string().into_bytes();
    let input: T = lintel_api::extract::parse_json(&bytes).map_err(|_| vec!["*".to_string()])?;
    validate(input).map_err(|errs| errs.into_iter().map(|e| e.field).collect())
}

/// Runs a validator that writes into a [`Validator`] under `x`, reporting fields without it.
fn under_x(f: impl FnOnce(&mut Validator)) -> Result<(), Vec<FieldError>> {
    let mut v = Validator::new();
    f(&mut v);
    let errs = v.into_errors();
    if errs.is_empty() {
        return Ok(());
    }
    Err(errs
        .into_iter()
        .map(|e| {
            let field = e.field.strip_prefix("x.").or(e.field.strip_prefix("x[0]."));
            FieldError::new(field.unwrap_or(&e.field), e.message)
        })
        .collect())
}

fn address() -> Value {
    json!({"line1": "41 Harbour Street", "city": "Halifax", "country": "CA"})
}

/// Every request-body schema: a valid body and its validator; the rows of one schema are
/// adjacent.
pub fn inputs() -> Vec<(&'static str, Value, Check)> {
    let mut rows: Vec<(&str, Value, Check)> = vec![
        (
            "RegisterInput",
            json!({"email": "maria@example.com", "password": "correct-horse-battery",
                   "name": "Maria Lopez", "organisationName": "Lopez Lettings"}),
            |b| run(b, |i: RegisterInput| i.validate().map(drop)),
        ),
        (
            "LoginInput",
            json!({"email": "maria@example.com", "password": "correct-horse-battery"}),
            |b| run(b, |i: LoginInput| i.validate().map(drop)),
        ),
        (
            "NewMemberInput",
            json!({"email": "sam@example.com", "name": "Sam", "role": "tenant",
                   "password": "initial-secret-42"}),
            |b| run(b, |i: NewMemberInput| i.validate().map(drop)),
        ),
        ("MemberPatchInput", json!({"role": "broker"}), |b| {
            run(b, |i: MemberPatchInput| i.validate().map(drop))
        }),
        (
            "NewInvitationInput",
            json!({"email": "sam@example.com", "role": "landlord"}),
            |b| run(b, |i: NewInvitationInput| i.validate().map(drop)),
        ),
        (
            "AcceptInvitationInput",
            json!({"token": "pV3x9Qk0nYJ0rQ2lZ7bW8cE1fG4hT6uI5oP3aS9dF2g",
                   "password": "correct-horse-battery", "name": "Sam"}),
            |b| run(b, |i: AcceptInvitationInput| i.validate().map(drop)),
        ),
        (
            "PasswordChangeInput",
            json!({"currentPassword": "old-secret-zz", "newPassword": "staple-orbit-lantern-9"}),
            |b| run(b, |i: PasswordChangeInput| i.validate().map(drop)),
        ),
        (
            "NewOrganisationInput",
            json!({"name": "Okafor Lettings"}),
            |b| run(b, |i: NewOrganisationInput| i.validate().map(drop)),
        ),
        ("OrganisationSettingsInput", json!({}), |b| {
            run(b, |i: OrganisationSettingsInput| i.validate().map(drop))
        }),
        (
            "SwitchOrganisationInput",
            json!({"organisationId": "org_01jdc8k5m3q7r9t1v3x5z7b9d1"}),
            |b| run(b, |i: SwitchOrganisationInput| i.validate().map(drop)),
        ),
        (
            "NewApiKeyInput",
            json!({"name": "Accounting sync", "role": "tenant"}),
            |b| run(b, |i: NewApiKeyInput| i.validate().map(drop)),
        ),
        (
            "PropertyInput",
            json!({"name": "Harbour View", "type": "residential", "address": address()}),
            |b| run(b, |i: PropertyInput| i.validate().map(drop)),
        ),
        ("PropertyPatchInput", json!({}), |b| {
            run(b, |i: PropertyPatchInput| i.validate().map(drop))
        }),
        ("AddressInput", address(), |b| {
            run(b, |a: AddressInput| {
                under_x(|v| {
                    a.validate(v, "x");
                })
            })
        }),
        ("BuildingInput", json!({"name": "Tower"}), |b| {
            run(b, |i: BuildingInput| i.validate().map(drop))
        }),
        ("BuildingPatchInput", json!({}), |b| {
            run(b, |i: BuildingPatchInput| i.validate().map(drop))
        }),
        ("AmenityInput", json!({"id": 4, "value": 1}), |b| {
            run(b, |a: AmenityInput| {
                under_x(|v| {
                    validate_amenities(v, "x", vec![a]);
                })
            })
        }),
        ("UnitInput", json!({"name": "4B"}), |b| {
            run(b, |i: UnitInput| i.validate().map(drop))
        }),
        ("UnitPatchInput", json!({}), |b| {
            run(b, |i: UnitPatchInput| i.validate().map(drop))
        }),
        ("UnitStatusInput", json!({"status": "occupied"}), |b| {
            run(b, |i: UnitStatusInput| i.validate().map(drop))
        }),
        ("BulkUnitsInput", json!({"units": [{"name": "101"}]}), |b| {
            run(b, |i: BulkUnitsInput| i.validate().map(drop))
        }),
        (
            "MoneyDto",
            json!({"amountMinor": 185000, "currency": "CAD"}),
            |b| {
                run(b, |m: MoneyDto| {
                    under_x(|v| {
                        Money::validate_non_negative(v, "x", &m);
                    })
                })
            },
        ),
    ];
    rows.extend(leasing::inputs());
    rows.extend(ledger::inputs());
    rows
}
