//! `str_enum!`: the one way a closed set of words (states, kinds, channels, languages) becomes a
//! Rust enum. Each enum gets `ALL`, `as_str`, `parse` (trimmed, case-insensitive, with a keyed
//! message that lists the allowed words), `Display`, `FromStr` and snake_case serde.

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
            pub fn parse(s: &str) -> Result<Self, $crate::validate::Msg> {
                let t = s.trim().to_lowercase();
                match t.as_str() {
                    $($s => Ok($name::$variant),)+
                    _ => Err($crate::validate::Msg::one_of(s, &[$($s),+])),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::validate::Msg;
            fn from_str(s: &str) -> Result<Self, $crate::validate::Msg> {
                $name::parse(s)
            }
        }
    };
}
