//! The tamper-evident audit log (§7.2.1, SPEC G5): every mutation appends exactly one row in its
//! own transaction, each row chained to the last by hash, and `verify` names the first row that
//! was edited, deleted, reordered or cut off.

use crate::{
    audit_rows, backends, insert_partner, manager, new_contact, new_partner, partner_rows, user,
};
use liaison_core::partner::{PartnerFilter, PartnerKind};
use liaison_db::audit::{self, AuditRow, Verdict};
use liaison_db::partner;
use liaison_db::segment::{self, SegmentInput};
use liaison_db::{Db, DbError, q};

/// Seven audited mutations: a department, two users, two partners, two contacts.
const SEEDED_ROWS: i64 = 7;

async fn seed(db: &Db) {
    liaison_db::user::insert_department(db, None, "channel", "渠道管理部", Some("Channel"), None)
        .await
        .expect("department");
    let m = manager(db).await;
    user(db, "staff@example.com", "staff").await;
    let a = insert_partner(db, &m, "SH-D001", "上海恒通商贸有限公司").await;
    let b = insert_partner(db, &m, "BJ-D002", "北京京联贸易有限公司").await;
    partner::insert_contact(db, m.id, a.id, &new_contact("刘洋", "liu@hengtong.example"))
        .await
        .expect("contact a");
    partner::insert_contact(
        db,
        m.id,
        b.id,
        &new_contact("张静", "zhang@jinglian.example"),
    )
    .await
    .expect("contact b");
}

/// The whole chain, oldest first.
async fn chain(db: &Db) -> Vec<AuditRow> {
    let mut rows = audit::list(db, None, None, 1000).await.expect("audit list");
    rows.reverse();
    rows
}

/// Runs one tampering statement in a committed transaction, as someone with database access.
async fn tamper(db: &Db, stmt: liaison_db::Q) {
    let mut tx = db.begin().await.expect("begin");
    let n = tx.execute(stmt).await.expect("tamper");
    assert_eq!(n, 1, "the tampering statement touches one row");
    tx.commit().await.expect("commit");
}

async fn verify(db: &Db) -> Verdict {
    audit::verify(db).await.expect("verify runs")
}

fn assert_broken(name: &str, v: Verdict, seq: i64, reason_has: &str) {
    match v {
        Verdict::Broken { seq: s, reason } => {
            assert_eq!(s, seq, "{name}: first bad row ({reason})");
            assert!(
                reason.contains(reason_has),
                "{name}: reason {reason:?} should mention {reason_has:?}"
            );
        }
        Verdict::Intact { rows, .. } => {
            panic!("{name}: tampering not detected, chain of {rows} rows reported intact")
        }
    }
}

#[tokio::test]
async fn untouched_chain_verifies_intact_with_every_row() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        assert_eq!(
            verify(&db).await,
            Verdict::Intact {
                rows: 0,
                head: audit::GENESIS.to_string()
            },
            "{name}: an empty log is intact"
        );
        seed(&db).await;
        let rows = chain(&db).await;
        assert_eq!(
            rows.len() as i64,
            SEEDED_ROWS,
            "{name}: one row per mutation"
        );
        let last = rows.last().expect("rows");
        assert_eq!(
            verify(&db).await,
            Verdict::Intact {
                rows: SEEDED_ROWS,
                head: last.hash.clone()
            },
            "{name}"
        );
        // The links themselves: numbered 1.., each pointing at the hash before it.
        let mut prev = audit::GENESIS.to_string();
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r.seq, i as i64 + 1, "{name}: seq");
            assert_eq!(r.prev_hash, prev, "{name}: row {} prev_hash", r.seq);
            prev = r.hash.clone();
        }
    }
}

#[tokio::test]
async fn edited_detail_is_detected_at_that_row() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        tamper(
            &db,
            q("UPDATE audit_log SET detail = $1 WHERE seq = 2")
                .bind(r#"{"email":"someone-else@example.com","roles":"admin"}"#),
        )
        .await;
        assert_broken(name, verify(&db).await, 2, "edited");
    }
}

#[tokio::test]
async fn deleted_middle_row_is_detected_as_missing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        tamper(&db, q("DELETE FROM audit_log WHERE seq = 4")).await;
        assert_broken(name, verify(&db).await, 4, "missing");
    }
}

#[tokio::test]
async fn reordered_rows_are_detected_at_the_first_moved_row() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        // Swap rows 3 and 4 through a free seq (seq is the primary key).
        let mut tx = db.begin().await.expect("begin");
        for stmt in [
            "UPDATE audit_log SET seq = 100000 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = 100000",
        ] {
            assert_eq!(tx.execute(q(stmt)).await.expect(stmt), 1, "{name}: {stmt}");
        }
        tx.commit().await.expect("commit");
        assert_broken(name, verify(&db).await, 3, "does not follow");
    }
}

#[tokio::test]
async fn rows_cut_off_the_end_are_detected_by_the_head() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        tamper(
            &db,
            q("DELETE FROM audit_log WHERE seq = $1").bind(SEEDED_ROWS),
        )
        .await;
        assert_broken(name, verify(&db).await, SEEDED_ROWS, "cut off");
    }
}

#[tokio::test]
async fn edited_row_with_recomputed_hash_breaks_the_next_link() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        let row = chain(&db).await.remove(2);
        assert_eq!(row.seq, 3, "{name}");
        let forged = r#"{"code":"SH-D001","name":"Forged Ltd"}"#;
        let hash = audit::row_hash(
            &row.prev_hash,
            row.seq,
            &row.at,
            row.actor_id,
            &row.action,
            &row.entity,
            row.entity_id,
            row.partner_id,
            forged,
        );
        tamper(
            &db,
            q("UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = 3")
                .bind(forged)
                .bind(hash),
        )
        .await;
        // Row 3 is self-consistent now; row 4 still points at its old hash.
        assert_broken(name, verify(&db).await, 4, "does not follow");
    }
}

#[tokio::test]
async fn rewritten_tail_without_the_head_is_detected() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        // A thorough tamperer edits row 5 and re-chains every row after it, but the head row
        // still holds the original last hash.
        let rows = chain(&db).await;
        let mut prev = rows[3].hash.clone();
        let mut tx = db.begin().await.expect("begin");
        for r in &rows[4..] {
            let detail = if r.seq == 5 {
                r#"{"forged":true}"#.to_string()
            } else {
                r.detail.clone()
            };
            let hash = audit::row_hash(
                &prev,
                r.seq,
                &r.at,
                r.actor_id,
                &r.action,
                &r.entity,
                r.entity_id,
                r.partner_id,
                &detail,
            );
            tx.execute(
                q("UPDATE audit_log SET detail = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
                    .bind(detail)
                    .bind(prev.clone())
                    .bind(hash.clone())
                    .bind(r.seq),
            )
            .await
            .expect("rewrite row");
            prev = hash;
        }
        tx.commit().await.expect("commit");
        assert_broken(name, verify(&db).await, SEEDED_ROWS + 1, "head");
    }
}

/// The newest audit row.
async fn last_row(db: &Db) -> AuditRow {
    audit::list(db, None, None, 1)
        .await
        .expect("audit list")
        .pop()
        .expect("an audit row")
}

#[tokio::test]
async fn every_mutation_writes_exactly_one_audit_row() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;

        let n = audit_rows(&db).await;
        let p = partner::insert_partner(&db, m.id, &new_partner("SH-D001", "上海恒通商贸有限公司"))
            .await
            .expect("insert partner");
        assert_eq!(audit_rows(&db).await, n + 1, "{name}: insert_partner");
        let row = last_row(&db).await;
        assert_eq!(
            (
                row.action.as_str(),
                row.entity_id,
                row.partner_id,
                row.actor_id
            ),
            ("partner.create", Some(p.id), Some(p.id), Some(m.id)),
            "{name}: insert_partner's row"
        );
        // Written with the same clock reading as the partner: the same transaction.
        assert_eq!(row.at, p.created_at, "{name}: audit time");
        assert_eq!(row.actor_name.as_deref(), Some(m.name.as_str()), "{name}");

        let n = audit_rows(&db).await;
        let mut changed = crate::partner_input("SH-D001", "上海恒通商贸集团");
        changed.tier = Some("B".into());
        let p2 = partner::update_partner(
            &db,
            m.id,
            p.id,
            &changed.parse().expect("valid"),
            Some(p.version),
        )
        .await
        .expect("update partner");
        assert_eq!(audit_rows(&db).await, n + 1, "{name}: update_partner");
        let row = last_row(&db).await;
        assert_eq!(row.action, "partner.update", "{name}");
        let detail: serde_json::Value = serde_json::from_str(&row.detail).expect("json detail");
        assert_eq!(
            detail["tier"],
            serde_json::json!({"from": "A", "to": "B"}),
            "{name}: update detail records what changed: {detail}"
        );
        assert!(
            detail.get("code").is_none(),
            "{name}: unchanged fields are not listed: {detail}"
        );
        assert_eq!(row.at, p2.updated_at, "{name}: audit time of update");

        let n = audit_rows(&db).await;
        let c = partner::insert_contact(&db, m.id, p.id, &new_contact("刘洋", "liu@ht.example"))
            .await
            .expect("insert contact");
        assert_eq!(audit_rows(&db).await, n + 1, "{name}: insert_contact");
        let row = last_row(&db).await;
        assert_eq!(
            (row.action.as_str(), row.entity_id, row.partner_id),
            ("contact.create", Some(c.id), Some(p.id)),
            "{name}: insert_contact's row"
        );

        let n = audit_rows(&db).await;
        partner::delete_contact(&db, m.id, p.id, c.id)
            .await
            .expect("delete contact");
        assert_eq!(audit_rows(&db).await, n + 1, "{name}: delete_contact");
        let row = last_row(&db).await;
        assert_eq!(
            (row.action.as_str(), row.entity_id),
            ("contact.delete", Some(c.id)),
            "{name}"
        );

        let n = audit_rows(&db).await;
        let s = segment::insert_segment(
            &db,
            m.id,
            &SegmentInput {
                name: Some("华东经销商".into()),
                description: None,
                filter: Some(PartnerFilter {
                    kinds: vec![PartnerKind::Distributor],
                    ..Default::default()
                }),
            },
        )
        .await
        .expect("insert segment");
        assert_eq!(audit_rows(&db).await, n + 1, "{name}: insert_segment");
        let row = last_row(&db).await;
        assert_eq!(
            (row.action.as_str(), row.entity_id),
            ("segment.create", Some(s.id)),
            "{name}"
        );

        // The partner's own history, newest first (what the partner page shows).
        let history: Vec<String> = audit::list(&db, Some(p.id), None, 100)
            .await
            .expect("partner history")
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(
            history,
            [
                "contact.delete",
                "contact.create",
                "partner.update",
                "partner.create"
            ],
            "{name}: partner history"
        );
        assert!(
            matches!(verify(&db).await, Verdict::Intact { .. }),
            "{name}: chain intact after mutations"
        );
    }
}

#[tokio::test]
async fn failed_mutations_write_no_audit_row() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let a = insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        insert_partner(&db, &m, "BJ-D002", "北京京联贸易有限公司").await;

        // A department and a segment whose code and name are taken below.
        liaison_db::user::insert_department(&db, None, "sales", "销售部", None, None)
            .await
            .expect("department");
        let seg = |n: &str| SegmentInput {
            name: Some(n.into()),
            description: None,
            filter: Some(PartnerFilter {
                tiers: vec!["A".into()],
                ..Default::default()
            }),
        };
        segment::insert_segment(&db, m.id, &seg("A 级伙伴"))
            .await
            .expect("segment");
        let (audit_before, partners_before) = (audit_rows(&db).await, partner_rows(&db).await);

        // A duplicate code fails inside the transaction, after nothing else was written.
        let dup = partner::insert_partner(&db, m.id, &new_partner("sh-d001", "重复")).await;
        assert!(
            matches!(&dup, Err(DbError::Conflict(m)) if m.contains("SH-D001")),
            "{name}: duplicate code: {dup:?}"
        );
        // Renaming a partner's code onto another's fails at the UPDATE, inside the transaction.
        let clash =
            partner::update_partner(&db, m.id, a.id, &new_partner("BJ-D002", "改名"), None).await;
        assert!(
            matches!(clash, Err(DbError::Conflict(_))),
            "{name}: code clash on update: {clash:?}"
        );
        // A stale version is refused before anything is written.
        let stale =
            partner::update_partner(&db, m.id, a.id, &new_partner("SH-D001", "改名"), Some(99))
                .await;
        assert!(
            matches!(stale, Err(DbError::Conflict(_))),
            "{name}: stale version: {stale:?}"
        );
        // A department code or segment name already taken.
        let dept =
            liaison_db::user::insert_department(&db, None, "SALES", "销售二部", None, None).await;
        assert!(
            matches!(&dept, Err(DbError::Conflict(_))),
            "{name}: duplicate department: {dept:?}"
        );
        let dup_seg = segment::insert_segment(&db, m.id, &seg("A 级伙伴")).await;
        assert!(
            matches!(&dup_seg, Err(DbError::Conflict(_))),
            "{name}: duplicate segment: {dup_seg:?}"
        );
        // Deleting a contact that does not exist.
        let gone = partner::delete_contact(&db, m.id, a.id, uuid::Uuid::now_v7()).await;
        assert!(
            matches!(gone, Err(DbError::NotFound)),
            "{name}: delete missing contact: {gone:?}"
        );

        assert_eq!(audit_rows(&db).await, audit_before, "{name}: audit rows");
        assert_eq!(partner_rows(&db).await, partners_before, "{name}: partners");
        let a_now = partner::find_partner(&db, liaison_core::Scope::All, a.id)
            .await
            .expect("find");
        assert_eq!(
            (a_now.code.as_str(), a_now.name.as_str(), a_now.version),
            ("SH-D001", "上海恒通商贸有限公司", 1),
            "{name}: partner untouched"
        );
        assert!(
            matches!(verify(&db).await, Verdict::Intact { rows, .. } if rows == audit_before),
            "{name}: chain intact"
        );
    }
}

#[tokio::test]
async fn a_row_forged_before_the_first_is_detected() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        seed(&db).await;
        // A forged entry numbered before the chain's start, hashed like a real first row: the
        // audit list shows it as the oldest event, so verify must not skip it.
        let first = chain(&db).await.remove(0);
        let hash = audit::row_hash(
            audit::GENESIS,
            0,
            &first.at,
            None,
            "partner.delete",
            "partner",
            None,
            None,
            "{}",
        );
        tamper(
            &db,
            q("INSERT INTO audit_log (seq, at, actor_id, action, entity, entity_id, partner_id, detail, prev_hash, hash)
               VALUES (0, $1, NULL, 'partner.delete', 'partner', NULL, NULL, '{}', $2, $3)")
            .bind(first.at)
            .bind(audit::GENESIS)
            .bind(hash),
        )
        .await;
        assert_eq!(
            audit::list(&db, None, None, 100)
                .await
                .expect("list")
                .last()
                .map(|r| r.seq),
            Some(0),
            "{name}: the forged row is listed"
        );
        assert_broken(name, verify(&db).await, 0, "inserted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_one_unbroken_chain() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let before = audit_rows(&db).await;
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let db = db.clone();
                let actor = m.id;
                tokio::spawn(async move {
                    let p = partner::insert_partner(
                        &db,
                        actor,
                        &new_partner(&format!("CC-{i:03}"), &format!("并发伙伴{i}")),
                    )
                    .await?;
                    partner::insert_contact(
                        &db,
                        actor,
                        p.id,
                        &new_contact("并发联系人", &format!("c{i}@cc.example")),
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await
                .expect("task")
                .unwrap_or_else(|e| panic!("{name}: concurrent write failed: {e}"));
        }
        assert_eq!(
            audit_rows(&db).await,
            before + 48,
            "{name}: one row per write"
        );
        assert!(
            matches!(verify(&db).await, Verdict::Intact { rows, .. } if rows == before + 48),
            "{name}: {:?}",
            verify(&db).await
        );
    }
}

#[tokio::test]
async fn verify_reads_past_its_first_page() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let rows: Vec<(usize, liaison_core::partner::NewPartner)> = (1..=5100)
            .map(|i| {
                (
                    i + 1,
                    new_partner(&format!("VP-{i:05}"), &format!("伙伴{i}")),
                )
            })
            .collect();
        partner::import_partners(&db, m.id, &rows, false)
            .await
            .expect("import");
        assert!(
            matches!(verify(&db).await, Verdict::Intact { rows: 5101, .. }),
            "{name}: {:?}",
            verify(&db).await
        );
        // Rows 5000 and 5001 sit on either side of verify's page boundary.
        tamper(
            &db,
            q("UPDATE audit_log SET detail = '{}' WHERE seq = 5001"),
        )
        .await;
        assert_broken(name, verify(&db).await, 5001, "edited");
        tamper(&db, q("DELETE FROM audit_log WHERE seq = 5000")).await;
        assert_broken(name, verify(&db).await, 5000, "missing");
    }
}

#[tokio::test]
async fn a_mutation_whose_audit_row_cannot_be_written_is_not_written_either() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let a = insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        // Without its head row the chain cannot be extended: every append fails.
        tamper(&db, q("DELETE FROM audit_head WHERE id = 1")).await;
        let counts = |db: &Db| {
            let db = db.clone();
            async move {
                (
                    partner_rows(&db).await,
                    crate::count(&db, "SELECT COUNT(*) FROM contacts").await,
                    crate::count(&db, "SELECT COUNT(*) FROM users").await,
                    audit_rows(&db).await,
                )
            }
        };
        let before = counts(&db).await;

        let p = partner::insert_partner(&db, m.id, &new_partner("BJ-D002", "北京京联贸易有限公司"))
            .await;
        assert!(p.is_err(), "{name}: insert_partner: {p:?}");
        let c =
            partner::insert_contact(&db, m.id, a.id, &new_contact("刘洋", "liu@ht.example")).await;
        assert!(c.is_err(), "{name}: insert_contact: {c:?}");
        let u = liaison_db::user::insert_user(
            &db,
            None,
            &liaison_db::user::UserInput {
                email: "late@example.com".into(),
                name: "Late".into(),
                password: crate::PASSWORD.into(),
                roles: vec!["staff".into()],
                ..Default::default()
            },
        )
        .await;
        assert!(u.is_err(), "{name}: insert_user: {u:?}");
        let imported = partner::import_partners(
            &db,
            m.id,
            &[(2, new_partner("GZ-D003", "广州南粤供应链有限公司"))],
            false,
        )
        .await;
        assert!(imported.is_err(), "{name}: import_partners: {imported:?}");
        let upd =
            partner::update_partner(&db, m.id, a.id, &new_partner("SH-D001", "改名"), None).await;
        assert!(upd.is_err(), "{name}: update_partner: {upd:?}");

        assert_eq!(
            counts(&db).await,
            before,
            "{name}: nothing written without its audit row"
        );
        let a_now = partner::find_partner(&db, liaison_core::Scope::All, a.id)
            .await
            .expect("find");
        assert_eq!(
            (a_now.name.as_str(), a_now.version),
            ("上海恒通商贸有限公司", 1),
            "{name}: update rolled back"
        );
    }
}
