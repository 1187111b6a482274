//! Devices as a person recognises them (policy §7.2.3: "devices are protected"): a short name
//! from a User-Agent (browser or client, and operating system), used to list one's sessions and
//! to tell someone of a login from a device not seen for them before. Pure: the known devices
//! are kept hashed by `liaison_db::account`, the alert is a notification.

/// What a User-Agent says of the device, as far as a person cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The browser or client (`Chrome`, `WeChat`, `curl`), or the User-Agent's first product.
    pub client: String,
    /// The operating system, when the User-Agent names one.
    pub os: Option<&'static str>,
}

impl Device {
    /// Reads a User-Agent; `None` when there is none (a client that names no device).
    pub fn from_user_agent(ua: &str) -> Option<Device> {
        let ua = ua.trim();
        if ua.is_empty() {
            return None;
        }
        let has = |s: &str| ua.contains(s);
        // Order matters: Edge and Opera also say Chrome, Chrome also says Safari, the Chinese
        // apps' web views say the browser they are built on.
        let known = [
            ("MicroMessenger", "WeChat"),
            ("wxwork", "WeCom"),
            ("DingTalk", "DingTalk"),
            ("Lark", "Feishu"),
            ("Feishu", "Feishu"),
            ("Edg/", "Edge"),
            ("EdgA/", "Edge"),
            ("EdgiOS/", "Edge"),
            ("OPR/", "Opera"),
            ("QQBrowser", "QQ Browser"),
            ("UCBrowser", "UC Browser"),
            ("HuaweiBrowser", "Huawei Browser"),
            ("MiuiBrowser", "Xiaomi Browser"),
            ("SamsungBrowser", "Samsung Internet"),
            ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"),
            ("CriOS/", "Chrome"),
            ("Chrome/", "Chrome"),
            ("Chromium/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
            ("python-requests", "Python"),
            ("Python-urllib", "Python"),
            ("Go-http-client", "Go"),
            ("PostmanRuntime", "Postman"),
            ("okhttp", "OkHttp"),
        ];
        let client = known
            .iter()
            .find(|(needle, _)| has(needle))
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| first_product(ua));
        let os = if has("HarmonyOS") || has("OpenHarmony") {
            Some("HarmonyOS")
        } else if has("iPhone") || has("iPad") || has("iPod") {
            Some("iOS")
        } else if has("Android") {
            Some("Android")
        } else if has("Windows") {
            Some("Windows")
        } else if has("CrOS") {
            Some("ChromeOS")
        } else if has("Mac OS X") || has("Macintosh") {
            Some("macOS")
        } else if has("Linux") || has("X11") {
            Some("Linux")
        } else {
            None
        };
        Some(Device { client, os })
    }

    /// As shown: `Chrome · Windows`, or the client alone.
    pub fn label(&self) -> String {
        match self.os {
            Some(os) => format!("{} · {os}", self.client),
            None => self.client.clone(),
        }
    }

    /// What makes two logins the same device: client and system, lowercased (versions change
    /// with every update and are left out).
    pub fn key(&self) -> String {
        format!(
            "{}|{}",
            self.client.to_lowercase(),
            self.os.unwrap_or("").to_lowercase()
        )
    }
}

/// The User-Agent's first product name (`MyScript/1.0 (x)` → `MyScript`), printable and short.
fn first_product(ua: &str) -> String {
    let name: String = ua
        .split(['/', ' ', '('])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    if name.is_empty() {
        "?".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(ua: &str) -> String {
        Device::from_user_agent(ua)
            .map(|d| d.label())
            .unwrap_or_default()
    }

    #[test]
    fn a_user_agent_reads_as_browser_and_system() {
        assert_eq!(
            label(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome · Windows"
        );
        assert_eq!(
            label(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
            ),
            "Edge · Windows"
        );
        assert_eq!(
            label(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50"
            ),
            "WeChat · iOS"
        );
        assert_eq!(
            label(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
            ),
            "Safari · macOS"
        );
        assert_eq!(
            label(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
            ),
            "Chrome · Linux"
        );
        assert_eq!(
            label(
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
            ),
            "Chrome · Android"
        );
        assert_eq!(label("curl/8.5.0"), "curl");
        assert_eq!(label("ERP-Sync/2.1 (internal)"), "ERP-Sync");
        assert_eq!(Device::from_user_agent("  "), None);
    }

    #[test]
    fn a_browser_update_is_the_same_device() {
        let a = Device::from_user_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 Safari/537.36");
        let b = Device::from_user_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36");
        let c = Device::from_user_agent("Mozilla/5.0 (Windows NT 10.0) Firefox/133.0");
        assert_eq!(a.as_ref().map(Device::key), b.as_ref().map(Device::key));
        assert_ne!(a.map(|d| d.key()), c.map(|d| d.key()));
    }
}
