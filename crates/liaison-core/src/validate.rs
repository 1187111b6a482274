//! Validation errors with a field name each, so the API can answer 422 with per-field messages
//! and forms can show the message beside the input.

use serde::Serialize;
use serde::ser::SerializeStruct;
use std::fmt;

pub use liaison_i18n::{Arg, Msg};

/// One invalid field: its name and the message, as a catalogue key with arguments (`msg`,
/// rendered in the reader's language by the web layer) and in English (`message`: logs, the
/// CLI, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub msg: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        let msg = msg.into();
        FieldError {
            field: field.into(),
            message: msg.to_string(),
            msg,
        }
    }
    /// The message in `lang`.
    pub fn render(&self, lang: crate::partner::Lang) -> String {
        self.msg.render(lang)
    }
}

/// `{field, code, message}` with the English message; the API answers with its own rendering in
/// the request's language.
impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("FieldError", 3)?;
        st.serialize_field("field", &self.field)?;
        st.serialize_field("code", &(!self.msg.is_plain()).then(|| self.msg.key()))?;
        st.serialize_field("message", &self.message)?;
        st.end()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    /// Records a message for `field`: a keyed [`Msg`] (`Msg::new("validate.required")`, or one
    /// of the helpers below), or, for callers that have no key yet, a plain text.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<Msg>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn single(field: impl Into<String>, message: impl Into<Msg>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }
    /// `field` is required.
    pub fn required(&mut self, field: impl Into<String>) {
        self.add(field, Msg::new("validate.required"));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Keeps the value when it parsed, records the message under `field` when it did not.
    pub fn take<T, M: Into<Msg>>(&mut self, field: &str, r: Result<T, M>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }
    /// Adds every error of `other` (all errors at once: a form's own checks and those against
    /// storage in one answer), skipping exact repeats.
    pub fn extend(&mut self, other: FieldErrors) {
        for f in other.0 {
            if !self.0.contains(&f) {
                self.0.push(f);
            }
        }
    }
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
    /// The first message for `field`, in English.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    /// The first error for `field`.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Trims and checks a required text field's length in characters (not bytes: Chinese names).
pub fn required_text(value: &str, max: usize) -> Result<String, Msg> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Msg::new("validate.required"));
    }
    optional_text(v, max).map(|o| o.unwrap_or_default())
}

/// Trims; empty becomes `None`; too long is an error.
pub fn optional_text(value: &str, max: usize) -> Result<Option<String>, Msg> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max {
        return Err(Msg::new("validate.max_chars").arg("max", max));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Msg::new("validate.control_chars"));
    }
    Ok(Some(v.to_string()))
}

/// A lowercased e-mail address with one `@`, a dotted domain and no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(s))
        } else {
            Err(Msg::new("validate.email"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(
            EmailAddress::parse(" Li.Wei@Example.COM ").map(|e| e.into_string()),
            Ok("li.wei@example.com".to_string())
        );
        for bad in ["", "no-at", "a@b", "a@@b.cn", "a b@c.cn", "@x.cn", "a@.cn"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn text_length_counts_characters_not_bytes() {
        assert!(required_text("华东区域总代理", 7).is_ok());
        assert!(required_text("华东区域总代理", 6).is_err());
        assert_eq!(
            required_text("   ", 5).map_err(|m| m.to_string()),
            Err("is required".to_string())
        );
        assert_eq!(optional_text("  ", 5), Ok(None));
    }
}

/// A problem in one row of an imported file (SPEC A5: row-level error reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn from_fields(row: usize, e: FieldErrors) -> impl Iterator<Item = RowError> {
        e.0.into_iter().map(move |f| RowError {
            row,
            field: f.field,
            message: f.message,
        })
    }
}
