//! Liaison's pure domain: roles and permissions, parsed values (partner codes, e-mail
//! addresses, time zones, working hours), validation errors and the clock. No I/O here; every
//! other crate builds on these types.

pub mod access;
pub mod api_token;
pub mod calendar;
pub mod clock;
pub mod data;
pub mod delivery;
pub mod device;
pub mod diff;
pub mod enums;
pub mod ids;
pub mod incidents;
pub mod job;
pub mod kpi;
pub mod marks;
pub mod meetings;
pub mod notify;
pub mod partner;
pub mod policies;
pub mod policy;
pub mod precheck;
pub mod product;
pub mod rate;
pub mod request;
pub mod review;
pub mod role;
pub mod search;
pub mod surveys;
pub mod tickets;
pub mod totp;
pub mod validate;

pub use clock::{Clock, FixedClock, SystemClock};
pub use policy::{Actor, Denied, Object, Permission, Scope, authorize};
pub use role::{Role, Roles};
pub use validate::{FieldError, FieldErrors};
