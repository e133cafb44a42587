//! Organisations, members, sessions and API keys.

mod api_keys;
mod credentials;
mod members;
mod orgs;
mod sessions;

pub use api_keys::{ApiKeyRepo, NewApiKey};
pub use credentials::{Credentials, KeyPrincipal, LoginRecord, SessionPrincipal};
pub use members::{MemberRepo, NewUserRecord};
pub use orgs::Orgs;
pub use sessions::{NewSession, SessionRepo};
