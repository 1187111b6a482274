//! liaison-channels against real components: an SMTP server (Python's aiosmtpd) and HTTP servers
//! on loopback that check requests the way WeCom, DingTalk, Feishu, Slack and a webhook receiver
//! do.

// A test fails by panicking; unwrap says where.
#![allow(clippy::unwrap_used)]

mod common;
mod email;
mod imap;
mod robot;
mod sanitize;
mod snapshots;
