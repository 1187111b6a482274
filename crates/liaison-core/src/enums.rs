//! `str_enum!`: the one way a closed set of words (states, kinds, channels, languages) becomes a
//! Rust enum. Each enum gets `ALL`, `as_str`, `parse` (trimmed, case-insensitive, with an error
//! that lists the allowed words), `Display`, `FromStr` and snake_case serde.

#[macro_export]
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                let t = s.trim().to_lowercase();
                match t.as_str() {
                    $($s => Ok($name::$variant),)+
                    _ => Err(format!(
                        "'{}' is not one of {}",
                        s.trim(),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::parse(s)
            }
        }
    };
}
