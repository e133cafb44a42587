//! The ordered role ladder: `tenant < broker < property_manager < landlord < admin`.

crate::string_enum! {
    /// A member's role within an organisation. Roles are ordered; a check asks for a minimum.
    #[derive(PartialOrd, Ord)]
    Role {
        Tenant => "tenant",
        Broker => "broker",
        PropertyManager => "property_manager",
        Landlord => "landlord",
        Admin => "admin",
    }
}

impl Role {
    /// Whether this role meets `min` or more.
    pub fn at_least(self, min: Role) -> bool {
        self >= min
    }

    /// The roles strictly below `min`, lowest first.
    pub fn below(min: Role) -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied().filter(move |r| *r < min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_ordered() {
        assert!(Role::Tenant < Role::Broker);
        assert!(Role::Broker < Role::PropertyManager);
        assert!(Role::PropertyManager < Role::Landlord);
        assert!(Role::Landlord < Role::Admin);
        assert!(Role::Admin.at_least(Role::Landlord));
        assert!(!Role::PropertyManager.at_least(Role::Landlord));
        assert_eq!(Role::below(Role::Landlord).count(), 3);
        assert_eq!(
            "property_manager".parse::<Role>(),
            Ok(Role::PropertyManager)
        );
        assert!("owner"
            .parse::<Role>()
            .unwrap_err()
            .contains("tenant, broker"));
    }
}
