//! `[stripe]`: card payments and plan subscriptions through Stripe (decision 0018).

use serde::{Deserialize, Deserializer};

use super::Secret;

/// `[stripe.prices]`: the price IDs of the plans' subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StripePrices {
    pub pro: Option<String>,
    pub business: Option<String>,
}

/// `[stripe]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Stripe {
    /// The secret API key (`sk_…`) that creates Checkout Sessions.
    pub secret_key: Option<Secret>,
    /// Stripe's API (a stand-in's address in tests).
    pub api_base: String,
    /// The signing secrets (`whsec_…`) of the webhook endpoint: during a rotation both the old
    /// and the new one. A list, or a comma-separated string in an environment variable.
    #[serde(deserialize_with = "secrets")]
    pub webhook_secrets: Vec<Secret>,
    pub prices: StripePrices,
}

impl Default for Stripe {
    fn default() -> Self {
        Stripe {
            secret_key: None,
            api_base: "https://api.stripe.com".into(),
            webhook_secrets: Vec::new(),
            prices: StripePrices::default(),
        }
    }
}

fn secrets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Secret>, D::Error> {
    Ok(super::string_or_list(d)?.into_iter().map(Secret).collect())
}

impl Stripe {
    pub fn api_config(&self) -> lintel_api::config::StripeConfig {
        lintel_api::config::StripeConfig {
            secret_key: self.secret_key.as_ref().map(|s| s.expose().to_string()),
            api_base: self.api_base.trim_end_matches('/').to_string(),
            webhook_secrets: self
                .webhook_secrets
                .iter()
                .map(|s| s.expose().to_string())
                .collect(),
            price_pro: self.prices.pro.clone(),
            price_business: self.prices.business.clone(),
        }
    }
}
