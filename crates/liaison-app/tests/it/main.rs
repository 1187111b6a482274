//! liaison-app integration tests: the service layer's operations on every backend (SQLite
//! always, PostgreSQL when `LIAISON_TEST_PG_URL` is set), with the demo company as the cast.
//! Fixtures say a story's steps once (`Cast`, `Cast::dispatched_to_p1`), so tests read as the
//! policy.

mod account;
mod admin;
mod confidentiality;
mod data;
mod import;
mod kpi;
mod meetings;
mod offline;
mod people;
mod policies;
mod products;
mod request;
mod segment;
mod surveys;
mod tickets;
mod tokens;

use liaison_core::Actor;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_db::testing::TempDir;
use liaison_db::{Db, q};

/// Fresh databases on every backend; keep the guard alive for the test's length.
pub async fn backends() -> (Vec<(&'static str, Db)>, TempDir) {
    liaison_db::testing::all_backends()
        .await
        .expect("test databases")
}

pub async fn count(db: &Db, sql: &'static str) -> i64 {
    db.fetch_one::<i64>(q(sql)).await.expect("count")
}

/// The demo company's people, one of each role, and two partners' users.
pub struct Cast {
    pub admin: Actor,
    pub channel: Actor,
    pub head: Actor,
    pub staff: Actor,
    pub exec: Actor,
    pub p1: Actor,
    pub p2: Actor,
}

impl Cast {
    /// Loads the demo company into `db` and finds its logins.
    pub async fn load(db: &Db) -> Cast {
        liaison_demo::load(db, 0, &|_| {}).await.expect("demo load");
        let users = liaison_db::user::list_users(db).await.expect("users");
        let find = |email: &str| {
            users
                .iter()
                .find(|u| u.email == email)
                .unwrap_or_else(|| panic!("{email} is a demo login"))
                .actor()
        };
        Cast {
            admin: find("admin@demo.example"),
            channel: find("channel@demo.example"),
            head: find("head@demo.example"),
            staff: find("staff@demo.example"),
            exec: find("exec@demo.example"),
            p1: find("p1@demo.example"),
            p2: find("p2@demo.example"),
        }
    }

    /// A draft by staff to p1's partner (SH-D001), asking for a confirmation.
    pub async fn draft_to_p1(&self, db: &Db, title: &str) -> liaison_db::request::Request {
        let partner = self.p1.partner_id.expect("p1 has a partner");
        liaison_app::request::create(
            db,
            &self.staff,
            &RequestInput {
                title: Some(title.into()),
                purpose: Some("告知渠道伙伴".into()),
                body: Some("请各位伙伴知悉并确认。".into()),
                ack_required: Some(true),
                ack_due_at: Some(db.now() + chrono::Duration::days(7)),
                audience: Some(Audience {
                    partners: vec![partner],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("draft")
    }

    /// §4.2.1: a request submitted by staff and approved by the department head and channel
    /// management, so dispatched to p1's partner.
    pub async fn dispatched_to_p1(&self, db: &Db, title: &str) -> liaison_db::request::Request {
        let r = self.draft_to_p1(db, title).await;
        liaison_app::request::submit(db, &self.staff, r.id.into())
            .await
            .expect("submit");
        liaison_app::request::decide(db, &self.head, r.id.into(), Decision::Approve, "")
            .await
            .expect("head approves");
        liaison_app::request::decide(db, &self.channel, r.id.into(), Decision::Approve, "")
            .await
            .expect("channel approves")
    }
}
