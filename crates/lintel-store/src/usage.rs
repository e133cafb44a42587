//! An organisation's usage of what its plan caps, counted the way the caps count it.

use lintel_domain::{BillingOverview, Limit, Plan};

use crate::error::Result;

impl crate::OrgScope<'_> {
    /// The organisation's plan (`plan`, as its caller's credential carries it), its features
    /// and each limit with its usage, the counts taken together in one transaction that writes
    /// nothing.
    pub async fn billing_overview(&self, plan: Plan) -> Result<BillingOverview> {
        let org = self.org;
        let bytes = self.documents().usage().await?.max(0) as u64;
        let counts = self
            .db
            .write(move |mut tx| async move {
                Ok([
                    crate::portfolio::properties::active_count(&mut tx, org).await?,
                    crate::portfolio::units::bulk::org_units(&mut tx, org).await?,
                    crate::identity::member_count(&mut tx, org).await?,
                    crate::leasing::leases::count_in_force(&mut tx, org).await?,
                ])
            })
            .await?;
        Ok(BillingOverview::new(org, plan, |l| match l {
            Limit::Properties => counts[0],
            Limit::Units => counts[1],
            Limit::Members => counts[2],
            Limit::LeasesInForce => counts[3],
            Limit::DocumentBytes => bytes,
        }))
    }
}
