//! Organisations, members, sessions and API keys.

mod accounts;
mod api_keys;
mod credentials;
mod invitations;
mod key_cache;
mod members;
pub(crate) use members::member_count;
mod orgs;
pub(crate) use orgs::{base_currency_in, set_plan_in};
pub(crate) mod schema;
mod sessions;

pub use accounts::{Account, Accounts, MembershipRecord};
pub use api_keys::{ApiKeyRepo, NewApiKey};
pub use credentials::{Credentials, KeyPrincipal, SessionPrincipal};
pub use invitations::{FoundInvitation, InvitationRepo, Invites, Joiner, NewInvitation};
pub(crate) use key_cache::KeyCache;
pub use key_cache::KEY_CACHE_TTL;
pub use members::{MemberRepo, NewUserRecord};
pub use orgs::Orgs;
pub use sessions::{NewSession, SessionRepo};
