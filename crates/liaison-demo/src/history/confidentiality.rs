//! The confidentiality story (issue 15; policy §7.2.2, §7.3): two months ago marketing sent
//! 广州南粤 (GZ-D003, with its NDA) a confidential notice of the fourth quarter's rebates, with
//! leadership on its access list. Three weeks later a passage of it turned up in an industry
//! chat group: channel management traced the passage to the copy of one of 广州南粤's people,
//! reported the leak, the executive contained it at once (the copy recalled, its links ended),
//! and the incident was investigated and closed under the NDA. Today 赵敏 (channel2@), a channel
//! manager outside the notice's circle, waits for marketing's answer to her request to read it.
//!
//! It runs on its own clock, in time order, and once (its own audit marker).

use crate::{DbError, Result};
use chrono::Duration;
use liaison_app::incidents::{Patch, Report};
use liaison_core::access::ItemKind;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_core::{Actor, FixedClock, Role};
use liaison_db::audit::{self, Entry};
use liaison_db::incidents::Suspect;
use liaison_db::{Db, q};
use serde_json::json;
use std::sync::Arc;

const MARKER: &str = "demo.confidentiality_history";
const PARTNER: &str = "GZ-D003";

/// The notice: long enough that any few sentences of it carry a copy's marks.
pub const NOTICE: &str = "各位合作伙伴：第四季度华南区返利政策调整如下，仅限签署保密协议的合作伙伴内部知悉。\n\n\
一、自10月1日起，一级经销商的季度返利比例由3%调整为4.5%，达成季度目标120%以上的部分另加1%。\n\n\
二、伺服电机 LX-SM150 与变频器 LX-VF075 的专项推广费用由公司承担六成，费用申请需在每月10日前提交。\n\n\
三、新的最低成交价见附表，任何对外报价不得低于该价格。如发现低价扰乱市场，公司将暂停相应返利。\n\n\
四、本政策在公司正式公告前不得以任何形式对外传播，包括截图、转发和口头透露。\
Product pricing in this notice is confidential until the public launch.\n\n\
如有疑问，请联系渠道管理部陈立。";

/// The demo's API token (SPEC H2): 恒通商贸's ERP reading its inbox. Its secret was shown once
/// when the demo was loaded and kept nowhere, as with any token; the name says so.
pub const DEMO_TOKEN: &str =
    "演示令牌：恒通 ERP 读收件箱（密钥未保存）Demo ERP token, secret not kept";

/// p1 (恒通商贸's partner admin) made one token for its ERP, unless it is there; returns
/// whether it made it. The secret is dropped at once: to try the API, make a new token on the
/// portal's "API access" page (README).
pub async fn write_demo_token(db: &Db) -> Result<bool> {
    let Some(p1) = liaison_db::user::find_user_by_email(db, "p1@demo.example").await? else {
        return Ok(false);
    };
    let Some(partner) = p1.partner_id else {
        return Ok(false);
    };
    let have = liaison_db::api_token::list_tokens(db, Some(partner), None, 500).await?;
    if have.iter().any(|t| t.name == DEMO_TOKEN) {
        return Ok(false);
    }
    // The answer holds the secret, shown this once: the demo keeps it nowhere.
    liaison_app::api_token::create(
        db,
        &p1.actor(),
        &liaison_app::api_token::TokenInput {
            partner_id: Some(partner),
            name: Some(DEMO_TOKEN.into()),
            scopes: Some(vec!["inbox:read".into(), "inbox:ack".into()]),
            expires_at: None,
        },
    )
    .await
    .map_err(bad)?;
    Ok(true)
}

fn bad(e: liaison_app::Error) -> DbError {
    DbError::Config(format!("demo confidentiality story: {e}"))
}

/// Writes the story once; returns whether it wrote it.
pub async fn write(db: &Db) -> Result<bool> {
    // Confidential content is sealed and marked with the server's key: without one (a bare
    // `liaison demo` on a database URL) the story waits for a run that has it.
    if db.cipher().is_err() {
        return Ok(false);
    }
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    if done > 0 {
        return Ok(false);
    }
    let users = liaison_db::user::list_users(db).await?;
    let actor = |email: &str| -> Option<Actor> {
        users.iter().find(|u| u.email == email).map(|u| u.actor())
    };
    let (Some(staff), Some(head), Some(channel), Some(exec), Some(channel2)) = (
        actor("staff@demo.example"),
        actor("head@demo.example"),
        actor("channel@demo.example"),
        actor("exec@demo.example"),
        actor("channel2@demo.example"),
    ) else {
        return Ok(false);
    };
    let Some(partner) = liaison_db::partner::resolve_partner_ref(db, PARTNER).await? else {
        return Ok(false);
    };
    let now = db.now();
    let clock = Arc::new(FixedClock::new(now - Duration::days(62)));
    let hdb = db.with_clock(clock.clone());

    // The NDA 广州南粤 signed last year, and the confidential notice it covers.
    liaison_app::nda::record(
        &hdb,
        &channel,
        &liaison_db::nda::NdaInput {
            partner: Some(PARTNER.into()),
            signed_at: Some(now - Duration::days(400)),
            expires_at: Some(now + Duration::days(330)),
            document: Some("广州南粤-保密协议-2025.pdf".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(bad)?;
    let r = liaison_app::request::create(
        &hdb,
        &staff,
        &RequestInput {
            title: Some("第四季度华南区返利政策（保密）".into()),
            purpose: Some("告知华南核心经销商第四季度返利与推广费用政策".into()),
            body: Some(NOTICE.into()),
            classification: Some("confidential".into()),
            ack_required: Some(true),
            ack_due_at: Some(now - Duration::days(55)),
            audience: Some(Audience {
                partners: vec![partner],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .map_err(bad)?;
    liaison_app::access::set_list(
        &hdb,
        &staff,
        ItemKind::Request,
        r.id,
        &[],
        &[Role::Executive],
    )
    .await
    .map_err(bad)?;
    liaison_app::request::submit(&hdb, &staff, r.id.into())
        .await
        .map_err(bad)?;
    clock.advance(Duration::hours(2));
    let mut current = liaison_db::request::find_request(&hdb, r.id).await?;
    for _ in 0..3 {
        let Some(step) = current.state.step() else {
            break;
        };
        let who = match step {
            liaison_core::review::Step::DeptHead => &head,
            liaison_core::review::Step::ChannelReview => &channel,
            liaison_core::review::Step::Executive => &exec,
        };
        current =
            liaison_app::request::decide_with(&hdb, who, r.id.into(), Decision::Approve, "", true)
                .await
                .map_err(bad)?;
        clock.advance(Duration::hours(1));
    }
    let Some(message) = current.message_id else {
        return Ok(false);
    };

    // Three weeks later a passage turns up in a chat group: traced, reported, contained.
    clock.advance(Duration::days(21));
    let recipients = liaison_db::incidents::recipients(&hdb, message).await?;
    let Some(leaker) = recipients.first() else {
        return Ok(false);
    };
    let copy =
        liaison_app::leaks::copy_of_delivery(&hdb, leaker.delivery_id, NOTICE).map_err(bad)?;
    // Retyped into a chat: the second and third paragraphs, invisible characters lost.
    let passage: String = copy
        .split("\n\n")
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}'))
        .collect();
    let trace = liaison_app::leaks::trace(&hdb, &channel, &passage)
        .await
        .map_err(bad)?;
    let suspects: Vec<Suspect> = trace
        .candidates
        .iter()
        .take(1)
        .map(|c| Suspect {
            delivery_id: c.delivery_id,
            partner_id: c.partner_id,
            contact_id: c.contact_id,
            score: c.score,
        })
        .collect();
    let incident = liaison_app::incidents::report(
        &hdb,
        &channel,
        &Report {
            title: "第四季度华南区返利政策外泄".into(),
            severity: Some("high".into()),
            message_id: Some(message),
            description: "区域销售在一个行业微信群里看到了返利政策的第二、三条原文，截图已存档。"
                .into(),
            leaked_text: passage,
            suspects,
        },
    )
    .await
    .map_err(bad)?;
    clock.advance(Duration::minutes(40));
    liaison_app::incidents::contain(&hdb, &exec, incident.id)
        .await
        .map_err(bad)?;
    clock.advance(Duration::days(2));
    liaison_app::incidents::update(
        &hdb,
        &channel,
        incident.id,
        &Patch {
            state: Some("investigating".into()),
            note: Some(
                "已约谈广州南粤渠道负责人，对方确认该副本的收件人曾将内容转给一名新入职的业务员。"
                    .into(),
            ),
            ..Default::default()
        },
    )
    .await
    .map_err(bad)?;
    clock.advance(Duration::days(12));
    let nda = liaison_app::nda::list(&hdb, &channel, Some(PARTNER))
        .await
        .map_err(bad)?
        .into_iter()
        .next()
        .map(|n| n.id);
    liaison_app::incidents::update(
        &hdb,
        &channel,
        incident.id,
        &Patch {
            state: Some("closed".into()),
            cause: Some("收件人将通知内容转给未签署保密协议的新员工，后者转发到行业群。".into()),
            responsible: Some("广州南粤供应链有限公司（收件人及其新员工）".into()),
            nda_id: nda,
            actions: Some(
                "依保密协议向广州南粤发出书面警告并扣减当季 1% 返利；对方完成全员保密培训，新员工补签保密协议；该副本已撤回。"
                    .into(),
            ),
            note: Some("结案。".into()),
        },
    )
    .await
    .map_err(bad)?;

    // Today: 赵敏 asks marketing to read the notice.
    liaison_app::access::ask(
        db,
        &channel2,
        ItemKind::Request,
        r.id,
        "我接手华南区部分客户，需要了解第四季度返利政策，请允许查阅。",
    )
    .await
    .map_err(bad)?;
    audit::record(
        db,
        Entry {
            actor_id: None,
            action: MARKER,
            entity: "demo",
            entity_id: None,
            partner_id: None,
            detail: json!({"request": r.id, "incident": incident.id}),
        },
    )
    .await?;
    Ok(true)
}
