//! The search index (SPEC B10): two-character Chinese words inside longer text, words by
//! prefix, codes; a partner sees only its own; the index follows renames and is written in the
//! transaction of the rows it indexes; confidential bodies never enter it.

use crate::{backends, count, insert_partner, manager, new_contact, new_partner};
use liaison_core::Scope;
use liaison_core::partner::PartnerFilter;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_db::partner::{self, PartnerSort};
use liaison_db::search::{self, Hit, Kind};
use liaison_db::{Db, q};
use uuid::Uuid;

async fn find(db: &Db, text: &str, scope: Scope) -> Vec<Hit> {
    search::search(db, text, scope, &Kind::ALL, 50)
        .await
        .expect("search")
}

fn has(hits: &[Hit], kind: Kind, id: Uuid) -> bool {
    hits.iter().any(|h| h.kind == kind && h.id == id)
}

/// A message from staff@demo.example to one partner, through the real review chain and
/// dispatch (whoever still has to approve does).
async fn send(db: &Db, title: &str, body: &str, classification: &str, to: Uuid) -> Uuid {
    let actor = |email: &'static str| async move {
        liaison_db::user::list_users(db)
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.email == email)
            .map(|u| u.actor())
            .expect("demo user")
    };
    let staff = actor("staff@demo.example").await;
    let r = liaison_db::request::insert_request(
        db,
        &staff,
        &RequestInput {
            title: Some(title.into()),
            purpose: Some("search test".into()),
            body: Some(body.into()),
            classification: Some(classification.into()),
            audience: Some(Audience {
                partners: vec![to],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("request");
    // The review chain is the service layer's (a dev-dependency here): the index is checked
    // on what a real dispatch writes.
    liaison_app::request::submit(db, &staff, r.id.into())
        .await
        .expect("submit");
    // §7.1.2: confidential content reaches only people under a valid NDA.
    if classification == "confidential" {
        let now = db.now();
        liaison_db::nda::insert_nda(
            db,
            staff.user_id,
            &liaison_db::nda::NdaInput {
                partner: Some(to.to_string()),
                signed_at: Some(now - chrono::Duration::days(1)),
                expires_at: Some(now + chrono::Duration::days(365)),
                ..Default::default()
            },
        )
        .await
        .expect("nda");
    }
    for who in [
        "head@demo.example",
        "channel@demo.example",
        "exec@demo.example",
    ] {
        let done =
            liaison_app::request::decide(db, &actor(who).await, r.id.into(), Decision::Approve, "")
                .await
                .expect("approve");
        if let Some(m) = done.message_id {
            return m;
        }
    }
    panic!("{title} was not dispatched")
}

async fn partner_id(db: &Db, code: &str) -> Uuid {
    liaison_db::partner::resolve_partner_ref(db, code)
        .await
        .expect("resolve")
        .expect("demo partner")
}

#[tokio::test]
async fn chinese_words_inside_longer_text_latin_prefixes_and_codes_are_found() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let sz = insert_partner(&db, &m, "SZ-D009", "苏州工业园区恒信贸易有限公司").await;
        let other = insert_partner(&db, &m, "BJ-A001", "北京朝阳商贸").await;
        let c = partner::insert_contact(
            &db,
            m.id,
            sz.id,
            &new_contact("Alice Wong", "alice.wong@hengxin.example"),
        )
        .await
        .expect("contact");

        let hits = find(&db, "苏州", Scope::All).await;
        assert!(has(&hits, Kind::Partner, sz.id), "{name}: 苏州 {hits:?}");
        assert!(!has(&hits, Kind::Partner, other.id), "{name}");
        let h = hits.iter().find(|h| h.id == sz.id).expect("hit");
        assert_eq!(h.title_highlights, vec![(0, 2)], "{name}: 苏州 marked");
        for (text, want) in [
            ("恒信", sz.id),
            ("园区恒信", sz.id),
            ("SZ-D0", sz.id),
            ("sz-d009", sz.id),
            ("d009", sz.id),
            ("Ali", c.id),
            ("wong hengx", c.id),
            ("苏", sz.id),
            ("司", sz.id),
        ] {
            let hits = find(&db, text, Scope::All).await;
            assert!(
                hits.iter().any(|h| h.id == want),
                "{name}: {text} finds {want}: {hits:?}"
            );
        }
        assert!(
            find(&db, "苏州 北京", Scope::All).await.is_empty(),
            "{name}: AND"
        );
        assert!(
            find(&db, "信恒", Scope::All).await.is_empty(),
            "{name}: order"
        );
        assert!(find(&db, "  ;; ", Scope::All).await.is_empty(), "{name}");

        // The partner list's q= uses the same index.
        let page = partner::list_partners(
            &db,
            Scope::All,
            &PartnerFilter {
                q: Some("苏州 sz-d".into()),
                ..Default::default()
            },
            PartnerSort::Code,
            None,
            50,
        )
        .await
        .expect("list");
        assert_eq!(
            page.items.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![sz.id],
            "{name}"
        );
    }
}

#[tokio::test]
async fn messages_are_found_by_chinese_words_and_partners_see_only_their_own() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let sh = partner_id(&db, "SH-D001").await;
        let other = partner_id(&db, "BJ-D002").await;
        let rebate = send(
            &db,
            "第三季度渠道政策",
            "本季度返利将于月底结算，苏州地区门店请留意。",
            "internal",
            sh,
        )
        .await;
        let secret = send(
            &db,
            "机密：新品定价",
            "出厂价调整为保密价格表内容",
            "confidential",
            sh,
        )
        .await;

        for text in ["返利", "苏州", "渠道政策", "月底 结算"] {
            let hits = find(&db, text, Scope::All).await;
            assert!(has(&hits, Kind::Message, rebate), "{name}: {text} {hits:?}");
        }
        let hits = find(&db, "返利", Scope::Partner(sh)).await;
        assert!(has(&hits, Kind::Message, rebate), "{name}: own partner");
        let h = hits.iter().find(|h| h.id == rebate).expect("hit");
        assert!(h.snippet.contains("返利"), "{name}: {h:?}");
        assert!(
            find(&db, "返利", Scope::Partner(other)).await.is_empty(),
            "{name}: another partner sees nothing of it"
        );
        assert!(find(&db, "返利", Scope::Nothing).await.is_empty(), "{name}");
        // A partner finds its own record but not another partner's.
        let mine = find(&db, "SH-D001", Scope::Partner(sh)).await;
        assert!(has(&mine, Kind::Partner, sh), "{name}: {mine:?}");
        assert!(
            find(&db, "SH-D001", Scope::Partner(other)).await.is_empty(),
            "{name}"
        );

        // Confidential: the title is searchable, the body is not, and is not stored plain.
        assert!(
            has(
                &find(&db, "新品定价", Scope::All).await,
                Kind::Message,
                secret
            ),
            "{name}: title"
        );
        assert!(
            find(&db, "保密价格", Scope::All).await.is_empty(),
            "{name}: sealed body"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM search_docs WHERE body LIKE '%保密%' OR terms LIKE '%保密%'"
            )
            .await,
            0,
            "{name}: no plaintext of a confidential body in the index"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM search_terms WHERE term = '保密' OR term = '价格'"
            )
            .await,
            0,
            "{name}"
        );

        // Kinds limit what is searched (staff without ReadAllRequests see no messages).
        let only_partners = search::search(&db, "苏州", Scope::All, &[Kind::Partner], 50)
            .await
            .expect("search");
        assert!(
            only_partners.iter().all(|h| h.kind == Kind::Partner),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_index_follows_renames_contact_changes_and_rebuilds() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let p = insert_partner(&db, &m, "HZ-S001", "杭州西湖茶叶店").await;
        let input = new_partner("HZ-S001", "宁波海曙茶叶店");
        partner::update_partner(&db, m.id, p.id, &input, None)
            .await
            .expect("rename");
        assert!(
            find(&db, "西湖", Scope::All).await.is_empty(),
            "{name}: the old name's terms are gone"
        );
        assert!(
            has(&find(&db, "海曙", Scope::All).await, Kind::Partner, p.id),
            "{name}: the new name is found"
        );
        let postings = count(
            &db,
            "SELECT COUNT(*) FROM search_terms s JOIN search_docs d ON d.id = s.doc_id WHERE d.kind = 'partner'",
        )
        .await;
        let distinct = count(
            &db,
            "SELECT COUNT(*) FROM (SELECT DISTINCT doc_id, term FROM search_terms) x",
        )
        .await;
        assert_eq!(
            postings, distinct,
            "{name}: one posting per term and document"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM search_terms WHERE term = '西湖'").await,
            0,
            "{name}"
        );

        // Contacts: update and delete follow too.
        let c =
            partner::insert_contact(&db, m.id, p.id, &new_contact("周晓燕", "zhou@example.com"))
                .await
                .expect("contact");
        partner::update_contact(
            &db,
            m.id,
            p.id,
            c.id,
            &new_contact("吴晓燕", "wu@example.com"),
        )
        .await
        .expect("update contact");
        assert!(find(&db, "周晓", Scope::All).await.is_empty(), "{name}");
        assert!(
            has(&find(&db, "吴晓", Scope::All).await, Kind::Contact, c.id),
            "{name}"
        );
        partner::delete_contact(&db, m.id, p.id, c.id)
            .await
            .expect("delete contact");
        assert!(find(&db, "吴晓", Scope::All).await.is_empty(), "{name}");

        // A full rebuild gives the same answers.
        let mut tx = db.begin().await.expect("tx");
        search::reindex(&mut tx).await.expect("reindex");
        tx.commit().await.expect("commit");
        assert!(
            has(&find(&db, "海曙", Scope::All).await, Kind::Partner, p.id),
            "{name}"
        );
        assert!(find(&db, "西湖", Scope::All).await.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn a_rolled_back_insert_leaves_no_terms() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let before = count(&db, "SELECT COUNT(*) FROM search_terms").await;
        let id = Uuid::now_v7();
        let p = new_partner("WX-R001", "无锡回滚测试商行");
        {
            let mut tx = db.begin().await.expect("tx");
            tx.execute(
                q("INSERT INTO partners (id, code, name, kind, region, tier, status, timezone, working_days,
                     working_hours, tags, search, version, created_at, updated_at)
                   VALUES ($1, 'WX-R001', '无锡回滚测试商行', 'distributor', '华东', 'A', 'active',
                     'Asia/Shanghai', '1-5', '09:00-18:00', '', '', 1, $2, $2)")
                .bind(id)
                .bind(db.now()),
            )
            .await
            .expect("insert");
            search::index(&mut tx, &[search::partner_doc(id, &p, db.now())], true)
                .await
                .expect("index");
            // Dropped without commit: rolled back.
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM search_terms").await,
            before,
            "{name}"
        );
        assert!(find(&db, "回滚", Scope::All).await.is_empty(), "{name}");
        // A failed insert (duplicate code) leaves nothing either.
        let m = manager(&db).await;
        insert_partner(&db, &m, "WX-R002", "无锡第一家").await;
        let dup = partner::insert_partner(&db, m.id, &new_partner("WX-R002", "无锡重复代码")).await;
        assert!(dup.is_err(), "{name}");
        assert!(find(&db, "重复", Scope::All).await.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn imports_and_demo_data_are_indexed() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        liaison_demo::load(&db, 30, &|_| {}).await.expect("demo");
        let generated = find(&db, "GEN-0000017", Scope::All).await;
        assert!(
            generated
                .iter()
                .any(|h| h.kind == Kind::Partner && h.title.contains("17号")),
            "{name}: {generated:?}"
        );
        let m = manager(&db).await;
        let rows = vec![
            (2usize, new_partner("SH-D001", "上海恒通商贸（更名）")),
            (3usize, new_partner("CQ-N001", "重庆解放碑新店")),
        ];
        partner::import_partners(&db, m.id, &rows, false)
            .await
            .expect("import");
        let sh = partner_id(&db, "SH-D001").await;
        assert!(
            has(&find(&db, "更名", Scope::All).await, Kind::Partner, sh),
            "{name}: upsert reindexed under the old id"
        );
        assert!(
            !find(&db, "解放碑", Scope::All).await.is_empty(),
            "{name}: imported"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM search_docs WHERE kind = 'partner'"
            )
            .await,
            count(&db, "SELECT COUNT(*) FROM partners").await,
            "{name}: one document per partner"
        );
    }
}
