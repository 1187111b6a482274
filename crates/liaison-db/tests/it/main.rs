//! liaison-db integration tests. Every test runs on every backend available: SQLite always,
//! PostgreSQL too when `LIAISON_TEST_PG_URL` is set (DESIGN "Database rules"), each on a fresh,
//! migrated database, and names the backend in its assertion messages.

mod audit;
mod backup;
mod calendar;
mod imports;
mod migrations;
mod partners;
mod products;
mod robots;
mod search;
mod users;

use liaison_core::partner::{ContactInput, NewContact, NewPartner, PartnerInput};
use liaison_core::{Clock, FieldErrors};
use liaison_db::partner::Partner;
use liaison_db::testing::TempDir;
use liaison_db::user::{User, UserInput};
use liaison_db::{Db, DbError, q};
use std::sync::Arc;

/// Fresh databases on every backend; keep the guard alive for the test's length.
pub async fn backends() -> (Vec<(&'static str, Db)>, TempDir) {
    liaison_db::testing::all_backends()
        .await
        .expect("test databases")
}

/// Fresh databases on every backend reading time from `clock`.
pub async fn backends_with(clock: Arc<dyn Clock>) -> (Vec<(&'static str, Db)>, TempDir) {
    liaison_db::testing::all_backends_with(clock)
        .await
        .expect("test databases")
}

pub const PASSWORD: &str = "Str0ng-enough";

/// The raw input of a valid partner: a distributor in 华东, tier A.
pub fn partner_input(code: &str, name: &str) -> PartnerInput {
    PartnerInput {
        code: Some(code.into()),
        name: Some(name.into()),
        kind: Some("distributor".into()),
        region: Some("华东".into()),
        tier: Some("A".into()),
        ..Default::default()
    }
}

/// A valid partner, parsed the way the web and CLI parse it.
pub fn new_partner(code: &str, name: &str) -> NewPartner {
    partner_input(code, name).parse().expect("valid partner")
}

/// A valid contact with an e-mail address.
pub fn new_contact(name: &str, email: &str) -> NewContact {
    ContactInput {
        name: Some(name.into()),
        email: Some(email.into()),
        ..Default::default()
    }
    .parse()
    .expect("valid contact")
}

/// Creates an active user holding `roles` (comma-separated), e.g. "channel_manager".
pub async fn user(db: &Db, email: &str, roles: &str) -> User {
    liaison_db::user::insert_user(
        db,
        None,
        &UserInput {
            email: email.into(),
            name: format!("User {email}"),
            password: PASSWORD.into(),
            roles: vec![roles.into()],
            ..Default::default()
        },
    )
    .await
    .expect("create user")
}

/// A channel manager who can own partners and act on them.
pub async fn manager(db: &Db) -> User {
    user(db, "manager@example.com", "channel_manager").await
}

pub async fn insert_partner(db: &Db, actor: &User, code: &str, name: &str) -> Partner {
    liaison_db::partner::insert_partner(db, actor.id, &new_partner(code, name))
        .await
        .expect("insert partner")
}

/// `SELECT COUNT(*) ...` as a number.
pub async fn count(db: &Db, sql: &'static str) -> i64 {
    db.fetch_one::<i64>(q(sql)).await.expect("count")
}

pub async fn audit_rows(db: &Db) -> i64 {
    count(db, "SELECT COUNT(*) FROM audit_log").await
}

pub async fn partner_rows(db: &Db) -> i64 {
    count(db, "SELECT COUNT(*) FROM partners").await
}

/// The field errors of an `Invalid`, or a panic naming what came instead.
pub fn invalid_fields<T: std::fmt::Debug>(name: &str, r: Result<T, DbError>) -> FieldErrors {
    match r {
        Err(DbError::Invalid(e)) => e,
        other => panic!("{name}: expected DbError::Invalid, got {other:?}"),
    }
}
