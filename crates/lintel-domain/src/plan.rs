//! Plans, their feature gates and resource limits, in one table.

crate::string_enum! {
    /// An organisation's subscription plan.
    #[derive(PartialOrd, Ord)]
    Plan {
        Free => "free",
        Pro => "pro",
        Business => "business",
    }
}

impl Plan {
    /// The upper-case name used in plan error messages (`FREE`, `PRO`, `BUSINESS`).
    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "FREE",
            Plan::Pro => "PRO",
            Plan::Business => "BUSINESS",
        }
    }
}

crate::string_enum! {
    /// A capability that only some plans include.
    Feature {
        /// API keys and API-key authentication.
        ApiAccess => "api_access",
    }
}

crate::string_enum! {
    /// A countable resource whose number a plan caps.
    Limit {
        Properties => "properties",
        Units => "units",
        Members => "members",
        /// Bytes of stored documents.
        DocumentBytes => "document_bytes",
        /// Leases in force (`active`, `renewed`, `notice_given`).
        LeasesInForce => "leases_in_force",
    }
}

impl Limit {
    /// What the limit counts, after its number in messages ("3 properties", "104857600 bytes
    /// of document storage").
    pub fn noun(self) -> &'static str {
        match self {
            Limit::Properties => "properties",
            Limit::Units => "units",
            Limit::Members => "members",
            Limit::DocumentBytes => "bytes of document storage",
            Limit::LeasesInForce => "leases in force",
        }
    }
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// A plan's cap on a countable resource. Whatever adds such a resource takes one, so "no cap"
/// is always said ([`Cap::Unlimited`]), never implied by a missing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Unlimited,
    AtMost(u64),
}

impl Cap {
    /// Whether `existing` records plus `adding` more stay within the cap; the cap when not.
    pub fn exceeded_by(self, existing: u64, adding: u64) -> Option<u64> {
        match self {
            Cap::AtMost(max) if existing.saturating_add(adding) > max => Some(max),
            _ => None,
        }
    }

    pub fn is_limited(self) -> bool {
        matches!(self, Cap::AtMost(_))
    }
}

/// The one table of what each plan allows. Everything that gates on a plan reads it here.
struct PlanRow {
    plan: Plan,
    features: &'static [Feature],
    properties: Option<u64>,
    units: Option<u64>,
    members: Option<u64>,
    document_bytes: Option<u64>,
    leases_in_force: Option<u64>,
}

const PLANS: &[PlanRow] = &[
    PlanRow {
        plan: Plan::Free,
        features: &[],
        properties: Some(3),
        units: Some(100),
        members: Some(5),
        document_bytes: Some(100 * MIB),
        leases_in_force: Some(10),
    },
    PlanRow {
        plan: Plan::Pro,
        features: &[],
        properties: Some(50),
        units: Some(2_500),
        members: Some(50),
        document_bytes: Some(10 * GIB),
        leases_in_force: None,
    },
    PlanRow {
        plan: Plan::Business,
        features: &[Feature::ApiAccess],
        properties: None,
        units: None,
        members: None,
        document_bytes: Some(100 * GIB),
        leases_in_force: None,
    },
];

impl Plan {
    fn row(self) -> &'static PlanRow {
        PLANS
            .iter()
            .find(|r| r.plan == self)
            .expect("every plan has a row")
    }

    /// Whether the plan includes `feature`.
    pub fn has(self, feature: Feature) -> bool {
        self.row().features.contains(&feature)
    }

    /// The lowest plan that includes `feature`.
    pub fn lowest_with(feature: Feature) -> Plan {
        PLANS
            .iter()
            .find(|r| r.features.contains(&feature))
            .map(|r| r.plan)
            .unwrap_or(Plan::Business)
    }

    /// How many of `limit` the plan allows; `None` is unlimited.
    pub fn limit(self, limit: Limit) -> Option<u64> {
        let row = self.row();
        match limit {
            Limit::Properties => row.properties,
            Limit::Units => row.units,
            Limit::Members => row.members,
            Limit::DocumentBytes => row.document_bytes,
            Limit::LeasesInForce => row.leases_in_force,
        }
    }

    /// The plan's cap on `limit`.
    pub fn cap(self, limit: Limit) -> Cap {
        self.limit(limit).map_or(Cap::Unlimited, Cap::AtMost)
    }
}

/// One capped resource of an organisation: how many the plan allows and how many are used.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitUsage {
    pub limit: Limit,
    /// `null`: unlimited on this plan.
    pub max: Option<u64>,
    pub used: u64,
}

/// `GET /api/billing`: the organisation's plan, what it includes, and its usage of each limit.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingOverview {
    pub organisation_id: crate::OrgId,
    pub plan: Plan,
    /// `FREE`, `PRO` or `BUSINESS`.
    pub plan_label: &'static str,
    pub features: Vec<Feature>,
    pub limits: Vec<LimitUsage>,
}

impl BillingOverview {
    /// The overview of `plan` with `used` counted for each limit.
    pub fn new(org: crate::OrgId, plan: Plan, used: impl Fn(Limit) -> u64) -> BillingOverview {
        BillingOverview {
            organisation_id: org,
            plan,
            plan_label: plan.label(),
            features: Feature::ALL
                .iter()
                .copied()
                .filter(|f| plan.has(*f))
                .collect(),
            limits: Limit::ALL
                .iter()
                .map(|l| LimitUsage {
                    limit: *l,
                    max: plan.limit(*l),
                    used: used(*l),
                })
                .collect(),
        }
    }
}

crate::string_enum! {
    /// A plan bought by subscription.
    PaidPlan {
        Pro => "pro",
        Business => "business",
    }
}

/// `POST /api/billing/checkout`: the plan to subscribe to.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingCheckoutInput {
    /// `pro` or `business`.
    #[schema(required = true, value_type = PaidPlan)]
    pub plan: Option<String>,
}

impl BillingCheckoutInput {
    pub fn validate(self) -> Result<Plan, Vec<crate::FieldError>> {
        let mut v = crate::validation::Validator::new();
        let plan =
            v.required("plan", self.plan.as_deref())
                .and_then(|p| match p.trim().parse::<Plan>() {
                    Ok(p @ (Plan::Pro | Plan::Business)) => Some(p),
                    _ => {
                        v.error("plan", "must be pro or business");
                        None
                    }
                });
        v.finish(|| plan.expect("valid"))
    }
}

/// A Checkout Session to send the admin to.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutLink {
    /// Stripe's Checkout Session ID (`cs_…`).
    pub session_id: String,
    /// Where to send the person who pays.
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_allows_three_properties_and_no_api() {
        assert_eq!(Plan::Free.limit(Limit::Properties), Some(3));
        assert!(!Plan::Free.has(Feature::ApiAccess));
        assert!(!Plan::Pro.has(Feature::ApiAccess));
        assert!(Plan::Business.has(Feature::ApiAccess));
        assert_eq!(Plan::lowest_with(Feature::ApiAccess), Plan::Business);
        assert_eq!(Plan::Business.limit(Limit::Units), None);
        assert_eq!(Plan::Free.limit(Limit::DocumentBytes), Some(100 << 20));
        assert_eq!(Plan::Pro.limit(Limit::DocumentBytes), Some(10 << 30));
        assert_eq!(Plan::Business.limit(Limit::DocumentBytes), Some(100 << 30));
    }
}
