//! Typed ids: a partner id cannot be passed where a request id is expected. Each is a UUIDv7
//! underneath (DESIGN "ids"); web handlers parse one from a path (`extract::id`, a malformed
//! id is simply not found) and the service layer takes them typed.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$m:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    )+};
}

ids!(
    /// A channel partner (§1.2).
    PartnerId,
    /// One of a partner's contacts.
    ContactId,
    /// A Channel Communication Request Form (§4.1.1).
    RequestId,
    /// A dispatched message: the frozen content of an approved request (§4.3).
    MessageId,
    /// One recipient contact on one channel of a message.
    DeliveryId,
    /// A partner's question and its answers (§4.4).
    ThreadId,
    /// A file attached to a request.
    AttachmentId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_round_trips_through_text_and_json() {
        let u = Uuid::now_v7();
        let id: RequestId = u.to_string().parse().expect("parses");
        assert_eq!(Uuid::from(id), u);
        assert_eq!(
            serde_json::to_string(&id).expect("json"),
            format!("\"{u}\"")
        );
        assert!("not-an-id".parse::<PartnerId>().is_err());
    }
}
