//! The comms context (email, notifications, webhooks and message threads). So far: in-app
//! notifications, one per user, written in the same transaction as the change that causes them.
//! See `docs/architecture.md`.

use serde::Serialize;

use crate::id::{NotificationId, OrgId};
use crate::time::Timestamp;

crate::string_enum! {
    /// What a notification is about.
    NotificationType {
        /// A renewal offer was made on one of the user's leases.
        RenewalOffered => "renewal_offered",
        /// A reminder of an open renewal offer.
        RenewalReminder => "renewal_reminder",
        /// One of the user's leases changed status.
        LeaseStatusChanged => "lease_status_changed",
        /// Someone accepted an invitation the user sent.
        InvitationAccepted => "invitation_accepted",
        /// A tenant answered a renewal offer.
        RenewalAnswered => "renewal_answered",
    }
}

/// A notification as its user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: NotificationId,
    pub organisation_id: OrgId,
    pub kind: NotificationType,
    #[schema(example = "Renewal offer for your lease")]
    pub title: String,
    pub body: String,
    /// The kind of record it is about (`lease`, `lease_renewal`, `invitation`), if any.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// `null` while unread.
    pub read_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A notification to be written.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: NotificationType,
    pub title: String,
    pub body: String,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<String>,
}
