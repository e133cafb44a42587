use serde::{Deserialize, Serialize};

use crate::validation::Validator;

/// A postal address as given by a client. Every part is checked when validated, also in a
/// change (a PATCH replaces the whole address). Texts are trimmed; a blank optional part counts
/// as absent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressInput {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "41 Harbour Street")]
    pub line1: Option<String>,
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "Floor 2"
    )]
    pub line2: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200d\u2028-\u202f\u205f-\u2064\u2066-\u2069\u3000\ufeff][^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$", example = "Halifax")]
    pub city: Option<String>,
    /// State, province or county.
    #[schema(
        max_length = 120,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "NS"
    )]
    pub region: Option<String>,
    #[schema(
        max_length = 20,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$",
        example = "B3J 1A1"
    )]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, either case.
    #[schema(required = true, value_type = String, pattern = "^[A-Za-z]{2}$", example = "CA")]
    pub country: Option<String>,
}

/// A checked postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
}

impl Address {
    /// An optional address read back from its columns: stored whole or not at all, so its
    /// required parts say which.
    pub fn from_parts(
        line1: Option<String>,
        line2: Option<String>,
        city: Option<String>,
        region: Option<String>,
        postal_code: Option<String>,
        country: Option<String>,
    ) -> Option<Address> {
        Some(Address {
            line1: line1?,
            line2,
            city: city?,
            region,
            postal_code,
            country: country?,
        })
    }

    /// The six parts of an optional address, in column order (all `None` without one).
    pub fn parts(a: Option<&Address>) -> [Option<String>; 6] {
        [
            a.map(|a| a.line1.clone()),
            a.and_then(|a| a.line2.clone()),
            a.map(|a| a.city.clone()),
            a.and_then(|a| a.region.clone()),
            a.and_then(|a| a.postal_code.clone()),
            a.map(|a| a.country.clone()),
        ]
    }
}

impl AddressInput {
    /// Validates into `v` under `field` (e.g. `address.city`).
    pub fn validate(&self, v: &mut Validator, field: &str) -> Option<Address> {
        // Its own validator, named after `field`: a field's path is only written out when it
        // has an error.
        let mut a = Validator::nested(field);
        let line1 = a
            .required("line1", self.line1.as_deref())
            .and_then(|s| a.text("line1", s, 1, 200));
        let line2 = a.opt_text("line2", self.line2.as_deref(), 200);
        let city = a
            .required("city", self.city.as_deref())
            .and_then(|s| a.text("city", s, 1, 120));
        let region = a.opt_text("region", self.region.as_deref(), 120);
        let postal_code = a.opt_text("postalCode", self.postal_code.as_deref(), 20);
        let country = a
            .required("country", self.country.as_deref())
            .and_then(|c| {
                let c = c.trim().to_ascii_uppercase();
                if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                    Some(c)
                } else {
                    a.error(
                        "country",
                        "must be a two-letter ISO 3166-1 country code such as US or GB",
                    );
                    None
                }
            });
        v.absorb(a.into_errors());
        Some(Address {
            line1: line1?,
            line2,
            city: city?,
            region,
            postal_code,
            country: country?,
        })
    }
}

impl Address {
    /// One line for search and display: `41 Harbour Street, Halifax, NS, B3J 1A1, CA`.
    pub fn one_line(&self) -> String {
        [
            Some(self.line1.as_str()),
            self.line2.as_deref(),
            Some(self.city.as_str()),
            self.region.as_deref(),
            self.postal_code.as_deref(),
            Some(self.country.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    }
}
