//! The leasing context: tenants, leases, renewals and move-outs. The lease's status and the moves
//! between statuses ([`LeaseStatus`]) are checked in one place, which every route that changes
//! a lease goes through. See `docs/architecture.md`.

pub mod lease;
pub mod renewal;
mod status;
pub mod tenant;

pub use lease::{
    LateFee, LateFeeKind, Lease, LeaseDetail, LeaseInput, LeasePatch, LeasePatchInput,
    LeaseStatusInput, LeaseTerms, NewLease, RentFrequency, StatusChange, StatusChangeRequest,
};
pub use renewal::{
    NewRenewal, Renewal, RenewalDecision, RenewalInput, RenewalResponse, RenewalResponseInput,
    RenewalStatus,
};
pub use status::LeaseStatus;
pub use tenant::{
    Contact, IdDecision, IdDecisionInput, IdVerification, IdVerificationStatus, NewTenant,
    Reference, Tenant, TenantDetail, TenantInput, TenantPatch, TenantPatchInput, TenantStatus,
};
