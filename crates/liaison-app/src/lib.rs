//! Liaison's service layer, between storage (`liaison-db`, `-channels`, `-docs`) and the ways
//! in (`liaison-web`'s API and pages, the worker, the CLI). One module per policy noun; each
//! operation takes the acting user, authorizes once through `liaison_core::authorize`, applies
//! the policy's rules from `liaison-core` and calls storage in one transaction. Errors are
//! [`Error`]; a span per operation carries the user and object ids (never personal data).

pub mod access;
pub mod account;
pub mod ack;
pub mod api_token;
pub mod calendar;
pub mod data;
mod error;
pub mod event;
pub mod feedback;
pub mod filemarks;
pub mod home;
pub mod import;
pub mod inbox;
pub mod incidents;
pub mod kpi;
pub mod launch;
pub mod leaks;
pub mod mail_in;
pub mod meetings;
pub mod nda;
pub mod notify;
pub mod offline;
pub mod partner;
pub mod policies;
pub mod product;
pub mod request;
pub mod robot;
pub mod search;
pub mod segment;
pub mod settings;
pub mod surveys;
pub mod thread;
pub mod tickets;
pub mod user;
pub mod values;

pub use error::{Error, Result};
