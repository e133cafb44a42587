//! Lintel's domain: identifiers, roles, plans, money and the validated inputs of every resource.
//!
//! Nothing here performs I/O or knows about HTTP or SQL. The API turns requests into the input
//! types defined here (collecting every field error at once); the store persists them.

pub mod audit;
pub mod enums;
pub mod events;
pub mod id;
pub mod identity;
pub mod lifecycle;
pub mod money;
pub mod pagination;
pub mod plan;
pub mod portfolio;
pub mod role;
pub mod text;
pub mod time;
pub mod validation;

pub use audit::{Actor, ActorKind, AuditEntry};
pub use events::{EntityKind, EventKind};
pub use id::*;
pub use lifecycle::{Lifecycle, Refused};
pub use money::{Currency, Money};
pub use pagination::{Cursor, KeyPart, ListRequest, Page, PageRequest, PageRule};
pub use plan::{
    BillingCheckoutInput, BillingOverview, Cap, CheckoutLink, Feature, Limit, LimitUsage, Plan,
};
pub use role::Role;
pub use time::{Date, Timestamp};
pub use validation::{FieldError, Validator};

// Contexts still to come (empty, or with their first rules, until their issues).
pub mod brokerage;
pub mod comms;
pub mod documents;
pub mod insight;
pub mod leasing;
pub mod ledger;
pub mod maintenance;
