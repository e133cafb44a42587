//! A small macro for the closed string enums that travel through the API and the database.

/// Declares a closed enum whose wire and storage form is a fixed lowercase string.
///
/// The strings are taken as `tt`, not `literal`: a `literal` fragment reaches derive macros
/// wrapped in an invisible group, which utoipa's `serde(rename)` parser skips, so the OpenAPI
/// document listed the Rust variant names (`PropertyManager`) instead of the wire values.
///
/// The generated type serialises to and from those strings, parses with [`std::str::FromStr`]
/// (the error lists every allowed value, ready for a field-level 422), and documents itself in
/// OpenAPI as a string enum.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The allowed values joined for an error message.
            pub fn allowed() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", $name::allowed())),
                }
            }
        }
    };
}
