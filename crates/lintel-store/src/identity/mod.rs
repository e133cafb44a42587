//! Organisations, members, sessions and API keys.

mod api_keys;
mod credentials;
mod key_cache;
mod members;
mod orgs;
mod sessions;

pub use api_keys::{ApiKeyRepo, NewApiKey};
pub use credentials::{Credentials, KeyPrincipal, LoginRecord, SessionPrincipal};
pub(crate) use key_cache::KeyCache;
pub use key_cache::KEY_CACHE_TTL;
pub use members::{MemberRepo, NewUserRecord};
pub use orgs::Orgs;
pub use sessions::{NewSession, SessionRepo};
