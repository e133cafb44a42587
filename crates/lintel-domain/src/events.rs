//! Domain events: what a write did, named by a closed, typed list. Every write emits its events
//! in the same transaction as the change; the audit log shows them (its `action` is the event's
//! name), and later consumers (notifications, webhooks) read them from the store's outbox.

crate::string_enum! {
    /// The kind of record an event is about.
    EntityKind {
        Organisation => "organisation",
        User => "user",
        ApiKey => "api_key",
        Invitation => "invitation",
        Building => "building",
        Property => "property",
        Unit => "unit",
        Document => "document",
        Tenant => "tenant",
        Lease => "lease",
        Renewal => "lease_renewal",
        Account => "account",
        JournalEntry => "journal_entry",
        Charge => "charge",
        Payment => "payment",
        Invoice => "invoice",
    }
}

crate::string_enum! {
    /// What happened. The wire form (`property.create`) is the audit log's `action`.
    EventKind {
        OrganisationCreated => "organisation.create",
        OrganisationPlanChanged => "organisation.plan",
        OrganisationUpdated => "organisation.update",
        MemberAdded => "member.create",
        MemberRoleChanged => "member.role",
        MemberRemoved => "member.remove",
        PasswordChanged => "user.password",
        ApiKeyCreated => "api_key.create",
        ApiKeyRevoked => "api_key.revoke",
        InvitationCreated => "invitation.create",
        InvitationRevoked => "invitation.revoke",
        InvitationAccepted => "invitation.accept",
        BuildingCreated => "building.create",
        BuildingUpdated => "building.update",
        PropertyCreated => "property.create",
        PropertyUpdated => "property.update",
        PropertyArchived => "property.archive",
        PropertyRestored => "property.restore",
        UnitCreated => "unit.create",
        UnitUpdated => "unit.update",
        UnitStatusChanged => "unit.status",
        DocumentCreated => "document.create",
        DocumentDeleted => "document.delete",
        TenantCreated => "tenant.create",
        TenantUpdated => "tenant.update",
        TenantIdSubmitted => "tenant.id_submit",
        TenantIdReviewed => "tenant.id_review",
        LeaseCreated => "lease.create",
        LeaseUpdated => "lease.update",
        LeaseStatusChanged => "lease.status",
        RenewalOffered => "lease_renewal.create",
        RenewalWithdrawn => "lease_renewal.withdraw",
        RenewalAnswered => "lease_renewal.respond",
        RenewalReminded => "lease_renewal.remind",
        AccountCreated => "account.create",
        AccountUpdated => "account.update",
        AccountArchived => "account.archive",
        EntryPosted => "journal_entry.post",
        ChargePosted => "charge.create",
        ChargeVoided => "charge.void",
        ChargePaid => "charge.paid",
        PaymentRecorded => "payment.create",
        PaymentSucceeded => "payment.succeeded",
        PaymentFailed => "payment.failed",
        PaymentRefunded => "payment.refund",
        PaymentReturned => "payment.return",
        PaymentCreditApplied => "payment.credit_applied",
        InvoiceCreated => "invoice.create",
        InvoiceIssued => "invoice.issue",
        InvoiceVoided => "invoice.void",
    }
}

impl EventKind {
    /// The kind of record the event is about.
    pub fn entity(self) -> EntityKind {
        use EventKind::*;
        match self {
            OrganisationCreated | OrganisationPlanChanged | OrganisationUpdated => {
                EntityKind::Organisation
            }
            MemberAdded | MemberRoleChanged | MemberRemoved | PasswordChanged => EntityKind::User,
            ApiKeyCreated | ApiKeyRevoked => EntityKind::ApiKey,
            InvitationCreated | InvitationRevoked | InvitationAccepted => EntityKind::Invitation,
            BuildingCreated | BuildingUpdated => EntityKind::Building,
            PropertyCreated | PropertyUpdated | PropertyArchived | PropertyRestored => {
                EntityKind::Property
            }
            UnitCreated | UnitUpdated | UnitStatusChanged => EntityKind::Unit,
            DocumentCreated | DocumentDeleted => EntityKind::Document,
            TenantCreated | TenantUpdated | TenantIdSubmitted | TenantIdReviewed => {
                EntityKind::Tenant
            }
            LeaseCreated | LeaseUpdated | LeaseStatusChanged => EntityKind::Lease,
            RenewalOffered | RenewalWithdrawn | RenewalAnswered | RenewalReminded => {
                EntityKind::Renewal
            }
            AccountCreated | AccountUpdated | AccountArchived => EntityKind::Account,
            EntryPosted => EntityKind::JournalEntry,
            ChargePosted | ChargeVoided | ChargePaid => EntityKind::Charge,
            PaymentRecorded | PaymentSucceeded | PaymentFailed | PaymentRefunded
            | PaymentReturned | PaymentCreditApplied => EntityKind::Payment,
            InvoiceCreated | InvoiceIssued | InvoiceVoided => EntityKind::Invoice,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_start_with_their_entity() {
        for kind in EventKind::ALL {
            let entity = kind.entity().as_str();
            let prefix = if entity == "user" && *kind != EventKind::PasswordChanged {
                "member"
            } else {
                entity
            };
            assert!(
                kind.as_str().starts_with(&format!("{prefix}.")),
                "{kind} names {entity}"
            );
        }
    }
}
