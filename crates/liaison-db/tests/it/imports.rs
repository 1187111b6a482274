//! Bulk imports (SPEC A5): all or nothing, with row-level errors; partners upsert by code and
//! contacts by e-mail, each imported record leaving its own audit row (§7.2.1).

use crate::{audit_rows, backends, count, manager, new_contact, partner_input, partner_rows};
use liaison_core::Scope;
use liaison_core::partner::{NewContact, NewPartner, PartnerFilter};
use liaison_core::validate::RowError;
use liaison_db::audit::{self, Verdict};
use liaison_db::partner::{self, ImportReport};
use liaison_db::{Db, DbError};
use std::collections::HashMap;

fn row_errors<T: std::fmt::Debug>(name: &str, r: Result<T, DbError>) -> Vec<RowError> {
    match r {
        Err(DbError::InvalidRows(rows)) => rows,
        other => panic!("{name}: expected DbError::InvalidRows, got {other:?}"),
    }
}

fn has(errors: &[RowError], row: usize, field: &str) -> bool {
    errors.iter().any(|e| e.row == row && e.field == field)
}

fn partner_row(code: &str, name: &str, owner: Option<&str>) -> NewPartner {
    let mut input = partner_input(code, name);
    input.owner = owner.map(str::to_string);
    input.parse().expect("valid partner")
}

async fn contact_rows(db: &Db) -> i64 {
    count(db, "SELECT COUNT(*) FROM contacts").await
}

/// Audit actions written since `after`, oldest first.
async fn actions_since(db: &Db, after: i64) -> Vec<(String, Option<uuid::Uuid>)> {
    let mut rows = audit::list(db, None, None, 10_000).await.expect("audit");
    rows.retain(|r| r.seq > after);
    rows.reverse();
    rows.into_iter().map(|r| (r.action, r.entity_id)).collect()
}

#[tokio::test]
async fn a_partner_import_with_bad_rows_writes_nothing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        crate::insert_partner(&db, &m, "OLD-001", "已有伙伴").await;
        let (partners, audits) = (partner_rows(&db).await, audit_rows(&db).await);
        let rows = vec![
            (
                2,
                partner_row(
                    "SH-D001",
                    "上海恒通商贸有限公司",
                    Some("manager@example.com"),
                ),
            ),
            (
                3,
                partner_row(
                    "BJ-D002",
                    "北京京联贸易有限公司",
                    Some("nobody@example.com"),
                ),
            ),
            (4, partner_row("sh-d001", "重复的代码", None)),
            (5, partner_row("OLD-001", "更新已有伙伴", None)),
        ];
        let errors = row_errors(
            name,
            partner::import_partners(&db, m.id, &rows, false).await,
        );
        assert!(
            has(&errors, 3, "owner"),
            "{name}: unknown owner in row 3: {errors:?}"
        );
        assert!(
            has(&errors, 4, "code"),
            "{name}: duplicate code in row 4: {errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.row == 4 && e.message.contains("row 2")),
            "{name}: the duplicate names the first row: {errors:?}"
        );
        assert_eq!(errors.len(), 2, "{name}: only the bad rows: {errors:?}");
        assert_eq!(
            partner_rows(&db).await,
            partners,
            "{name}: no partner written"
        );
        assert_eq!(
            audit_rows(&db).await,
            audits,
            "{name}: no audit row written"
        );
        let old = partner::list_all_partners(&db, Scope::All, &PartnerFilter::default())
            .await
            .expect("list");
        assert_eq!(
            (old.len(), old[0].name.as_str(), old[0].version),
            (1, "已有伙伴", 1),
            "{name}: the existing partner was not updated"
        );
    }
}

#[tokio::test]
async fn a_partner_import_creates_then_updates_by_code() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let seq0 = audit_rows(&db).await;
        let first: Vec<(usize, NewPartner)> = (1..=5)
            .map(|i| {
                (
                    i + 1,
                    partner_row(
                        &format!("IM-{i:03}"),
                        &format!("导入伙伴{i}"),
                        Some("manager@example.com"),
                    ),
                )
            })
            .collect();
        let report = partner::import_partners(&db, m.id, &first, false)
            .await
            .expect("first import");
        assert_eq!(
            report,
            ImportReport {
                created: 5,
                updated: 0
            },
            "{name}"
        );
        assert_eq!(partner_rows(&db).await, 5, "{name}");

        let ids: HashMap<String, uuid::Uuid> =
            partner::list_all_partners(&db, Scope::All, &PartnerFilter::default())
                .await
                .expect("list")
                .into_iter()
                .map(|p| (p.code, p.id))
                .collect();
        let created = actions_since(&db, seq0).await;
        assert_eq!(
            created.len(),
            5,
            "{name}: one audit row per imported partner"
        );
        for (code, id) in &ids {
            assert!(
                created.contains(&("partner.import_create".to_string(), Some(*id))),
                "{name}: audit row for {code}: {created:?}"
            );
        }

        // Same codes again (renamed), plus one new one.
        let seq1 = audit_rows(&db).await;
        let mut second: Vec<(usize, NewPartner)> = (1..=5)
            .map(|i| {
                (
                    i + 1,
                    partner_row(&format!("IM-{i:03}"), &format!("改名伙伴{i}"), None),
                )
            })
            .collect();
        second.push((7, partner_row("IM-006", "新伙伴", None)));
        let report = partner::import_partners(&db, m.id, &second, false)
            .await
            .expect("second import");
        assert_eq!(
            report,
            ImportReport {
                created: 1,
                updated: 5
            },
            "{name}"
        );
        assert_eq!(partner_rows(&db).await, 6, "{name}: no duplicates");

        let after = partner::list_all_partners(&db, Scope::All, &PartnerFilter::default())
            .await
            .expect("list");
        for p in &after {
            if p.code == "IM-006" {
                assert_eq!((p.name.as_str(), p.version), ("新伙伴", 1), "{name}");
                continue;
            }
            assert_eq!(
                Some(&p.id),
                ids.get(&p.code),
                "{name}: {} keeps its id",
                p.code
            );
            assert!(
                p.name.starts_with("改名伙伴"),
                "{name}: {} renamed: {}",
                p.code,
                p.name
            );
            assert_eq!(p.version, 2, "{name}: {} version bumped", p.code);
            assert_eq!(
                p.owner_id, None,
                "{name}: {} owner cleared as the file says",
                p.code
            );
        }
        let actions = actions_since(&db, seq1).await;
        assert_eq!(actions.len(), 6, "{name}: {actions:?}");
        assert_eq!(
            actions
                .iter()
                .filter(|(a, _)| a == "partner.import_update")
                .count(),
            5,
            "{name}: {actions:?}"
        );
        assert!(
            actions
                .iter()
                .all(|(_, id)| id.is_some_and(|id| after.iter().any(|p| p.id == id))),
            "{name}: every audit row names its partner: {actions:?}"
        );
        assert!(
            matches!(
                audit::verify(&db).await.expect("verify"),
                Verdict::Intact { .. }
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_large_partner_import_spans_several_batches() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let rows: Vec<(usize, NewPartner)> = (1..=1201)
            .map(|i| {
                (
                    i + 1,
                    partner_row(&format!("BULK-{i:05}"), &format!("批量伙伴{i}"), None),
                )
            })
            .collect();
        let report = partner::import_partners(&db, m.id, &rows, false)
            .await
            .expect("import");
        assert_eq!(
            report,
            ImportReport {
                created: 1201,
                updated: 0
            },
            "{name}"
        );
        assert_eq!(partner_rows(&db).await, 1201, "{name}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'partner.import_create' AND entity_id IS NOT NULL").await,
            1201,
            "{name}: an audit row for each"
        );
        let report = partner::import_partners(&db, m.id, &rows, false)
            .await
            .expect("re-import");
        assert_eq!(
            report,
            ImportReport {
                created: 0,
                updated: 1201
            },
            "{name}"
        );
        assert_eq!(partner_rows(&db).await, 1201, "{name}");
        assert_eq!(
            audit::verify(&db).await.expect("verify"),
            Verdict::Intact {
                rows: 1 + 2 * 1201,
                head: audit::list(&db, None, None, 1).await.expect("head")[0]
                    .hash
                    .clone()
            },
            "{name}"
        );
    }
}

fn contact_row(row: usize, code: &str, c: NewContact) -> (usize, String, NewContact) {
    (row, code.to_string(), c)
}

#[tokio::test]
async fn a_contact_import_naming_an_unknown_partner_writes_nothing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        crate::insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        let audits = audit_rows(&db).await;
        let rows = vec![
            contact_row(2, "sh-d001", new_contact("刘洋", "liu@ht.example")),
            contact_row(3, "XX-404", new_contact("无名", "nobody@ht.example")),
            contact_row(4, "", new_contact("空代码", "blank@ht.example")),
        ];
        let errors = row_errors(
            name,
            partner::import_contacts(&db, m.id, &rows, false).await,
        );
        assert!(has(&errors, 3, "partner_code"), "{name}: {errors:?}");
        assert!(has(&errors, 4, "partner_code"), "{name}: {errors:?}");
        assert!(
            !errors.iter().any(|e| e.row == 2),
            "{name}: row 2 is fine: {errors:?}"
        );
        assert_eq!(contact_rows(&db).await, 0, "{name}: no contact written");
        assert_eq!(
            audit_rows(&db).await,
            audits,
            "{name}: no audit row written"
        );
    }
}

#[tokio::test]
async fn a_contact_import_updates_by_email_instead_of_duplicating() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let a = crate::insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        let b = crate::insert_partner(&db, &m, "BJ-D002", "北京京联贸易有限公司").await;
        let first = vec![
            contact_row(2, "SH-D001", new_contact("刘洋", "liu@ht.example")),
            contact_row(3, "SH-D001", new_contact("王芳", "wang@ht.example")),
            contact_row(4, "bj-d002", new_contact("张静", "zhang@jl.example")),
        ];
        let report = partner::import_contacts(&db, m.id, &first, false)
            .await
            .expect("first import");
        assert_eq!(
            report,
            ImportReport {
                created: 3,
                updated: 0
            },
            "{name}"
        );
        assert_eq!(contact_rows(&db).await, 3, "{name}");
        let liu = partner::list_contacts(&db, Scope::All, a.id)
            .await
            .expect("contacts")
            .into_iter()
            .find(|c| c.email.as_deref() == Some("liu@ht.example"))
            .expect("liu");

        let seq = audit_rows(&db).await;
        let second = vec![
            // Same e-mail at the same partner (typed in another case): an update.
            contact_row(
                2,
                "SH-D001",
                new_contact("刘洋（采购总监）", "LIU@ht.example"),
            ),
            // A new e-mail: a new contact.
            contact_row(3, "SH-D001", new_contact("赵敏", "zhao@ht.example")),
            // The same e-mail at another partner is another person.
            contact_row(4, "BJ-D002", new_contact("刘洋", "liu@ht.example")),
        ];
        let report = partner::import_contacts(&db, m.id, &second, false)
            .await
            .expect("second import");
        assert_eq!(
            report,
            ImportReport {
                created: 2,
                updated: 1
            },
            "{name}"
        );
        assert_eq!(contact_rows(&db).await, 5, "{name}");
        let a_contacts = partner::list_contacts(&db, Scope::All, a.id)
            .await
            .expect("contacts");
        assert_eq!(a_contacts.len(), 3, "{name}: {a_contacts:?}");
        let liu_now = a_contacts
            .iter()
            .find(|c| c.id == liu.id)
            .expect("same contact kept");
        assert_eq!(liu_now.name, "刘洋（采购总监）", "{name}: updated in place");
        assert_eq!(
            partner::list_contacts(&db, Scope::All, b.id)
                .await
                .expect("contacts")
                .len(),
            2,
            "{name}"
        );

        let actions = actions_since(&db, seq).await;
        assert_eq!(
            actions.len(),
            3,
            "{name}: one audit row per imported contact: {actions:?}"
        );
        assert!(
            actions.contains(&("contact.import_update".to_string(), Some(liu.id))),
            "{name}: {actions:?}"
        );
        assert!(
            matches!(
                audit::verify(&db).await.expect("verify"),
                Verdict::Intact { .. }
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_contact_import_naming_one_email_twice_for_a_partner_is_refused() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        crate::insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        crate::insert_partner(&db, &m, "BJ-D002", "北京京联贸易有限公司").await;
        let audits = audit_rows(&db).await;
        let rows = vec![
            contact_row(2, "SH-D001", new_contact("刘洋", "liu@ht.example")),
            contact_row(3, "BJ-D002", new_contact("刘洋", "liu@ht.example")),
            contact_row(4, "sh-d001", new_contact("刘洋（重复）", "Liu@HT.example")),
        ];
        let errors = row_errors(
            name,
            partner::import_contacts(&db, m.id, &rows, false).await,
        );
        assert!(has(&errors, 4, "email"), "{name}: {errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.row == 4 && e.message.contains("row 2")),
            "{name}: names the first row: {errors:?}"
        );
        assert_eq!(
            errors.len(),
            1,
            "{name}: the same e-mail at another partner is fine: {errors:?}"
        );
        assert_eq!(contact_rows(&db).await, 0, "{name}: nothing written");
        assert_eq!(audit_rows(&db).await, audits, "{name}: no audit row");
    }
}
