//! The portfolio: properties, buildings and units (F2.1–F2.3).

mod address;
mod building;
mod property;
mod unit;

pub use address::*;
pub use building::*;
pub use property::*;
pub use unit::*;

use serde::{Deserialize, Deserializer};

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
