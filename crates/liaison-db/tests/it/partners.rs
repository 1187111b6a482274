//! The partner registry (§1.2, SPEC A1/A2): Chinese names, filters, keyset pages, partner
//! scoping (§7.2.2, SPEC G4: partners see only their own data), optimistic versions, unique
//! codes and channel-manager owners.

use crate::{backends, insert_partner, invalid_fields, manager, new_contact, partner_input, user};
use liaison_core::Scope;
use liaison_core::partner::PartnerFilter;
use liaison_db::partner::{self, Partner, PartnerSort};
use liaison_db::user::User;
use liaison_db::{Db, DbError};

async fn insert(db: &Db, m: &User, input: liaison_core::partner::PartnerInput) -> Partner {
    partner::insert_partner(db, m.id, &input.parse().expect("valid partner"))
        .await
        .expect("insert partner")
}

fn codes(items: &[Partner]) -> Vec<&str> {
    items.iter().map(|p| p.code.as_str()).collect()
}

#[tokio::test]
async fn partner_with_chinese_name_round_trips() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let mut input = partner_input(" sh-d001 ", "上海恒通商贸有限公司");
        input.tags = Some(vec!["重点客户, 2026新品首发".into()]);
        input.notes = Some("华东区域总代理，按季度结算".into());
        input.owner = Some("MANAGER@example.com".into());
        let created = insert(&db, &m, input).await;
        let found = partner::find_partner(&db, Scope::All, created.id)
            .await
            .expect("find partner");
        assert_eq!(
            found.code, "SH-D001",
            "{name}: code is trimmed and upper-cased"
        );
        assert_eq!(found.name, "上海恒通商贸有限公司", "{name}");
        assert_eq!(found.region, "华东", "{name}");
        assert_eq!(found.tags, ["重点客户", "2026新品首发"], "{name}");
        assert_eq!(
            found.notes.as_deref(),
            Some("华东区域总代理，按季度结算"),
            "{name}"
        );
        assert_eq!(
            found.owner_id,
            Some(m.id),
            "{name}: owner by e-mail, any case"
        );
        assert_eq!(found.owner_name.as_deref(), Some(m.name.as_str()), "{name}");
        assert_eq!(
            (
                found.timezone.as_str(),
                found.working_days.as_str(),
                found.working_hours.as_str()
            ),
            ("Asia/Shanghai", "1-5", "09:00-18:00"),
            "{name}: defaults"
        );
        assert_eq!((found.version, found.contact_count), (1, 0), "{name}");
        assert_eq!(found.created_at, created.created_at, "{name}");
        assert_eq!(
            partner::resolve_partner_ref(&db, "sh-d001")
                .await
                .expect("resolve"),
            Some(created.id),
            "{name}: resolve by code"
        );
        assert_eq!(
            partner::resolve_partner_ref(&db, &created.id.to_string())
                .await
                .expect("resolve"),
            Some(created.id),
            "{name}: resolve by id"
        );
        assert!(
            matches!(
                partner::find_partner(&db, Scope::All, uuid::Uuid::now_v7()).await,
                Err(DbError::NotFound)
            ),
            "{name}: unknown id"
        );
    }
}

/// Six partners of every kind, region and tier, for the filter tests:
/// code | name | kind | region | tier | tags | status (empty: active).
const REGISTRY: &[&str] = &[
    "SH-D001 | 上海恒通商贸有限公司 | distributor | 华东 | A | 重点客户, 2026新品首发 |",
    "BJ-D002 | 北京京联贸易有限公司 | distributor | 华北 | A | 重点客户 |",
    "SZ-A001 | 深圳前海代理有限公司 | agent | 华南 | B | 2026新品首发 |",
    "EC-001 | 云购优选电商平台 | ecommerce | 全国 | B | | suspended",
    "ST-001 | 上海南京路旗舰店 | store | 华东 | C | 旗舰 |",
    "HT-S002 | 恒通之家 | store | 华南 | C | |",
];

async fn registry(db: &Db, m: &User) {
    for line in REGISTRY {
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        let mut input = partner_input(f[0], f[1]);
        input.kind = Some(f[2].into());
        input.region = Some(f[3].into());
        input.tier = Some(f[4].into());
        input.tags = Some(vec![f[5].into()]);
        input.status = Some(f[6].into());
        insert(db, m, input).await;
    }
}

/// (what, filter as the API takes it, codes expected in code order)
#[rustfmt::skip]
const FILTER_CASES: &[(&str, &str, &[&str])] = &[
    ("no filter", "{}", &["BJ-D002", "EC-001", "HT-S002", "SH-D001", "ST-001", "SZ-A001"]),
    ("kind", r#"{"kinds": ["distributor"]}"#, &["BJ-D002", "SH-D001"]),
    ("two kinds", r#"{"kinds": ["agent", "ecommerce"]}"#, &["EC-001", "SZ-A001"]),
    ("region", r#"{"regions": ["华东"]}"#, &["SH-D001", "ST-001"]),
    ("tier", r#"{"tiers": ["C"]}"#, &["HT-S002", "ST-001"]),
    ("status", r#"{"statuses": ["suspended"]}"#, &["EC-001"]),
    ("tag", r#"{"tags": ["重点客户"]}"#, &["BJ-D002", "SH-D001"]),
    ("either tag", r#"{"tags": ["旗舰", "2026新品首发"]}"#, &["SH-D001", "ST-001", "SZ-A001"]),
    ("part of a tag is no tag", r#"{"tags": ["重点"]}"#, &[]),
    ("kind and region", r#"{"kinds": ["store"], "regions": ["华东"]}"#, &["ST-001"]),
    ("Chinese substring", r#"{"q": "恒通"}"#, &["HT-S002", "SH-D001"]),
    ("code fragment", r#"{"q": "d00"}"#, &["BJ-D002", "SH-D001"]),
    ("code fragment, upper case", r#"{"q": "D00"}"#, &["BJ-D002", "SH-D001"]),
    ("region as text", r#"{"q": "华南"}"#, &["HT-S002", "SZ-A001"]),
    ("every word must match", r#"{"q": "上海 旗舰"}"#, &["ST-001"]),
    ("text and kind", r#"{"q": "恒通", "kinds": ["store"]}"#, &["HT-S002"]),
    ("% is literal", r#"{"q": "%"}"#, &[]),
    ("_ is literal", r#"{"q": "_"}"#, &[]),
];

#[tokio::test]
async fn list_filters_by_kind_region_tier_status_tags_and_text() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        registry(&db, &m).await;
        for &(case, filter, want) in FILTER_CASES {
            let filter: PartnerFilter = serde_json::from_str(filter).expect("filter JSON");
            let page =
                partner::list_partners(&db, Scope::All, &filter, PartnerSort::Code, None, 50)
                    .await
                    .expect("list");
            assert_eq!(codes(&page.items), want, "{name}: {case}");
            assert!(page.next_cursor.is_none(), "{name}: {case}: one page");
            let n = partner::count_partners(&db, Scope::All, &filter)
                .await
                .expect("count");
            assert_eq!(n, want.len() as i64, "{name}: {case}: count");
            let all = partner::list_all_partners(&db, Scope::All, &filter)
                .await
                .expect("list all");
            assert_eq!(codes(&all), want, "{name}: {case}: list_all_partners");
        }
    }
}

/// Walks every page of a list; checks page sizes on the way.
async fn walk(db: &Db, scope: Scope, sort: PartnerSort, limit: i64) -> (Vec<Partner>, usize) {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = partner::list_partners(
            db,
            scope,
            &PartnerFilter::default(),
            sort,
            cursor.as_deref(),
            limit,
        )
        .await
        .expect("page");
        pages += 1;
        assert!(
            page.items.len() as i64 <= limit,
            "page longer than the limit"
        );
        let more = page.next_cursor.is_some();
        if more {
            assert_eq!(
                page.items.len() as i64,
                limit,
                "a page before the last is full"
            );
        }
        assert!(
            !page.items.is_empty() || pages == 1,
            "empty page after a cursor"
        );
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 100, "pagination does not end");
    }
    (out, pages)
}

#[tokio::test]
async fn keyset_pages_cover_every_partner_once_for_every_sort() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        // Codes in one order, names in another, six partners sharing one name so that a tie
        // straddles a page boundary.
        let mut inserted = Vec::new();
        for i in 1..=26 {
            let pname = if i % 4 == 0 {
                "同名伙伴".to_string()
            } else {
                format!("伙伴{:02}", 27 - i)
            };
            inserted.push(insert_partner(&db, &m, &format!("KS-{i:03}"), &pname).await);
        }
        let ids = |v: &[Partner]| v.iter().map(|p| p.id).collect::<Vec<_>>();
        let by_insertion = ids(&inserted);

        for sort in [
            PartnerSort::Code,
            PartnerSort::Name,
            PartnerSort::Created,
            PartnerSort::CreatedDesc,
        ] {
            let full = partner::list_partners(
                &db,
                Scope::All,
                &PartnerFilter::default(),
                sort,
                None,
                1000,
            )
            .await
            .expect("one page");
            assert!(
                full.next_cursor.is_none(),
                "{name}: {sort:?}: all fit in one page"
            );
            let (paged, pages) = walk(&db, Scope::All, sort, 6).await;
            assert_eq!(pages, 5, "{name}: {sort:?}: 26 partners in pages of 6");
            assert_eq!(
                ids(&paged),
                ids(&full.items),
                "{name}: {sort:?}: pages = one long list"
            );
            let mut unique = ids(&paged);
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 26, "{name}: {sort:?}: no duplicates or gaps");

            // An exact multiple of the limit ends without an empty page.
            let (paged13, pages13) = walk(&db, Scope::All, sort, 13).await;
            assert_eq!(
                (pages13, paged13.len()),
                (2, 26),
                "{name}: {sort:?}: pages of 13"
            );

            match sort {
                PartnerSort::Code => {
                    let want: Vec<String> = (1..=26).map(|i| format!("KS-{i:03}")).collect();
                    assert_eq!(codes(&paged), want, "{name}: by code");
                }
                PartnerSort::Name => {
                    let names: Vec<&str> = paged.iter().map(|p| p.name.as_str()).collect();
                    let mut sorted = names.clone();
                    sorted.sort();
                    assert_eq!(names, sorted, "{name}: by name");
                    let tied: Vec<_> = paged
                        .iter()
                        .filter(|p| p.name == "同名伙伴")
                        .map(|p| p.id)
                        .collect();
                    let mut tied_sorted = tied.clone();
                    tied_sorted.sort();
                    assert_eq!(tied.len(), 6, "{name}: the tie group");
                    assert_eq!(tied, tied_sorted, "{name}: equal names by id");
                }
                PartnerSort::Created => {
                    assert_eq!(ids(&paged), by_insertion, "{name}: oldest first")
                }
                PartnerSort::CreatedDesc => {
                    let mut newest_first = by_insertion.clone();
                    newest_first.reverse();
                    assert_eq!(ids(&paged), newest_first, "{name}: newest first");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_cursor_the_list_did_not_give_out_is_invalid() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        for bad in [
            "not a cursor!",
            "bm90IGEgY3Vyc29y",
            "S1MtMDAxH25vdC1hLXV1aWQ",
        ] {
            let r = partner::list_partners(
                &db,
                Scope::All,
                &PartnerFilter::default(),
                PartnerSort::Code,
                Some(bad),
                10,
            )
            .await;
            let e = invalid_fields(name, r);
            assert!(e.for_field("cursor").is_some(), "{name}: {bad}: {e}");
        }
    }
}

#[tokio::test]
async fn partner_scope_hides_other_partners() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let a = insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        let b = insert_partner(&db, &m, "BJ-D002", "北京京联贸易有限公司").await;
        let ca = partner::insert_contact(&db, m.id, a.id, &new_contact("刘洋", "liu@a.example"))
            .await
            .expect("contact a");
        let cb = partner::insert_contact(&db, m.id, b.id, &new_contact("张静", "zhang@b.example"))
            .await
            .expect("contact b");
        let only_a = Scope::Partner(a.id);

        let found = partner::find_partner(&db, only_a, a.id)
            .await
            .expect("own partner");
        assert_eq!((found.id, found.contact_count), (a.id, 1), "{name}");
        assert!(
            matches!(
                partner::find_partner(&db, only_a, b.id).await,
                Err(DbError::NotFound)
            ),
            "{name}: other partner"
        );

        let page = partner::list_partners(
            &db,
            only_a,
            &PartnerFilter::default(),
            PartnerSort::Code,
            None,
            50,
        )
        .await
        .expect("list");
        assert_eq!(codes(&page.items), ["SH-D001"], "{name}: scoped list");
        // A filter naming the other partner still finds nothing.
        let f = PartnerFilter {
            q: Some("京联".into()),
            ..Default::default()
        };
        assert_eq!(
            partner::count_partners(&db, only_a, &f)
                .await
                .expect("count"),
            0,
            "{name}"
        );
        assert_eq!(
            partner::count_partners(&db, only_a, &PartnerFilter::default())
                .await
                .expect("count"),
            1,
            "{name}"
        );

        let own = partner::list_contacts(&db, only_a, a.id)
            .await
            .expect("own contacts");
        assert_eq!(
            own.iter().map(|c| c.id).collect::<Vec<_>>(),
            [ca.id],
            "{name}"
        );
        assert!(
            matches!(
                partner::list_contacts(&db, only_a, b.id).await,
                Err(DbError::NotFound)
            ),
            "{name}: other's contacts"
        );
        assert!(
            matches!(
                partner::find_contact(&db, only_a, b.id, cb.id).await,
                Err(DbError::NotFound)
            ),
            "{name}: other's contact"
        );
        // Naming one's own partner with another's contact id finds nothing either.
        assert!(
            matches!(
                partner::find_contact(&db, only_a, a.id, cb.id).await,
                Err(DbError::NotFound)
            ),
            "{name}: contact of b under a"
        );
        let exported = partner::list_all_contacts(&db, only_a, &PartnerFilter::default())
            .await
            .expect("export");
        assert_eq!(
            exported.iter().map(|c| c.id).collect::<Vec<_>>(),
            [ca.id],
            "{name}: scoped export"
        );

        // A partner user whose account lost its partner sees nothing at all.
        assert_eq!(
            partner::count_partners(&db, Scope::Nothing, &PartnerFilter::default())
                .await
                .expect("count"),
            0,
            "{name}"
        );
        assert!(
            matches!(
                partner::find_partner(&db, Scope::Nothing, a.id).await,
                Err(DbError::NotFound)
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_stale_version_is_refused_and_changes_nothing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let p = insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        let mut edit = partner_input("SH-D001", "上海恒通商贸集团");
        edit.tier = Some("B".into());
        let edit = edit.parse().expect("valid");

        let updated = partner::update_partner(&db, m.id, p.id, &edit, Some(1))
            .await
            .expect("first edit");
        assert_eq!(
            (
                updated.version,
                updated.name.as_str(),
                updated.tier.as_str()
            ),
            (2, "上海恒通商贸集团", "B"),
            "{name}"
        );

        // A second editor still holding version 1.
        let other = crate::new_partner("SH-D001", "别人的修改");
        let r = partner::update_partner(&db, m.id, p.id, &other, Some(1)).await;
        assert!(
            matches!(&r, Err(DbError::Conflict(msg)) if msg.contains("version 2")),
            "{name}: {r:?}"
        );
        let now = partner::find_partner(&db, Scope::All, p.id)
            .await
            .expect("find");
        assert_eq!(
            (now.version, now.name.as_str(), now.tier.as_str()),
            (2, "上海恒通商贸集团", "B"),
            "{name}: unchanged"
        );
        assert_eq!(now.updated_at, updated.updated_at, "{name}");
        // The new name is searchable, the old one is not.
        let by = |t: &str| PartnerFilter {
            q: Some(t.into()),
            ..Default::default()
        };
        assert_eq!(
            partner::count_partners(&db, Scope::All, &by("集团"))
                .await
                .expect("count"),
            1,
            "{name}"
        );
        assert_eq!(
            partner::count_partners(&db, Scope::All, &by("有限公司"))
                .await
                .expect("count"),
            0,
            "{name}"
        );

        let missing = partner::update_partner(&db, m.id, uuid::Uuid::now_v7(), &other, None).await;
        assert!(
            matches!(missing, Err(DbError::NotFound)),
            "{name}: {missing:?}"
        );
    }
}

#[tokio::test]
async fn partner_codes_are_unique() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        let r = partner::insert_partner(&db, m.id, &crate::new_partner("sh-d001", "另一家")).await;
        assert!(
            matches!(&r, Err(DbError::Conflict(msg)) if msg.contains("code") && msg.contains("SH-D001")),
            "{name}: {r:?}"
        );
        assert_eq!(crate::partner_rows(&db).await, 1, "{name}");
    }
}

#[tokio::test]
async fn the_owner_must_be_an_active_channel_manager() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let staff = user(&db, "staff@example.com", "staff").await;
        for (owner, why) in [
            (staff.email.clone(), "a staff member's e-mail"),
            (staff.id.to_string(), "a staff member's id"),
            ("nobody@example.com".to_string(), "an unknown e-mail"),
        ] {
            let mut input = partner_input("SH-D001", "上海恒通商贸有限公司");
            input.owner = Some(owner);
            let r = partner::insert_partner(&db, m.id, &input.parse().expect("valid")).await;
            let e = invalid_fields(name, r);
            assert!(e.for_field("owner").is_some(), "{name}: {why}: {e}");
        }
        assert_eq!(crate::partner_rows(&db).await, 0, "{name}: nothing written");

        let mut input = partner_input("SH-D001", "上海恒通商贸有限公司");
        input.owner = Some(m.id.to_string());
        let p = partner::insert_partner(&db, m.id, &input.parse().expect("valid"))
            .await
            .expect("manager by id");
        assert_eq!(p.owner_id, Some(m.id), "{name}");

        // Handing the partner to a staff member is refused on update too.
        let mut input = partner_input("SH-D001", "上海恒通商贸有限公司");
        input.owner = Some(staff.email.clone());
        let r =
            partner::update_partner(&db, m.id, p.id, &input.parse().expect("valid"), None).await;
        let e = invalid_fields(name, r);
        assert!(e.for_field("owner").is_some(), "{name}: update: {e}");
        let now = partner::find_partner(&db, Scope::All, p.id)
            .await
            .expect("find");
        assert_eq!(
            (now.owner_id, now.version),
            (Some(m.id), 1),
            "{name}: owner unchanged"
        );

        // A channel manager whose account was deactivated owns nothing new.
        let gone = user(&db, "former@example.com", "channel_manager").await;
        let mut tx = db.begin().await.expect("begin");
        tx.execute(
            liaison_db::q("UPDATE users SET active = $1 WHERE id = $2")
                .bind(false)
                .bind(gone.id),
        )
        .await
        .expect("deactivate");
        tx.commit().await.expect("commit");
        let mut input = partner_input("BJ-D002", "北京京联贸易有限公司");
        input.owner = Some(gone.email.clone());
        let r = partner::insert_partner(&db, m.id, &input.parse().expect("valid")).await;
        let e = invalid_fields(name, r);
        assert!(
            e.for_field("owner").is_some(),
            "{name}: inactive manager: {e}"
        );
    }
}
