//! The partner registry's values (SPEC A1, A2, A4; policy §1.2: distributors, agents,
//! e-commerce platforms, offline stores). Raw input from JSON, forms and CSV rows becomes a
//! `NewPartner` / `NewContact` here, once, or a list of field errors.

use crate::validate::{EmailAddress, FieldErrors, Msg, optional_text, required_text};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use crate::str_enum;

str_enum!(
    /// §1.2: the kinds of channel partner.
    PartnerKind { Distributor = "distributor", Agent = "agent", Ecommerce = "ecommerce", Store = "store", Other = "other" }
);

str_enum!(PartnerStatus {
    Prospect = "prospect",
    Active = "active",
    Suspended = "suspended",
    Terminated = "terminated",
});

str_enum!(
    /// §2.1: the channels a contact can be reached on.
    Channel { Portal = "portal", Email = "email", Wecom = "wecom", Dingtalk = "dingtalk", Feishu = "feishu", Slack = "slack", Webhook = "webhook", Phone = "phone" }
);

/// The UI languages (H1): defined with the message catalogues, which sit below core.
pub use liaison_i18n::Lang;

/// A partner code: 2 to 32 of A-Z, 0-9, `-` and `_`, uppercased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PartnerCode(String);

impl PartnerCode {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let c = s.trim().to_uppercase();
        if c.len() < 2 || c.len() > 32 {
            return Err(Msg::new("validate.code_length"));
        }
        if !c
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(Msg::new("validate.code_chars"));
        }
        Ok(Self(c))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Days of the week a partner works (ISO numbers, 1 = Monday) and its daily hours, in its own
/// time zone (§5.3.2). Written `1-5` and `09:00-18:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    pub days: Vec<u8>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            days: vec![1, 2, 3, 4, 5],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
        }
    }
}

impl WorkingHours {
    pub fn parse_days(s: &str) -> Result<Vec<u8>, Msg> {
        let err = || Msg::new("validate.working_days");
        let mut days = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (part, part),
            };
            let a: u8 = a.parse().map_err(|_| err())?;
            let b: u8 = b.parse().map_err(|_| err())?;
            if !(1..=7).contains(&a) || !(1..=7).contains(&b) || a > b {
                return Err(err());
            }
            days.extend(a..=b);
        }
        days.sort_unstable();
        days.dedup();
        if days.is_empty() {
            return Err(err());
        }
        Ok(days)
    }

    pub fn parse_hours(s: &str) -> Result<(NaiveTime, NaiveTime), Msg> {
        let err = || Msg::new("validate.working_hours");
        let (a, b) = s.trim().split_once('-').ok_or_else(err)?;
        let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| err())?;
        let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| err())?;
        if a >= b {
            return Err(Msg::new("validate.end_after_start"));
        }
        Ok((a, b))
    }

    /// `1-5`, `1-3,5`: runs of consecutive days are folded.
    pub fn days_text(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.days.len() {
            let start = self.days[i];
            let mut end = start;
            while i + 1 < self.days.len() && self.days[i + 1] == end + 1 {
                i += 1;
                end = self.days[i];
            }
            out.push(if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            });
            i += 1;
        }
        out.join(",")
    }

    pub fn hours_text(&self) -> String {
        format!(
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

pub fn parse_timezone(s: &str) -> Result<String, Msg> {
    let s = s.trim();
    s.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| Msg::new("validate.timezone").arg("value", s))
}

/// Splits `a; b, c` (or `a、b`, as Chinese lists are written) into trimmed, de-duplicated
/// parts (tags, channel lists).
pub fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in s.split([',', ';', '，', '；', '、', '|']) {
        let p = p.trim();
        if !p.is_empty() && !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    out
}

/// A partner as typed by a person or read from a file: every field raw.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartnerInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub status: Option<String>,
    /// The owning channel manager's user id or e-mail.
    pub owner: Option<String>,
    pub timezone: Option<String>,
    pub working_days: Option<String>,
    pub working_hours: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
}

impl PartnerInput {
    /// Fields present in `patch` replace those here (PATCH semantics).
    pub fn overlay(mut self, patch: PartnerInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(
            code,
            name,
            kind,
            region,
            tier,
            status,
            owner,
            timezone,
            working_days,
            working_hours,
            tags,
            notes
        );
        self
    }

    /// Checks every field and reports every problem at once.
    pub fn parse(&self) -> Result<NewPartner, FieldErrors> {
        let mut e = FieldErrors::new();
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let code = e.take("code", PartnerCode::parse(&s(&self.code)));
        let name = e.take("name", required_text(&s(&self.name), 200));
        let kind = e.take("kind", PartnerKind::parse(&s(&self.kind)));
        let region = e.take("region", required_text(&s(&self.region), 100));
        let tier = e.take("tier", required_text(&s(&self.tier), 20));
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => Some(PartnerStatus::Active),
            Some(v) => e.take("status", PartnerStatus::parse(v)),
        };
        let owner = e
            .take("owner", optional_text(&s(&self.owner), 254))
            .unwrap_or_default();
        let timezone = match self.timezone.as_deref().map(str::trim) {
            None | Some("") => Some("Asia/Shanghai".to_string()),
            Some(v) => e.take("timezone", parse_timezone(v)),
        };
        let default_hours = WorkingHours::default();
        let days = match self.working_days.as_deref().map(str::trim) {
            None | Some("") => Some(default_hours.days.clone()),
            Some(v) => e.take("working_days", WorkingHours::parse_days(v)),
        };
        let hours = match self.working_hours.as_deref().map(str::trim) {
            None | Some("") => Some((default_hours.start, default_hours.end)),
            Some(v) => e.take("working_hours", WorkingHours::parse_hours(v)),
        };
        let mut tags = Vec::new();
        for t in self.tags.iter().flatten().flat_map(|t| split_list(t)) {
            if t.chars().count() > 40 {
                e.add("tags", Msg::new("validate.tag_too_long").arg("tag", t));
            } else if !tags.contains(&t) {
                tags.push(t);
            }
        }
        if tags.len() > 20 {
            e.add("tags", Msg::new("validate.max_tags").arg("max", 20));
        }
        let notes = e
            .take("notes", optional_text(&s(&self.notes), 2000))
            .flatten();
        if !e.is_empty() {
            return Err(e);
        }
        match (
            code, name, kind, region, tier, status, timezone, days, hours,
        ) {
            (
                Some(code),
                Some(name),
                Some(kind),
                Some(region),
                Some(tier),
                Some(status),
                Some(timezone),
                Some(days),
                Some((start, end)),
            ) => Ok(NewPartner {
                code,
                name,
                kind,
                region,
                tier,
                status,
                owner,
                timezone,
                working_hours: WorkingHours { days, start, end },
                tags,
                notes,
            }),
            _ => Err(FieldErrors::single("partner", Msg::new("validate.invalid"))),
        }
    }
}

/// A partner that passed every check; `owner` is still to be resolved to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPartner {
    pub code: PartnerCode,
    pub name: String,
    pub kind: PartnerKind,
    pub region: String,
    pub tier: String,
    pub status: PartnerStatus,
    pub owner: Option<String>,
    pub timezone: String,
    pub working_hours: WorkingHours,
    pub tags: Vec<String>,
    pub notes: Option<String>,
}

/// A contact as typed or read from a file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub im_webhook: Option<String>,
    pub preferred_channels: Option<Vec<String>>,
    pub lang: Option<String>,
}

impl ContactInput {
    pub fn overlay(mut self, patch: ContactInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(
            name,
            email,
            phone,
            title,
            im_webhook,
            preferred_channels,
            lang
        );
        self
    }

    pub fn parse(&self) -> Result<NewContact, FieldErrors> {
        let mut e = FieldErrors::new();
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let name = e.take("name", required_text(&s(&self.name), 100));
        let email = match self.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => e.take("email", EmailAddress::parse(v)),
        };
        let phone = match e
            .take("phone", optional_text(&s(&self.phone), 40))
            .flatten()
        {
            Some(p) if !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) => {
                e.add("phone", Msg::new("validate.phone"));
                None
            }
            p => p,
        };
        let im_webhook = match e
            .take("im_webhook", optional_text(&s(&self.im_webhook), 500))
            .flatten()
        {
            Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                e.add("im_webhook", Msg::new("validate.http_url"));
                None
            }
            u => u,
        };
        let title = e
            .take("title", optional_text(&s(&self.title), 100))
            .flatten();
        let mut channels = Vec::new();
        for c in self
            .preferred_channels
            .iter()
            .flatten()
            .flat_map(|c| split_list(c))
        {
            if let Some(ch) = e.take("preferred_channels", Channel::parse(&c))
                && !channels.contains(&ch)
            {
                channels.push(ch);
            }
        }
        if channels.is_empty() {
            channels.push(Channel::Portal);
            if email.is_some() {
                channels.push(Channel::Email);
            }
        }
        if channels.contains(&Channel::Email) && email.is_none() {
            e.add("email", Msg::new("validate.email_for_channel"));
        }
        let lang = match self.lang.as_deref().map(str::trim) {
            None | Some("") => Some(Lang::ZhCn),
            Some(v) => e.take("lang", Lang::parse(v)),
        };
        // Reported with the other problems, unless one of the three was itself invalid.
        let reachable_fields_ok = ["email", "phone", "im_webhook"]
            .iter()
            .all(|f| e.get(f).is_none());
        if email.is_none() && phone.is_none() && im_webhook.is_none() && reachable_fields_ok {
            e.add("email", Msg::new("validate.contact_reachable"));
        }
        if !e.is_empty() {
            return Err(e);
        }
        match (name, lang) {
            (Some(name), Some(lang)) => Ok(NewContact {
                name,
                email,
                phone,
                title,
                im_webhook,
                preferred_channels: channels,
                lang,
            }),
            _ => Err(FieldErrors::single("contact", Msg::new("validate.invalid"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub name: String,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub im_webhook: Option<String>,
    pub preferred_channels: Vec<Channel>,
    pub lang: Lang,
}

/// A saved audience filter (SPEC A4), also the partner list's filter. Empty lists match all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartnerFilter {
    pub kinds: Vec<PartnerKind>,
    pub regions: Vec<String>,
    pub tiers: Vec<String>,
    pub statuses: Vec<PartnerStatus>,
    pub tags: Vec<String>,
    /// Free text over code, name, region and tags, or over one contact's name, e-mail, phone
    /// and title (Chinese too).
    pub q: Option<String>,
}

impl PartnerFilter {
    pub fn is_empty(&self) -> bool {
        self == &PartnerFilter::default()
    }

    /// Bounds a filter from outside: at most 50 values a list, 100 characters a value.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        let lists: [(&str, Vec<&str>); 5] = [
            ("kinds", self.kinds.iter().map(|k| k.as_str()).collect()),
            ("regions", self.regions.iter().map(String::as_str).collect()),
            ("tiers", self.tiers.iter().map(String::as_str).collect()),
            (
                "statuses",
                self.statuses.iter().map(|k| k.as_str()).collect(),
            ),
            ("tags", self.tags.iter().map(String::as_str).collect()),
        ];
        for (field, values) in lists {
            if values.len() > 50 {
                e.add(field, Msg::new("validate.max_values").arg("max", 50));
            } else if values.iter().any(|v| v.chars().count() > 100) {
                e.add(field, Msg::new("validate.value_max_chars").arg("max", 100));
            }
        }
        if self.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
            e.add("q", Msg::new("validate.max_chars").arg("max", 100));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> PartnerInput {
        PartnerInput {
            code: Some("sh-001".into()),
            name: Some("上海华东贸易有限公司".into()),
            kind: Some("distributor".into()),
            region: Some("华东".into()),
            tier: Some("A".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_partner_gets_defaults() {
        let p = valid().parse().expect("valid");
        assert_eq!(p.code.as_str(), "SH-001");
        assert_eq!(p.status, PartnerStatus::Active);
        assert_eq!(p.timezone, "Asia/Shanghai");
        assert_eq!(p.working_hours.days_text(), "1-5");
        assert_eq!(p.working_hours.hours_text(), "09:00-18:00");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let e = PartnerInput {
            code: Some("x".into()),
            kind: Some("wholesaler".into()),
            timezone: Some("Mars/Base".into()),
            working_hours: Some("18:00-09:00".into()),
            ..Default::default()
        }
        .parse()
        .expect_err("invalid");
        for f in [
            "code",
            "name",
            "kind",
            "region",
            "tier",
            "timezone",
            "working_hours",
        ] {
            assert!(e.for_field(f).is_some(), "no error for {f}: {e}");
        }
    }

    #[test]
    fn working_days_fold_and_unfold() {
        let d = WorkingHours::parse_days("1-3, 5,6").expect("days");
        assert_eq!(d, vec![1, 2, 3, 5, 6]);
        let wh = WorkingHours {
            days: d,
            ..Default::default()
        };
        assert_eq!(wh.days_text(), "1-3,5-6");
        assert!(WorkingHours::parse_days("0-5").is_err());
        assert!(WorkingHours::parse_days("5-1").is_err());
    }

    #[test]
    fn contact_needs_a_way_to_reach_it() {
        let e = ContactInput {
            name: Some("王芳".into()),
            ..Default::default()
        }
        .parse()
        .expect_err("no channel");
        assert!(e.for_field("email").is_some());
        let c = ContactInput {
            name: Some("王芳".into()),
            email: Some("Wang.Fang@Example.cn".into()),
            preferred_channels: Some(vec!["email, wecom".into()]),
            ..Default::default()
        }
        .parse()
        .expect("valid");
        assert_eq!(
            c.email.map(|e| e.into_string()).as_deref(),
            Some("wang.fang@example.cn")
        );
        assert_eq!(c.preferred_channels, vec![Channel::Email, Channel::Wecom]);
    }

    #[test]
    fn lists_split_on_chinese_enumeration_commas() {
        assert_eq!(split_list("新品、重点；华东"), vec!["新品", "重点", "华东"]);
    }

    #[test]
    fn overlay_replaces_only_given_fields() {
        let patched = valid().overlay(PartnerInput {
            tier: Some("B".into()),
            ..Default::default()
        });
        assert_eq!(patched.tier.as_deref(), Some("B"));
        assert_eq!(patched.code.as_deref(), Some("sh-001"));
    }
}
