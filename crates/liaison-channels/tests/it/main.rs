//! liaison-channels against real components: an SMTP server (Python's aiosmtpd) and HTTP servers
//! on loopback that check requests the way WeCom, DingTalk, Feishu, Slack and a webhook receiver
//! do.

mod common;
mod email;
mod robot;
