//! Chinese in and out (SPEC A5, H1): imports read Chinese values in Simplified and Traditional
//! script as well as the codes, from CSV and XLSX; a bad value is named by row and column in
//! the user's language with what is allowed, and nothing is written; exports write people's
//! labels or the codes, times in the viewer's zone with its offset, and read back unchanged.

use crate::{Cast, backends};
use liaison_app::Error;
use liaison_app::import::{self, ExportFormat, Labels};
use liaison_core::Scope;
use liaison_core::partner::{Lang, PartnerFilter};
use liaison_core::validate::RowError;
use liaison_db::Db;

const PARTNERS_CSV: &str = "\u{feff}编码,名称,类型,区域,等级,状态\r\n\
    ZH-001,杭州经销商,经销商,华东,A,合作中\r\n\
    ZH-002,台北門店,門店,华南,B,暫停\r\n\
    ZH-003,电商伙伴,电商平台,华北,C,潜在\r\n\
    ZH-004,成都代理,代理商,西南,B,终止\r\n\
    ZH-005,其他伙伴,其他,西北,C,已暫停\r\n";

fn by_code(code: &str) -> PartnerFilter {
    PartnerFilter {
        q: Some(code.to_string()),
        ..Default::default()
    }
}

async fn partner(db: &Db, code: &str) -> liaison_db::partner::Partner {
    liaison_db::partner::find_partners_by_codes(db, &[code.to_string()])
        .await
        .expect("query")
        .pop()
        .unwrap_or_else(|| panic!("{code} was imported"))
}

async fn partner_count(db: &Db) -> i64 {
    liaison_db::partner::count_partners(db, Scope::All, &PartnerFilter::default())
        .await
        .expect("count")
}

fn rows_of(e: Error) -> Vec<RowError> {
    match e {
        Error::InvalidRows(rows) => rows,
        other => panic!("expected row errors, got {other:?}"),
    }
}

/// A workbook as a person saves it from Excel, written with the crate the exports use.
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, *text)
                .expect("cell written");
        }
    }
    book.save_to_buffer().expect("workbook saved")
}

#[tokio::test]
async fn chinese_values_in_both_scripts_import_from_csv() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let out = import::import_partners(
            &db,
            &cast.channel,
            Lang::ZhCn,
            Some("伙伴.csv"),
            PARTNERS_CSV.as_bytes(),
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(out.created, 5, "{name}");
        for (code, kind, status) in [
            ("ZH-001", "distributor", "active"),
            ("ZH-002", "store", "suspended"),
            ("ZH-003", "ecommerce", "prospect"),
            ("ZH-004", "agent", "terminated"),
            ("ZH-005", "other", "suspended"),
        ] {
            let p = partner(&db, code).await;
            assert_eq!(
                (p.kind.as_str(), p.status.as_str()),
                (kind, status),
                "{name} {code}"
            );
        }
        let contacts = "伙伴编码,姓名,邮箱,偏好渠道,语言\n\
            ZH-001,王伟,wang.wei@zh-001.example,伙伴门户、邮件、企业微信,简体中文\n\
            ZH-002,陳美玲,mei@zh-002.example,電子郵件，釘釘,繁體中文\n\
            ZH-003,Alice Wong,alice@zh-003.example,\"Email, Feishu, Slack\",English\n\
            ZH-004,赵磊,zhao@zh-004.example,电话;Webhook;飞书,ZH-cn\n";
        import::import_contacts(
            &db,
            &cast.channel,
            Lang::ZhCn,
            Some("联系人.csv"),
            contacts.as_bytes(),
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let all = liaison_db::partner::list_all_contacts(&db, Scope::All, &by_code("ZH"))
            .await
            .expect("contacts");
        let find = |n: &str| {
            all.iter()
                .find(|c| c.name == n)
                .unwrap_or_else(|| panic!("{name}: {n} imported"))
        };
        assert_eq!(
            find("王伟").preferred_channels,
            ["portal", "email", "wecom"]
        );
        assert_eq!(find("王伟").lang, "zh-CN");
        assert_eq!(find("陳美玲").preferred_channels, ["email", "dingtalk"]);
        assert_eq!(find("陳美玲").lang, "zh-TW");
        assert_eq!(find("Alice Wong").lang, "en");
        assert_eq!(
            find("赵磊").preferred_channels,
            ["phone", "webhook", "feishu"]
        );
    }
}

#[tokio::test]
async fn chinese_values_import_from_xlsx() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let bytes = workbook(&[
            &["編碼", "名稱", "類型", "區域", "等級", "狀態"],
            &["TW-101", "高雄經銷商", "經銷商", "華南", "A", "合作中"],
            &["TW-102", "台中電商", "電商平台", "華中", "B", "潛在"],
        ]);
        let out = import::import_partners(
            &db,
            &cast.channel,
            Lang::ZhTw,
            Some("夥伴.xlsx"),
            &bytes,
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(out.created, 2, "{name}");
        let p = partner(&db, "TW-101").await;
        assert_eq!(
            (p.kind.as_str(), p.status.as_str()),
            ("distributor", "active")
        );
        let p = partner(&db, "TW-102").await;
        assert_eq!(
            (p.kind.as_str(), p.status.as_str()),
            ("ecommerce", "prospect")
        );
        let bytes = workbook(&[
            &["夥伴代碼", "姓名", "電子郵件", "偏好管道", "語言"],
            &[
                "TW-101",
                "林志明",
                "lin@tw-101.example",
                "電子郵件、企業微信",
                "繁體中文",
            ],
        ]);
        import::import_contacts(&db, &cast.channel, Lang::ZhTw, None, &bytes, false)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let c = liaison_db::partner::list_all_contacts(&db, Scope::All, &by_code("TW-101"))
            .await
            .expect("contacts");
        assert_eq!(c.len(), 1, "{name}");
        assert_eq!(c[0].preferred_channels, ["email", "wecom"]);
        assert_eq!(c[0].lang, "zh-TW");
    }
}

/// SPEC A5: every bad cell is reported, in the user's own words, naming the row, the column
/// and what is allowed, and nothing is written.
#[tokio::test]
async fn bad_values_are_named_by_row_and_column_in_the_users_language() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let before = partner_count(&db).await;
        let csv = "编码,名称,类型,区域,等级,状态\n\
            BAD-001,好伙伴,经销商,华东,A,合作中\n\
            BAD-002,坏伙伴,批发商,华东,A,冻结\n\
            BAD-003,,代理商,华北,B,\n\
            BAD-001,重复,门店,华南,C,\n";
        let zh = rows_of(
            import::import_partners(&db, &cast.channel, Lang::ZhCn, None, csv.as_bytes(), false)
                .await
                .expect_err("bad rows"),
        );
        let messages: Vec<&str> = zh.iter().map(|r| r.message.as_str()).collect();
        assert!(
            messages.contains(
                &"第 3 行 类型：'批发商' 不是可选值（经销商、代理商、电商平台、线下门店、其他）"
            ),
            "{name}: {messages:?}"
        );
        assert!(
            messages.contains(&"第 3 行 状态：'冻结' 不是可选值（潜在、合作中、已暂停、已终止）"),
            "{name}: {messages:?}"
        );
        assert!(
            messages.contains(&"第 5 行 编码：编码 BAD-001 与第 2 行重复"),
            "{name}: {messages:?}"
        );
        // Row 4's missing name is reported with the others, and each cell once.
        let fields: Vec<(usize, &str)> = zh.iter().map(|r| (r.row, r.field.as_str())).collect();
        assert_eq!(
            fields,
            [(3, "kind"), (3, "status"), (4, "name"), (5, "code")],
            "{name}"
        );
        assert!(messages.iter().any(|m| m.starts_with("第 4 行 名称：")));
        assert_eq!(partner_count(&db).await, before, "{name}: nothing written");

        let tw = rows_of(
            import::import_partners(&db, &cast.channel, Lang::ZhTw, None, csv.as_bytes(), false)
                .await
                .expect_err("bad rows"),
        );
        assert_eq!(
            tw[0].message,
            "第 3 列 類型：「批发商」不是可選的值（經銷商、代理商、電商平台、實體門市、其他）",
            "{name}"
        );
        let en = rows_of(
            import::import_partners(&db, &cast.channel, Lang::En, None, csv.as_bytes(), false)
                .await
                .expect_err("bad rows"),
        );
        assert_eq!(
            en[0].message,
            "Row 3, Type: '批发商' is not one of the allowed values (Distributor, Agent, E-commerce platform, Retail store, Other)",
            "{name}"
        );

        // Contacts: an unknown partner, a channel and a language that do not exist.
        let contacts = "伙伴编码,姓名,邮箱,偏好渠道,语言\n\
            NOPE-1,王伟,w@x.example,邮件,简体中文\n\
            SH-D001,李娜,l@x.example,邮件、微信,火星文\n";
        let rows = rows_of(
            import::import_contacts(
                &db,
                &cast.channel,
                Lang::ZhCn,
                None,
                contacts.as_bytes(),
                false,
            )
            .await
            .expect_err("bad rows"),
        );
        let messages: Vec<&str> = rows.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "第 2 行 伙伴编码：没有编码为 NOPE-1 的伙伴",
                "第 3 行 偏好渠道：'微信' 不是可选值（伙伴门户、邮件、企业微信、钉钉、飞书、Slack、Webhook、电话）",
                "第 3 行 语言：'火星文' 不是可选值（简体中文、繁体中文、英语）",
            ],
            "{name}"
        );
        // The file itself: a header without the code column, in the user's language.
        let e = import::import_partners(
            &db,
            &cast.channel,
            Lang::ZhCn,
            None,
            "名称,类型\n甲,经销商\n".as_bytes(),
            false,
        )
        .await
        .expect_err("no code column");
        match e {
            Error::Invalid(f) => assert!(
                f.0[0].message.starts_with("表头缺少必需的列：编码。"),
                "{name}: {f}"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// Exports write what the reader needs: people's labels in their language or codes for
/// systems; either file imports back unchanged (SPEC A5).
#[tokio::test]
async fn exports_with_chinese_labels_or_codes_import_back_unchanged() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let all = PartnerFilter::default();
        for labels in [
            Labels::In(Lang::ZhCn),
            Labels::In(Lang::ZhTw),
            Labels::In(Lang::En),
            Labels::Codes,
        ] {
            for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
                let first = import::export_partners(&db, &cast.channel, &all, format, labels)
                    .await
                    .expect("export");
                let back = import::import_partners(
                    &db,
                    &cast.channel,
                    Lang::ZhCn,
                    Some(&first.filename),
                    &first.bytes,
                    false,
                )
                .await
                .unwrap_or_else(|e| panic!("{name} {labels:?} {format:?}: {e:?}"));
                assert_eq!(back.created, 0, "{name} {labels:?} {format:?}");
                assert_eq!(back.updated as i64, partner_count(&db).await);
                let again = import::export_partners(&db, &cast.channel, &all, format, labels)
                    .await
                    .expect("export");
                let table = |b: &[u8]| liaison_docs::read_table(Some(&first.filename), b, 100_000);
                assert_eq!(
                    table(&first.bytes).expect("first"),
                    table(&again.bytes).expect("again"),
                    "{name} {labels:?} {format:?}: the file came back changed"
                );

                let contacts = import::export_contacts(&db, &cast.channel, &all, format, labels)
                    .await
                    .expect("export");
                let back = import::import_contacts(
                    &db,
                    &cast.channel,
                    Lang::ZhCn,
                    Some(&contacts.filename),
                    &contacts.bytes,
                    false,
                )
                .await
                .unwrap_or_else(|e| panic!("{name} {labels:?} {format:?}: {e:?}"));
                assert_eq!(back.created, 0, "{name} {labels:?} {format:?}");
                let again = import::export_contacts(&db, &cast.channel, &all, format, labels)
                    .await
                    .expect("export");
                assert_eq!(
                    table(&contacts.bytes).expect("first"),
                    table(&again.bytes).expect("again"),
                    "{name} {labels:?} {format:?}: contacts came back changed"
                );
            }
        }
        let zh = import::export_partners(
            &db,
            &cast.channel,
            &by_code("SH-D001"),
            ExportFormat::Csv,
            Labels::In(Lang::ZhCn),
        )
        .await
        .expect("export");
        let text = String::from_utf8(zh.bytes).expect("UTF-8");
        assert!(
            text.starts_with("\u{feff}编码,名称,类型,区域,等级,状态,负责人"),
            "{name}: {text}"
        );
        assert!(
            text.contains(",经销商,") && text.contains(",合作中,"),
            "{name}: {text}"
        );
        let codes = import::export_partners(
            &db,
            &cast.channel,
            &by_code("SH-D001"),
            ExportFormat::Csv,
            Labels::Codes,
        )
        .await
        .expect("export");
        let text = String::from_utf8(codes.bytes).expect("UTF-8");
        assert!(
            text.starts_with("\u{feff}code,name,kind,region,tier,status"),
            "{name}"
        );
        assert!(
            text.contains(",distributor,") && text.contains(",active,"),
            "{name}"
        );
        let contacts = import::export_contacts(
            &db,
            &cast.channel,
            &by_code("SH-D001"),
            ExportFormat::Csv,
            Labels::In(Lang::ZhCn),
        )
        .await
        .expect("export");
        let text = String::from_utf8(contacts.bytes).expect("UTF-8");
        assert!(
            text.contains("伙伴门户、邮件") && text.contains(",简体中文"),
            "{name}: {text}"
        );
    }
}

/// The receipts file: the viewer's local time with its offset (Beijing time for the demo
/// company), states and channels as labels or codes.
#[tokio::test]
async fn the_receipts_file_shows_local_times_with_the_offset() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = cast.dispatched_to_p1(&db, "十二月返利政策").await;
        let message = r.message_id.expect("dispatched");
        liaison_app::inbox::open(&db, &cast.p1, message.into())
            .await
            .expect("p1 reads it");
        let read = liaison_db::inbox::deliveries(&db, message, false, None, 100)
            .await
            .expect("deliveries")
            .into_iter()
            .find_map(|d| d.read_at)
            .expect("a delivery was read");
        let beijing = read.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"));
        let zh = import::export_deliveries(
            &db,
            &cast.channel,
            r.id.into(),
            false,
            ExportFormat::Csv,
            Labels::In(Lang::ZhCn),
        )
        .await
        .expect("export");
        let text = String::from_utf8(zh.bytes).expect("UTF-8");
        assert!(
            text.starts_with(
                "\u{feff}伙伴编码,伙伴名称,联系人,渠道,状态,阅读时间,确认时间,逾期确认"
            ),
            "{name}: {text}"
        );
        assert!(
            text.contains(&beijing.format("%Y-%m-%d %H:%M:%S +08:00").to_string()),
            "{name}: {text}"
        );
        assert!(text.contains(",伙伴门户,"), "{name}: {text}");
        let codes = import::export_deliveries(
            &db,
            &cast.channel,
            r.id.into(),
            false,
            ExportFormat::Csv,
            Labels::Codes,
        )
        .await
        .expect("export");
        let text = String::from_utf8(codes.bytes).expect("UTF-8");
        assert!(text.contains(",portal,"), "{name}: {text}");
        assert!(
            text.contains(&beijing.format("%Y-%m-%dT%H:%M:%S+08:00").to_string()),
            "{name}: {text}"
        );
        // Partner users never get the board: another request's partner as much as the
        // recipient's own (404, as for the request itself).
        for outsider in [&cast.p1, &cast.p2] {
            let e = import::export_deliveries(
                &db,
                outsider,
                r.id.into(),
                false,
                ExportFormat::Xlsx,
                Labels::In(Lang::ZhCn),
            )
            .await
            .expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        }
    }
}

/// §4.2.1: channel management owns the registry; staff and partner users neither import nor
/// export it, whatever language they ask for.
#[tokio::test]
async fn staff_and_partner_users_may_not_import_or_export_the_registry() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        for who in [&cast.staff, &cast.p1, &cast.p2] {
            let e =
                import::import_partners(&db, who, Lang::ZhCn, None, PARTNERS_CSV.as_bytes(), true)
                    .await
                    .expect_err("refused");
            assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
            let e = import::export_contacts(
                &db,
                who,
                &PartnerFilter::default(),
                ExportFormat::Csv,
                Labels::In(Lang::ZhCn),
            )
            .await
            .expect_err("refused");
            assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        }
    }
}

/// Issue 10: the dry run is the real run rolled back. It refuses what the real run refuses (an
/// owner who is not an active channel manager, a code twice in the file, next to a row's own
/// syntax errors) and counts what the real run would create and update, writing nothing.
#[tokio::test]
async fn a_dry_run_is_the_real_run_rolled_back() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let before = partner_count(&db).await;
        let bad = "编码,名称,类型,区域,等级,状态,渠道经理\n\
            DRY-001,好伙伴,经销商,华东,A,合作中,head@demo.example\n\
            DRY-002,坏伙伴,批发商,华东,A,合作中,\n\
            DRY-003,三号,代理商,华北,B,,\n\
            DRY-003,三号重复,代理商,华北,B,,\n";
        let mut answers = Vec::new();
        for dry_run in [true, false] {
            let rows = rows_of(
                import::import_partners(
                    &db,
                    &cast.channel,
                    Lang::En,
                    None,
                    bad.as_bytes(),
                    dry_run,
                )
                .await
                .expect_err("bad rows"),
            );
            let fields: Vec<(usize, String)> =
                rows.iter().map(|r| (r.row, r.field.clone())).collect();
            answers.push(fields);
        }
        assert_eq!(
            answers[0],
            [
                (2, "owner".to_string()),
                (3, "kind".into()),
                (5, "code".into())
            ],
            "{name}: the dry run finds the owner and the duplicate next to the bad kind"
        );
        assert_eq!(answers[0], answers[1], "{name}: dry and real runs agree");

        let good = "编码,名称,类型,区域,等级,状态\n\
            SH-D001,上海华东经销有限公司,经销商,华东,A,合作中\n\
            DRY-010,新伙伴,代理商,华北,B,潜在\n\
            DRY-011,新伙伴二,门店,华南,C,潜在\n";
        let dry =
            import::import_partners(&db, &cast.channel, Lang::ZhCn, None, good.as_bytes(), true)
                .await
                .unwrap_or_else(|e| panic!("{name}: dry run: {e:?}"));
        assert_eq!(
            (dry.dry_run, dry.rows, dry.created, dry.updated),
            (true, 3, 2, 1),
            "{name}: the dry run counts what would be created"
        );
        assert_eq!(partner_count(&db).await, before, "{name}: nothing written");
        let real =
            import::import_partners(&db, &cast.channel, Lang::ZhCn, None, good.as_bytes(), false)
                .await
                .unwrap_or_else(|e| panic!("{name}: real run: {e:?}"));
        assert_eq!((real.created, real.updated), (dry.created, dry.updated));
        assert_eq!(partner_count(&db).await, before + 2, "{name}");

        let contacts = "伙伴编码,联系人,邮箱\n\
            DRY-010,赵六,zhao@dry.example\n\
            DRY-011,钱七,qian@dry.example\n";
        let dry = import::import_contacts(
            &db,
            &cast.channel,
            Lang::ZhCn,
            None,
            contacts.as_bytes(),
            true,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: contacts dry run: {e:?}"));
        assert_eq!((dry.created, dry.updated), (2, 0), "{name}");
        let p = partner(&db, "DRY-010").await;
        let listed = liaison_db::partner::list_contacts(&db, Scope::All, p.id)
            .await
            .expect("contacts");
        assert!(listed.is_empty(), "{name}: the dry run wrote no contact");
    }
}

/// Issue 10: a phone number is text a spreadsheet would run (`+86 138…`, `-1+1`), so the
/// contacts CSV guards it like every other text column, and the guard comes off on import: the
/// file imports back with every phone unchanged.
#[tokio::test]
async fn phone_numbers_in_the_contacts_csv_cannot_run_as_formulas() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let all = PartnerFilter::default();
        let phones = |db: Db| async move {
            let mut p: Vec<(String, Option<String>)> =
                liaison_db::partner::list_all_contacts(&db, Scope::All, &PartnerFilter::default())
                    .await
                    .expect("contacts")
                    .into_iter()
                    .map(|c| (c.id.to_string(), c.phone))
                    .collect();
            p.sort();
            p
        };
        let before = phones(db.clone()).await;
        assert!(
            before
                .iter()
                .any(|(_, p)| p.as_deref().is_some_and(|p| p.starts_with('+'))),
            "{name}: the demo has international numbers"
        );
        let file =
            import::export_contacts(&db, &cast.channel, &all, ExportFormat::Csv, Labels::Codes)
                .await
                .expect("export");
        let text = String::from_utf8(file.bytes.clone()).expect("UTF-8");
        assert!(text.contains(",'+86 "), "{name}: phones are guarded");
        assert!(
            !text.contains(",+"),
            "{name}: no cell starts with + unguarded"
        );
        assert!(
            !text.contains(",-"),
            "{name}: no cell starts with - unguarded"
        );
        let back = import::import_contacts(
            &db,
            &cast.channel,
            Lang::ZhCn,
            Some(&file.filename),
            &file.bytes,
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(back.created, 0, "{name}: every contact is known again");
        assert_eq!(phones(db.clone()).await, before, "{name}: phones unchanged");
    }
}
