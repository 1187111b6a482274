//! iCalendar (RFC 5545) feeds: the launch calendar (policy §3.2.2) as all-day events that
//! calendar programs subscribe to. Text is escaped (`\`, `;`, `,`, line breaks) and lines are
//! folded at 75 octets without splitting a UTF-8 character (Chinese summaries).

/// One all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent {
    /// Stable across feeds (`<id>@liaison`): calendars update the event instead of adding one.
    pub uid: String,
    /// When the event last changed, UTC: `20261204T160500Z`.
    pub stamp: String,
    /// The day, `20270301`.
    pub day: String,
    /// The next day (the exclusive end of an all-day event).
    pub next_day: String,
    pub summary: String,
    pub description: String,
    pub categories: Vec<String>,
}

/// The calendar `name` holding `events`, CRLF line ends.
pub fn write_ics(name: &str, events: &[IcsEvent]) -> String {
    let mut out = String::new();
    let mut line = |s: String| fold(&mut out, &s);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Liaison//Launch calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{}", e.stamp));
        line(format!("DTSTART;VALUE=DATE:{}", e.day));
        line(format!("DTEND;VALUE=DATE:{}", e.next_day));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&e.description)));
        }
        if !e.categories.is_empty() {
            let c: Vec<String> = e.categories.iter().map(|c| escape(c)).collect();
            line(format!("CATEGORIES:{}", c.join(",")));
        }
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// TEXT escaping (RFC 5545 §3.3.11); other control characters are dropped.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => o.push_str("\\n"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Appends `s` folded into lines of at most 75 octets (continuations start with a space).
fn fold(out: &mut String, s: &str) {
    let mut width = 0;
    for c in s.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_chinese_lines_fold_on_character_boundaries() {
        let e = IcsEvent {
            uid: "1@liaison".into(),
            stamp: "20261204T160500Z".into(),
            day: "20270301".into(),
            next_day: "20270302".into(),
            summary: "新品上市：".repeat(20),
            description: "第一行\n第二行; a,b".into(),
            categories: vec!["电机".into()],
        };
        let text = write_ics("上市日历", &[e]);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(text.contains("第一行\\n第二行\\; a\\,b"));
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}", "新品上市：".repeat(20))));
    }
}
