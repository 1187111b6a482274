//! The few localised strings that e-mails and robot cards share, in the contact's language
//! (zh-CN, zh-TW, en). Subject markers (SPEC B5) come from the catalogues: 【紧急】【重要】 in
//! Simplified, 【緊急】【重要】 in Traditional Chinese.

use crate::{Notice, NoticeKind};
use chrono::{DateTime, FixedOffset, Utc};
use liaison_core::partner::Lang;

/// The subject line (and card title): markers for urgency, importance and kind, then the title.
/// `【紧急】【重要】【提醒】季度返利调整` / `[Urgent] [Important] [Reminder] Rebate change`.
pub fn subject(n: &Notice) -> String {
    let mut markers: Vec<&str> = Vec::new();
    let zh = n.lang != Lang::En;
    let t = |key| liaison_i18n::t(n.lang, key);
    if n.is_urgent() {
        markers.push(t("mail.marker.urgent"));
    }
    if n.is_important() {
        markers.push(t("mail.marker.important"));
    }
    match n.kind {
        NoticeKind::Message => {}
        NoticeKind::Reminder => markers.push(t("mail.marker.reminder")),
        NoticeKind::Overdue => markers.push(t("mail.marker.overdue")),
    }
    let title = one_line(&n.title);
    if zh {
        format!("{}{title}", markers.concat())
    } else if markers.is_empty() {
        title
    } else {
        format!("{} {title}", markers.join(" "))
    }
}

/// Collapses line breaks and runs of white space (a header or card title is one line).
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn confirm_label(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "确认收到",
        Lang::ZhTw => "確認收到",
        Lang::En => "Confirm receipt",
    }
}

pub(crate) fn view_label(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "在合作伙伴门户中查看",
        Lang::ZhTw => "在合作夥伴入口網站中查看",
        Lang::En => "View in the partner portal",
    }
}

/// Deadlines are shown in China Standard Time with the offset written out, so nobody has to
/// guess the zone.
pub(crate) fn due_line(lang: Lang, due: DateTime<Utc>) -> String {
    let t = match FixedOffset::east_opt(8 * 3600) {
        Some(cst) => due.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string(),
        None => due.format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    match lang {
        Lang::ZhCn => format!("请于 {t}（北京时间，UTC+8）前确认收到。"),
        Lang::ZhTw => format!("請於 {t}（UTC+8）前確認收到。"),
        Lang::En => format!("Please confirm receipt by {t} (UTC+8)."),
    }
}

pub(crate) fn classification_name(lang: Lang, c: &str) -> String {
    let name = match (lang, c) {
        (Lang::ZhCn, "public") => "公开",
        (Lang::ZhCn, "internal") => "内部",
        (Lang::ZhCn, "confidential") => "机密",
        (Lang::ZhCn, "secret") => "绝密",
        (Lang::ZhTw, "public") => "公開",
        (Lang::ZhTw, "internal") => "內部",
        (Lang::ZhTw, "confidential") => "機密",
        (Lang::ZhTw, "secret") => "絕密",
        _ => c,
    };
    name.to_owned()
}

/// §7.2.1: what goes out instead of a confidential or secret body.
pub(crate) fn classified_notice(lang: Lang, classification: &str) -> String {
    let c = classification_name(lang, classification);
    match lang {
        Lang::ZhCn => {
            format!("此消息为{c}信息，正文不通过邮件或即时通讯发送：请登录合作伙伴门户阅读。")
        }
        Lang::ZhTw => format!(
            "此訊息為{c}資訊，內文不透過電子郵件或即時通訊傳送：請登入合作夥伴入口網站閱讀。"
        ),
        Lang::En => format!(
            "This message is {c}: its content is not sent by e-mail or chat. Read it in the partner portal."
        ),
    }
}

/// The line above the body for reminders and overdue reports; None for a first send.
pub(crate) fn lead(n: &Notice) -> Option<String> {
    let s = match (n.kind, n.lang) {
        (NoticeKind::Message, _) => return None,
        (NoticeKind::Reminder, Lang::ZhCn) if n.ack_required => {
            "提醒：此消息需要您确认收到，您尚未确认。"
        }
        (NoticeKind::Reminder, Lang::ZhTw) if n.ack_required => {
            "提醒：此訊息需要您確認收到，您尚未確認。"
        }
        (NoticeKind::Reminder, Lang::En) if n.ack_required => {
            "Reminder: this message needs your confirmation of receipt, which we have not yet received."
        }
        (NoticeKind::Reminder, Lang::ZhCn) => "提醒：请阅读此消息。",
        (NoticeKind::Reminder, Lang::ZhTw) => "提醒：請閱讀此訊息。",
        (NoticeKind::Reminder, Lang::En) => "Reminder: please read this message.",
        (NoticeKind::Overdue, Lang::ZhCn) => "确认截止时间已过，仍有接收方未确认收到。",
        (NoticeKind::Overdue, Lang::ZhTw) => "確認截止時間已過，仍有接收方未確認收到。",
        (NoticeKind::Overdue, Lang::En) => {
            "The confirmation deadline has passed and some recipients have not confirmed receipt."
        }
    };
    Some(s.to_owned())
}

pub(crate) fn sender_line(lang: Lang, sender: &str) -> String {
    match lang {
        Lang::ZhCn => format!("发送方：{sender}"),
        Lang::ZhTw => format!("發送方：{sender}"),
        Lang::En => format!("From: {sender}"),
    }
}

pub(crate) fn automated_line(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "此邮件由系统自动发送，请勿直接回复。",
        Lang::ZhTw => "此郵件由系統自動發送，請勿直接回覆。",
        Lang::En => "This e-mail was sent automatically; please do not reply to it.",
    }
}

/// Truncates to at most `max` bytes on a character boundary, marking the cut with "…".
pub(crate) fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let ell = "…";
    let mut end = max.saturating_sub(ell.len());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ell}", &s[..end])
}
