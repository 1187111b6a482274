//! Notices to send in tests.

use chrono::{TimeZone, Utc};
use liaison_channels::{Notice, NoticeKind};
use liaison_core::partner::Lang;
use uuid::Uuid;

/// A sentence that must never leave the portal when the message is classified (§7.2.1).
pub const SECRET_SENTENCE: &str = "华东区第三季度返利底价为每台八百七十元";

pub fn notice(lang: Lang) -> Notice {
    let delivery_id = Uuid::now_v7();
    Notice {
        delivery_id,
        message_id: Uuid::now_v7(),
        kind: NoticeKind::Message,
        lang,
        sender: "渠道管理部".to_owned(),
        title: "关于第三季度返利政策调整的通知".to_owned(),
        body: Some(
            "各位合作伙伴：\n\n自 **10 月 1 日** 起，返利比例调整如下：\n\n- 华东：3%\n- 华南：2.5%\n\n详见 [政策原文](https://partners.example.com/docs/rebate)。".to_owned(),
        ),
        importance: "normal".to_owned(),
        urgency: "normal".to_owned(),
        classification: "internal".to_owned(),
        ack_required: true,
        ack_due_at: Some(Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).single().unwrap_or_default()),
        view_url: format!("https://liaison.example.com/portal/messages/{delivery_id}"),
        confirm_url: Some(format!(
            "https://liaison.example.com/ack/{delivery_id}?sig=c0ffee"
        )),
        sequence: 0,
        reply_to: None,
    }
}
