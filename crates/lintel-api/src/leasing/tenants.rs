//! Tenants (F3.1): list, retrieve with their leases and payments, create, change, replace; ID
//! documents and their review.

use axum::extract::State;
use lintel_domain::documents::{Document, DocumentCategory, UploadMeta};
use lintel_domain::leasing::{
    IdDecisionInput, Tenant, TenantDetail, TenantInput, TenantPatchInput, TenantStatus,
};
use lintel_domain::pagination::TENANTS_PAGE;
use lintel_domain::{
    Cap, Limit, Page, PropertyId, PropertyKind, Role, TenantId, TenantKind, UnitId, UnitKind,
};
use lintel_store::identity::NewInvitation;
use lintel_store::leasing::tenants::TenantFilter;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::secrets;
use crate::auth::{Auth, LandlordUp, ManagerUp};
use crate::contract::endpoints;
use crate::entity::Entity;
use crate::envelope::{Created, Envelope, Success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, PathId, QueryCheck};
use crate::identity::invitations::{invite_url, CreatedInvitation};
use crate::multipart::Upload;
use crate::query::list_query;
use crate::responses::{BodyErrors, ReadErrors, UploadErrors, WriteErrors};
use crate::AppState;

const ENTITY: Entity = Entity::Record("Tenant");

list_query! {
    /// Query parameters of `GET /api/tenants`.
    pub struct ListQuery {
        size: "Page size, 1–100 (default 20).",
        /// Case-insensitive search in the names, email and phone: at most 200 characters.
        #[param(
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
        )]
        q: Option<String>,
        /// `prospect`, `current` or `past` (from the tenant's leases).
        #[param(value_type = Option<TenantStatus>)]
        status: Option<String>,
        /// Tenants with a lease on a unit of this property.
        #[param(value_type = Option<PropertyId>)]
        property_id: Option<String>,
        /// Tenants with a lease on this unit.
        #[param(value_type = Option<UnitId>)]
        unit_id: Option<String>,
    }
}

/// Lists the organisation's tenants by last name. Requires property_manager or higher.
#[utoipa::path(get, path = "/api/tenants", tag = "Tenants",
    params(ListQuery),
    responses((status = 200, body = Envelope<Page<Tenant>>), ReadErrors))]
async fn list(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Success<Page<Tenant>>> {
    let mut check = QueryCheck::new();
    let search = check.text("q", q.q.as_deref(), 200);
    let status = check.choice::<TenantStatus>("status", q.status.as_deref());
    let property = check.id::<PropertyKind>("propertyId", q.property_id.as_deref());
    let unit = check.id::<UnitKind>("unitId", q.unit_id.as_deref());
    let page = q.paged(&mut check, TENANTS_PAGE);
    let page = check.finish(page)?;
    let filter = TenantFilter {
        q: search,
        status,
        property_id: property.map(|p| p.to_string()),
        unit_id: unit.map(|u| u.to_string()),
    };
    let tenants = state
        .store
        .org(auth.org)
        .tenants()
        .list(&filter, page)
        .await;
    Ok(Success(tenants.map_err(auth.failed(ENTITY, &state))?))
}

/// Creates a tenant (status `prospect` until a lease of theirs is in force). Requires
/// property_manager or higher.
#[utoipa::path(post, path = "/api/tenants", tag = "Tenants",
    request_body = TenantInput,
    responses((status = 201, body = Envelope<Tenant>), BodyErrors))]
async fn create(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TenantInput>,
) -> ApiResult<Created<Tenant>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let t = state
        .store
        .org(auth.org)
        .tenants()
        .create(&auth.actor(), new)
        .await;
    Ok(Created(t.map_err(auth.failed(ENTITY, &state))?))
}

/// Retrieves a tenant with their lease history (newest first) and payment records. Requires
/// property_manager or higher.
#[utoipa::path(get, path = "/api/tenants/{id}", tag = "Tenants",
    params(("id" = TenantId, Path, description = "Tenant ID")),
    responses((status = 200, body = Envelope<TenantDetail>), ReadErrors))]
async fn get(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<TenantKind>,
) -> ApiResult<Success<TenantDetail>> {
    let detail = lintel_app::leasing::tenant_detail(&state.store, auth.org, id).await;
    Ok(Success(detail.map_err(auth.app_failed(ENTITY, &state))?))
}

/// Changes a tenant: only the fields sent change; `null` clears an optional field and
/// `references` replaces the list. Requires property_manager or higher.
#[utoipa::path(patch, path = "/api/tenants/{id}", tag = "Tenants",
    params(("id" = TenantId, Path, description = "Tenant ID")),
    request_body = TenantPatchInput,
    responses((status = 200, body = Envelope<Tenant>), BodyErrors))]
async fn update(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<TenantKind>,
    ApiJson(input): ApiJson<TenantPatchInput>,
) -> ApiResult<Success<Tenant>> {
    let patch = input.validate().map_err(ApiError::Validation)?;
    let t = state
        .store
        .org(auth.org)
        .tenants()
        .update(&auth.actor(), id, patch)
        .await;
    Ok(Success(t.map_err(auth.failed(ENTITY, &state))?))
}

/// Replaces a tenant's details: the body is a whole tenant, and what it leaves out is
/// cleared. Requires property_manager or higher.
#[utoipa::path(put, path = "/api/tenants/{id}", tag = "Tenants",
    params(("id" = TenantId, Path, description = "Tenant ID")),
    request_body = TenantInput,
    responses((status = 200, body = Envelope<Tenant>), BodyErrors))]
async fn replace(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<TenantKind>,
    ApiJson(input): ApiJson<TenantInput>,
) -> ApiResult<Success<Tenant>> {
    let new = input.validate().map_err(ApiError::Validation)?;
    let t = state
        .store
        .org(auth.org)
        .tenants()
        .replace(&auth.actor(), id, new)
        .await;
    Ok(Success(t.map_err(auth.failed(ENTITY, &state))?))
}

/// The form of `POST /api/tenants/{id}/id-documents`; no other part is taken.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct IdDocumentUpload {
    /// A scan or photo of the ID, of a kind told from its bytes (PDF, PNG, JPEG, WebP, HEIC,
    /// plain text, CSV or DOCX).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
    /// The name to show; defaults to the file's name.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff/\\][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\]*$"
    )]
    name: Option<String>,
}

/// Files an identity document for the tenant (a document of category `id_verification`) and
/// sets their `idVerification.status` to `pending`. Readable by property_manager and up and by
/// the tenant themselves, never by brokers. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/tenants/{id}/id-documents", tag = "Tenants",
    params(("id" = TenantId, Path, description = "Tenant ID")),
    request_body(content = IdDocumentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Envelope<Document>), UploadErrors))]
async fn id_document(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<TenantKind>,
    upload: Upload,
) -> ApiResult<Created<Document>> {
    let mut fields = upload.fields;
    for (name, given) in [
        ("entityType", fields.entity_type.is_some()),
        ("entityId", fields.entity_id.is_some()),
        ("category", fields.category.is_some()),
    ] {
        if given {
            return Err(ApiError::Validation(vec![lintel_domain::FieldError::new(
                name,
                "is not a known field",
            )]));
        }
    }
    fields.entity_type = Some("tenant".into());
    fields.entity_id = Some(id.to_string());
    fields.category = Some(DocumentCategory::IdVerification.as_str().into());
    let meta: UploadMeta = fields.validate().map_err(ApiError::Validation)?;
    let storage = crate::documents::storage(&state);
    let quota = auth.cap(Limit::DocumentBytes);
    let actor = auth.actor();
    let done = lintel_app::leasing::submit_id_document(
        &state.store,
        storage,
        auth.org,
        &actor,
        meta,
        upload.bytes,
        quota,
    );
    Ok(Created(
        done.await.map_err(auth.app_failed(ENTITY, &state))?,
    ))
}

/// Records the review of a tenant's ID: `verified` or `rejected`, with a note; who and when
/// are kept. Requires landlord or higher.
#[utoipa::path(patch, path = "/api/tenants/{id}/id-verification", tag = "Tenants",
    params(("id" = TenantId, Path, description = "Tenant ID")),
    request_body = IdDecisionInput,
    responses((status = 200, body = Envelope<Tenant>), BodyErrors))]
async fn id_verification(
    auth: Auth<LandlordUp>,
    State(state): State<AppState>,
    PathId(id): PathId<TenantKind>,
    ApiJson(input): ApiJson<IdDecisionInput>,
) -> ApiResult<Success<Tenant>> {
    let decision = input.validate().map_err(ApiError::Validation)?;
    let t = state
        .store
        .org(auth.org)
        .tenants()
        .decide_id(&auth.actor(), id, decision)
        .await;
    Ok(Success(t.map_err(auth.failed(ENTITY, &state))?))
}

/// Invites the tenant to an account of their own (tenant role), by the tenant's email: the
/// same single-use link as member invitations, valid 7 days, returned here (and emailed once
/// outgoing email is set up). Accepting it (`POST /api/auth/accept-invite`) creates the account,
/// or links an existing one (a person renting from several organisations keeps one account),
/// and binds it to this tenant profile. A newer invitation replaces a pending one. Tenants'
/// accounts take no member seat of the plan. Requires property_manager or higher.
#[utoipa::path(post, path = "/api/tenants/{id}/invite", tag = "Tenants",
    params(("id" = TenantId, Path, description = "Tenant ID")),
    responses((status = 201, body = Envelope<CreatedInvitation>), WriteErrors))]
async fn invite(
    auth: Auth<ManagerUp>,
    State(state): State<AppState>,
    PathId(id): PathId<TenantKind>,
) -> ApiResult<Created<CreatedInvitation>> {
    let scope = state.store.org(auth.org);
    let tenant = scope.tenants().get(id).await;
    let tenant = tenant.map_err(auth.failed(ENTITY, &state))?;
    if tenant.user_id.is_some() {
        return Err(ApiError::Conflict(
            "This tenant already has an account.".into(),
        ));
    }
    let Some(email) = tenant.email else {
        return Err(ApiError::Validation(vec![lintel_domain::FieldError::new(
            "email",
            "is required to invite the tenant: add it to the tenant first",
        )]));
    };
    let token = secrets::random_token();
    let new = NewInvitation {
        email,
        role: Role::Tenant,
        token_hash: secrets::lookup_hash(&token),
        tenant: Some(id),
    };
    let created = scope
        .invitations()
        .create(&auth.actor(), new, Cap::Unlimited)
        .await;
    let invitation = created.map_err(auth.failed(Entity::Invitation, &state))?;
    let url = invite_url(&state, &token);
    Ok(Created(CreatedInvitation {
        invitation,
        token,
        url,
    }))
}

/// The caller's own tenant profile in their current organisation; 404 `Tenant profile not
/// found` when they have none. Requires tenant or higher.
#[utoipa::path(get, path = "/api/me/tenant", tag = "Tenants",
    responses((status = 200, body = Envelope<TenantDetail>), ReadErrors))]
async fn me(auth: Auth, State(state): State<AppState>) -> ApiResult<Success<TenantDetail>> {
    let missing = ApiError::Absent("Tenant profile not found");
    let Some(user) = auth.user else {
        return Err(missing);
    };
    let scope = state.store.org(auth.org);
    let own = scope.tenants().of_user(user).await;
    let Some(own) = own.map_err(auth.failed(ENTITY, &state))? else {
        return Err(missing);
    };
    let detail = lintel_app::leasing::tenant_detail(&state.store, auth.org, own.id).await;
    Ok(Success(detail.map_err(auth.app_failed(ENTITY, &state))?))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(endpoints!(list, create))
        .routes(endpoints!(get, update, replace))
        .routes(endpoints!(id_document))
        .routes(endpoints!(id_verification))
        .routes(endpoints!(invite))
        .routes(endpoints!(me))
}
