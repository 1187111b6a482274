//! Reading replies by e-mail (policy §3.4): a small IMAP4rev1 client (RFC 3501) for the one
//! mailbox the Reply-To addresses lead to. It lists the unseen mails, fetches one without
//! marking it, and marks it seen once the caller has filed it; what a mail means is
//! [`crate::inbound`]'s job, and filing it (with its dedup by UIDVALIDITY and UID) the worker's.
//!
//! Written by hand over Tokio to keep dependencies lean: only the commands above, plain TCP
//! (`imap://`, port 143) or implicit TLS (`imaps://`, port 993, rustls with Mozilla's roots).
//! Every read has a timeout; errors name the server as `imap[s]://host:port`, never the user's
//! password.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long the server may take to answer (and a connection to open) before we give up.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The longest response line we read (literals excepted): real ones are well under 1 KiB.
const MAX_LINE: usize = 64 * 1024;
/// The largest literal (a whole mail) we accept: above what mail servers take in.
const MAX_LITERAL: usize = 64 * 1024 * 1024;
/// How deep parenthesised lists may nest in a response (BODYSTRUCTURE needs a handful).
const MAX_DEPTH: usize = 32;

/// Where the replies are read from: `imap://user:pass@host:port/MAILBOX` (plain TCP, port 143
/// by default) or `imaps://...` (implicit TLS, port 993). User and password are
/// percent-decoded (`reply%40example.com`); the mailbox defaults to `INBOX`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    /// `imaps://`: TLS from the first byte.
    pub tls: bool,
    pub user: String,
    password: String,
    pub mailbox: String,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("server", &self.server())
            .field("user", &self.user)
            .field("password", &"***")
            .field("mailbox", &self.mailbox)
            .finish()
    }
}

impl ImapConfig {
    /// Parses the URL once, at start-up. Errors never echo the password.
    pub fn parse(url: &str) -> Result<Self, String> {
        let parsed =
            url::Url::parse(url.trim()).map_err(|e| format!("the IMAP URL is not valid: {e}"))?;
        let tls = match parsed.scheme() {
            "imap" => false,
            "imaps" => true,
            other => {
                return Err(format!(
                    "the IMAP URL must start with imap:// or imaps://, not {other}://"
                ));
            }
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => decode(d, "host")?,
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => String::new(),
        };
        if host.is_empty() {
            return Err("the IMAP URL has no host".to_owned());
        }
        let port = parsed.port().unwrap_or(if tls { 993 } else { 143 });
        let server = format!("{}://{host}:{port}", parsed.scheme());
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "the IMAP URL for {server} takes no query or fragment (imaps:// for TLS)"
            ));
        }
        let user = decode(parsed.username(), "user name")?;
        if user.is_empty() {
            return Err(format!("the IMAP URL for {server} has no user name"));
        }
        let password = decode(parsed.password().unwrap_or(""), "password")?;
        if password.is_empty() {
            return Err(format!("the IMAP URL for {server} has no password"));
        }
        let mailbox = decode(parsed.path().trim_start_matches('/'), "mailbox")?;
        let mailbox = if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox
        };
        if mailbox.chars().any(char::is_control) {
            return Err(format!(
                "the mailbox in the IMAP URL for {server} holds a control character"
            ));
        }
        Ok(Self {
            host,
            port,
            tls,
            user,
            password,
            mailbox,
        })
    }

    /// `imap[s]://host:port`, for logs and errors.
    pub fn server(&self) -> String {
        let scheme = if self.tls { "imaps" } else { "imap" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Percent-decodes one part of the URL; `what` names it in the error (never its value).
fn decode(s: &str, what: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| format!("the {what} in the IMAP URL is not valid UTF-8"))
}

/// Why talking to the mailbox failed. Texts name the server (`imap[s]://host:port`) and carry
/// the server's own words for a refusal, never the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImapError {
    /// The server could not be reached, TLS failed, or it turned us away at the greeting.
    #[error("{0}")]
    Connect(String),
    /// LOGIN was refused: wrong user name or password, or logins are disabled.
    #[error("{0}")]
    Auth(String),
    /// The server refused a command (NO, BAD) or said something we do not understand.
    #[error("{0}")]
    Protocol(String),
    /// The connection broke or the server did not answer in time.
    #[error("{0}")]
    Io(String),
}

/// A byte stream to the server, plain or TLS.
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

/// One logged-in session with the mailbox selected. Commands go one at a time (`&mut self`);
/// two sessions on the same mailbox both see an unseen mail until one marks it, so the caller
/// dedups by (UIDVALIDITY, UID).
pub struct Mailbox {
    stream: BufReader<Box<dyn Conn>>,
    server: String,
    tag: u32,
    uid_validity: u32,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("server", &self.server)
            .field("uid_validity", &self.uid_validity)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// Connects, reads the greeting, logs in and selects the mailbox.
    pub async fn connect(cfg: &ImapConfig) -> Result<Self, ImapError> {
        let server = cfg.server();
        let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect((cfg.host.as_str(), cfg.port)))
            .await
            .map_err(|_| ImapError::Connect(format!("IMAP server {server} did not answer")))?
            .map_err(|e| ImapError::Connect(format!("IMAP server {server}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let conn: Box<dyn Conn> = if cfg.tls {
            let tls = tls_config()
                .map_err(|e| ImapError::Connect(format!("TLS setup for {server}: {e}")))?;
            let name = rustls::pki_types::ServerName::try_from(cfg.host.clone()).map_err(|_| {
                ImapError::Connect(format!("{server}: the host is not a valid TLS name"))
            })?;
            let stream = tokio::time::timeout(
                TIMEOUT,
                tokio_rustls::TlsConnector::from(Arc::new(tls)).connect(name, tcp),
            )
            .await
            .map_err(|_| ImapError::Connect(format!("IMAP server {server}: TLS timed out")))?
            .map_err(|e| ImapError::Connect(format!("IMAP server {server}: TLS: {e}")))?;
            Box::new(stream)
        } else {
            Box::new(tcp)
        };
        let mut mb = Self {
            stream: BufReader::new(conn),
            server,
            tag: 0,
            uid_validity: 0,
        };

        let greeting = match mb.read().await {
            Ok(r) => r,
            Err(ImapError::Io(e)) => return Err(ImapError::Connect(e)),
            Err(e) => return Err(e),
        };
        let preauth = match greeting {
            Response::Status {
                tag: None,
                status: Status::Ok,
                ..
            } => false,
            Response::Status {
                tag: None,
                status: Status::Preauth,
                ..
            } => true,
            Response::Status {
                tag: None,
                status: Status::Bye,
                text,
                ..
            } => {
                return Err(ImapError::Connect(format!(
                    "IMAP server {} turned us away: {text}",
                    mb.server
                )));
            }
            _ => {
                return Err(ImapError::Connect(format!(
                    "{} did not greet like an IMAP server",
                    mb.server
                )));
            }
        };
        if !preauth {
            match mb
                .command(&[
                    Arg::Atom("LOGIN"),
                    Arg::Text(cfg.user.as_bytes()),
                    Arg::Text(cfg.password.as_bytes()),
                ])
                .await
            {
                Ok(_) => {}
                Err(Failure::Refused(status, text)) => {
                    return Err(ImapError::Auth(format!(
                        "IMAP server {} refused the login ({status}): {text}",
                        mb.server
                    )));
                }
                Err(Failure::Error(e)) => return Err(e),
            }
        }
        let done = mb
            .run(
                "SELECT",
                &[Arg::Atom("SELECT"), Arg::Text(&mutf7(&cfg.mailbox))],
            )
            .await?;
        mb.uid_validity = done
            .iter()
            .find_map(|r| match r {
                Response::Status {
                    code: Some(code), ..
                } => code
                    .strip_prefix("UIDVALIDITY ")
                    .and_then(|n| n.trim().parse().ok()),
                _ => None,
            })
            .ok_or_else(|| {
                ImapError::Protocol(format!(
                    "IMAP server {} selected the mailbox without a UIDVALIDITY",
                    mb.server
                ))
            })?;
        Ok(mb)
    }

    /// The mailbox's UIDVALIDITY: UIDs name the same mails for as long as it stays the same,
    /// so (UIDVALIDITY, UID) is a mail's key for the caller's dedup.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// The UIDs of the mails not yet marked seen, ascending, including mails that arrived and
    /// flags that other sessions set since the last command: a NOOP first has the server look
    /// at its mailbox again (dovecot does not before a SEARCH), so a long-lived session needs no
    /// reconnecting to see new replies.
    pub async fn search_unseen(&mut self) -> Result<Vec<u32>, ImapError> {
        self.run("NOOP", &[Arg::Atom("NOOP")]).await?;
        let done = self
            .run(
                "UID SEARCH",
                &[Arg::Atom("UID SEARCH"), Arg::Atom("UNSEEN")],
            )
            .await?;
        let mut uids: Vec<u32> = done
            .into_iter()
            .filter_map(|r| match r {
                Response::Search(n) => Some(n),
                _ => None,
            })
            .flatten()
            .collect();
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// The raw mail (RFC 5322 bytes, CRLF line ends) with this UID, without marking it seen
    /// (`BODY.PEEK[]`): a mail stays unseen until it has been filed.
    pub async fn fetch(&mut self, uid: u32) -> Result<Vec<u8>, ImapError> {
        let set = uid.to_string();
        let done = self
            .run(
                "UID FETCH",
                &[
                    Arg::Atom("UID FETCH"),
                    Arg::Atom(&set),
                    Arg::Atom("BODY.PEEK[]"),
                ],
            )
            .await?;
        // Other FETCH responses (flag changes of other mails) may come along: ours has our UID
        // and the body.
        for r in done {
            if let Response::Fetch { items, .. } = r {
                let ours = items
                    .iter()
                    .any(|(k, v)| k.eq_ignore_ascii_case("UID") && v.as_number() == Some(uid));
                let body = items
                    .into_iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("BODY[]"))
                    .map(|(_, v)| v);
                match (ours, body) {
                    (true, Some(Value::Str(bytes))) => return Ok(bytes),
                    (true, Some(Value::Nil)) => return Ok(Vec::new()),
                    _ => {}
                }
            }
        }
        Err(ImapError::Protocol(format!(
            "IMAP server {} has no mail with UID {uid}",
            self.server
        )))
    }

    /// Marks the mail seen (`UID STORE uid +FLAGS.SILENT (\Seen)`), once it is filed.
    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), ImapError> {
        let set = uid.to_string();
        self.run(
            "UID STORE",
            &[
                Arg::Atom("UID STORE"),
                Arg::Atom(&set),
                Arg::Atom("+FLAGS.SILENT (\\Seen)"),
            ],
        )
        .await?;
        Ok(())
    }

    /// Ends the session politely (LOGOUT). Dropping a `Mailbox` just closes the connection.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        self.run("LOGOUT", &[Arg::Atom("LOGOUT")]).await?;
        let _ = tokio::time::timeout(TIMEOUT, self.stream.get_mut().shutdown()).await;
        Ok(())
    }

    /// Runs a command; a NO or BAD is a [`ImapError::Protocol`] with the server's text.
    async fn run(&mut self, name: &str, args: &[Arg<'_>]) -> Result<Vec<Response>, ImapError> {
        match self.command(args).await {
            Ok(done) => Ok(done),
            Err(Failure::Refused(status, text)) => Err(ImapError::Protocol(format!(
                "IMAP server {} refused {name} ({status}): {text}",
                self.server
            ))),
            Err(Failure::Error(e)) => Err(e),
        }
    }

    /// Sends one tagged command and reads up to its tagged answer, returning the untagged
    /// responses in between. Strings go quoted, or as literals when they cannot be quoted.
    async fn command(&mut self, args: &[Arg<'_>]) -> Result<Vec<Response>, Failure> {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        let logout = matches!(args.first(), Some(Arg::Atom("LOGOUT")));
        let mut untagged = Vec::new();
        let mut out = tag.clone().into_bytes();
        for arg in args {
            out.push(b' ');
            match arg {
                Arg::Atom(a) => out.extend_from_slice(a.as_bytes()),
                Arg::Text(t) if quotable(t) => {
                    out.push(b'"');
                    for &b in *t {
                        if b == b'"' || b == b'\\' {
                            out.push(b'\\');
                        }
                        out.push(b);
                    }
                    out.push(b'"');
                }
                Arg::Text(t) => {
                    // A synchronising literal: the server says "+" before we send the bytes.
                    out.extend_from_slice(format!("{{{}}}\r\n", t.len()).as_bytes());
                    self.write(&std::mem::take(&mut out)).await?;
                    loop {
                        match self.read().await? {
                            Response::Continue(_) => break,
                            Response::Status {
                                tag: Some(t),
                                status,
                                text,
                                ..
                            } if t == tag => return Err(Failure::Refused(status, text)),
                            r => self.untagged(r, logout, &mut untagged)?,
                        }
                    }
                    out.extend_from_slice(t);
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        self.write(&out).await?;
        loop {
            match self.read().await? {
                Response::Status {
                    tag: Some(t),
                    status,
                    text,
                    ..
                } if t == tag => {
                    return match status {
                        Status::Ok => Ok(untagged),
                        status => Err(Failure::Refused(status, text)),
                    };
                }
                Response::Status { tag: Some(t), .. } => {
                    return Err(Failure::Error(ImapError::Protocol(format!(
                        "IMAP server {} answered tag {t} while we waited for {tag}",
                        self.server
                    ))));
                }
                r => self.untagged(r, logout, &mut untagged)?,
            }
        }
    }

    /// Keeps an untagged response for the command; a BYE outside LOGOUT ends the session.
    fn untagged(
        &self,
        r: Response,
        logout: bool,
        into: &mut Vec<Response>,
    ) -> Result<(), ImapError> {
        if let Response::Status {
            status: Status::Bye,
            text,
            ..
        } = &r
            && !logout
        {
            return Err(ImapError::Io(format!(
                "IMAP server {} closed the session: {text}",
                self.server
            )));
        }
        into.push(r);
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ImapError> {
        let stream = self.stream.get_mut();
        let sent = tokio::time::timeout(TIMEOUT, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await;
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ImapError::Io(format!("IMAP server {}: {e}", self.server))),
            Err(_) => Err(ImapError::Io(format!(
                "IMAP server {} did not take our command in {} s",
                self.server,
                TIMEOUT.as_secs()
            ))),
        }
    }

    async fn read(&mut self) -> Result<Response, ImapError> {
        let raw = match tokio::time::timeout(TIMEOUT, read_raw(&mut self.stream)).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(e)) => return Err(ImapError::Io(format!("IMAP server {}: {e}", self.server))),
            Err(_) => {
                return Err(ImapError::Io(format!(
                    "IMAP server {} did not answer in {} s",
                    self.server,
                    TIMEOUT.as_secs()
                )));
            }
        };
        parse_response(&raw)
            .map_err(|e| ImapError::Protocol(format!("IMAP server {}: {e}", self.server)))
    }
}

/// A command's argument: an atom sent as it is, or a string quoted or sent as a literal.
enum Arg<'a> {
    Atom(&'a str),
    Text(&'a [u8]),
}

/// How a command failed: the server's NO or BAD (the caller says which error that is), or
/// anything else.
enum Failure {
    Refused(Status, String),
    Error(ImapError),
}

impl From<ImapError> for Failure {
    fn from(e: ImapError) -> Self {
        Self::Error(e)
    }
}

/// A quoted string may hold 7-bit characters other than NUL, CR and LF (RFC 3501 §4.3).
fn quotable(t: &[u8]) -> bool {
    t.len() <= 1024
        && t.iter()
            .all(|&b| (1..0x80).contains(&b) && b != b'\r' && b != b'\n')
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3), so that `回复` can be selected:
/// printable ASCII as it is (`&` as `&-`), anything else as `&` + base64 of UTF-16 (with `,`
/// for `/`) + `-`.
fn mutf7(name: &str) -> Vec<u8> {
    use base64::Engine;
    let mut out = Vec::with_capacity(name.len());
    let mut wide: Vec<u16> = Vec::new();
    let flush = |wide: &mut Vec<u16>, out: &mut Vec<u8>| {
        if wide.is_empty() {
            return;
        }
        let bytes: Vec<u8> = wide.iter().flat_map(|u| u.to_be_bytes()).collect();
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
        out.push(b'&');
        out.extend(b64.bytes().map(|b| if b == b'/' { b',' } else { b }));
        out.push(b'-');
        wide.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut wide, &mut out);
            if c == '&' {
                out.extend_from_slice(b"&-");
            } else {
                out.push(c as u8);
            }
        } else {
            let mut buf = [0u16; 2];
            wide.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut wide, &mut out);
    out
}

/// rustls with the ring provider and Mozilla's roots, as for the robots: no process-wide
/// provider and no system certificate store needed.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Reads one whole response: a line, and when it ends in a literal's `{n}`, the n bytes and
/// the rest of the line after them, again and again. The bytes come back as sent.
async fn read_raw<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind};
    let mut out = Vec::new();
    let mut literals = 0usize;
    loop {
        let start = out.len();
        let n = (&mut *r)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut out)
            .await?;
        if !out.ends_with(b"\n") {
            return Err(if n >= MAX_LINE {
                Error::new(ErrorKind::InvalidData, "a response line is too long")
            } else {
                Error::new(ErrorKind::UnexpectedEof, "the server closed the connection")
            });
        }
        let Some(len) = literal_len(&out[start..]) else {
            return Ok(out);
        };
        literals += len;
        if literals > MAX_LITERAL {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("a response is larger than {} MiB", MAX_LITERAL >> 20),
            ));
        }
        let at = out.len();
        out.resize(at + len, 0);
        r.read_exact(&mut out[at..]).await?;
    }
}

/// The length announced by a line ending in `{n}` (a literal follows), if it does.
fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "OK",
            Self::No => "NO",
            Self::Bad => "BAD",
            Self::Bye => "BYE",
            Self::Preauth => "PREAUTH",
        })
    }
}

/// The responses this client reads; everything else untagged is `Other` and passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Response {
    /// `tag OK|NO|BAD [code] text`, or untagged (`tag` None) with BYE and PREAUTH too.
    Status {
        tag: Option<String>,
        status: Status,
        /// The response code without its brackets: `UIDVALIDITY 3857529045`.
        code: Option<String>,
        text: String,
    },
    /// `* SEARCH 1 4 9`
    Search(Vec<u32>),
    /// `* 12 FETCH (UID 40 FLAGS (\Seen) BODY[] {n}...)`: item names upper-cased.
    Fetch {
        seq: u32,
        items: Vec<(String, Value)>,
    },
    /// `+ text`: send the literal.
    Continue(String),
    /// `* 3 EXISTS`, `* FLAGS (...)`, `* CAPABILITY ...` and the like.
    Other,
}

/// A value in a FETCH response.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Atom(String),
    /// A quoted string or a literal, as bytes.
    Str(Vec<u8>),
    List(Vec<Value>),
    Nil,
}

impl Value {
    fn as_number(&self) -> Option<u32> {
        match self {
            Self::Atom(a) => a.parse().ok(),
            _ => None,
        }
    }
}

/// Parses one response as [`read_raw`] returned it.
fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let mut p = Parser { buf: body, pos: 0 };
    let tag = p.word();
    if tag.is_empty() {
        return Err("an empty response".to_owned());
    }
    if tag == "+" {
        return Ok(Response::Continue(p.rest()));
    }
    let word = p.word();
    let upper = word.to_ascii_uppercase();
    if tag != "*" {
        let status = status(&upper).ok_or_else(|| format!("a tagged response {tag} {word}"))?;
        let (code, text) = p.resp_text();
        return Ok(Response::Status {
            tag: Some(tag),
            status,
            code,
            text,
        });
    }
    if let Some(status) = status(&upper) {
        let (code, text) = p.resp_text();
        return Ok(Response::Status {
            tag: None,
            status,
            code,
            text,
        });
    }
    if upper == "SEARCH" {
        let mut uids = Vec::new();
        loop {
            let n = p.word();
            if n.is_empty() {
                return Ok(Response::Search(uids));
            }
            uids.push(
                n.parse()
                    .map_err(|_| format!("a SEARCH response with {n:?} among the numbers"))?,
            );
        }
    }
    if let Ok(seq) = word.parse::<u32>() {
        if p.word().eq_ignore_ascii_case("FETCH") {
            let Value::List(list) = p.value(0)? else {
                return Err("a FETCH response without its list".to_owned());
            };
            let mut items = Vec::with_capacity(list.len() / 2);
            let mut it = list.into_iter();
            while let Some(name) = it.next() {
                let Value::Atom(name) = name else {
                    return Err("a FETCH item without a name".to_owned());
                };
                let value = it
                    .next()
                    .ok_or_else(|| format!("a FETCH item {name} without a value"))?;
                items.push((name.to_ascii_uppercase(), value));
            }
            return Ok(Response::Fetch { seq, items });
        }
        return Ok(Response::Other);
    }
    Ok(Response::Other)
}

fn status(word: &str) -> Option<Status> {
    Some(match word {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        "BYE" => Status::Bye,
        "PREAUTH" => Status::Preauth,
        _ => return None,
    })
}

/// A cursor over one response.
struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// The next space-separated word (empty at the end).
    fn word(&mut self) -> String {
        self.skip_spaces();
        let start = self.pos;
        while self.peek().is_some_and(|b| b != b' ') {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.buf[start..self.pos]).into_owned()
    }

    /// What is left, as text.
    fn rest(&mut self) -> String {
        self.skip_spaces();
        let s = String::from_utf8_lossy(&self.buf[self.pos..]).into_owned();
        self.pos = self.buf.len();
        s
    }

    /// `[code] text` after a status word.
    fn resp_text(&mut self) -> (Option<String>, String) {
        self.skip_spaces();
        if self.peek() == Some(b'[') {
            let rest = &self.buf[self.pos + 1..];
            if let Some(end) = rest.iter().position(|&b| b == b']') {
                let code = String::from_utf8_lossy(&rest[..end]).into_owned();
                self.pos += end + 2;
                return (Some(code), self.rest());
            }
        }
        (None, self.rest())
    }

    /// One value: a parenthesised list, a quoted string, a literal, NIL or an atom (whose
    /// `[...]` section may hold spaces and parentheses, as in `BODY[HEADER.FIELDS (FROM)]`).
    /// Lists nest at most [`MAX_DEPTH`] deep, so a broken server cannot exhaust the stack.
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        self.skip_spaces();
        match self.peek() {
            None => Err("a response ends where a value should be".to_owned()),
            Some(b'(') if depth >= MAX_DEPTH => Err("lists nested too deep".to_owned()),
            Some(b'(') => {
                self.pos += 1;
                let mut list = Vec::new();
                loop {
                    self.skip_spaces();
                    match self.peek() {
                        Some(b')') => {
                            self.pos += 1;
                            return Ok(Value::List(list));
                        }
                        None => return Err("a list is not closed".to_owned()),
                        Some(_) => list.push(self.value(depth + 1)?),
                    }
                }
            }
            Some(b'"') => {
                self.pos += 1;
                let mut s = Vec::new();
                loop {
                    match self.peek() {
                        None => return Err("a quoted string is not closed".to_owned()),
                        Some(b'"') => {
                            self.pos += 1;
                            return Ok(Value::Str(s));
                        }
                        Some(b'\\') => {
                            self.pos += 1;
                            let c = self
                                .peek()
                                .ok_or_else(|| "a quoted string is not closed".to_owned())?;
                            s.push(c);
                            self.pos += 1;
                        }
                        Some(c) => {
                            s.push(c);
                            self.pos += 1;
                        }
                    }
                }
            }
            Some(b'{') => {
                let rest = &self.buf[self.pos..];
                let close = rest
                    .iter()
                    .position(|&b| b == b'}')
                    .ok_or_else(|| "a literal without its length".to_owned())?;
                let digits = &rest[1..close];
                let digits = digits.strip_suffix(b"+").unwrap_or(digits);
                let len: usize = std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| "a literal with a bad length".to_owned())?;
                let after = &rest[close + 1..];
                let skip = if after.starts_with(b"\r\n") {
                    2
                } else if after.starts_with(b"\n") {
                    1
                } else {
                    return Err("a literal's length not at the end of a line".to_owned());
                };
                let start = self.pos + close + 1 + skip;
                let end = start
                    .checked_add(len)
                    .filter(|&e| e <= self.buf.len())
                    .ok_or_else(|| "a literal shorter than announced".to_owned())?;
                self.pos = end;
                Ok(Value::Str(self.buf[start..end].to_vec()))
            }
            Some(_) => {
                let start = self.pos;
                while let Some(b) = self.peek() {
                    match b {
                        b' ' | b'(' | b')' | b'"' | b'\r' | b'\n' => break,
                        b'[' => {
                            let close = self.buf[self.pos..]
                                .iter()
                                .position(|&b| b == b']')
                                .ok_or_else(|| "a section without its ]".to_owned())?;
                            self.pos += close + 1;
                        }
                        _ => self.pos += 1,
                    }
                }
                let atom = String::from_utf8_lossy(&self.buf[start..self.pos]).into_owned();
                if atom.eq_ignore_ascii_case("NIL") {
                    Ok(Value::Nil)
                } else {
                    Ok(Value::Atom(atom))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn responses(wire: &[u8]) -> Vec<Response> {
        let mut r = BufReader::new(wire);
        let mut out = Vec::new();
        while !r.fill_buf().await.expect("in memory").is_empty() {
            let raw = read_raw(&mut r).await.expect("a whole response");
            out.push(parse_response(&raw).expect("a response"));
        }
        out
    }

    #[test]
    fn urls_name_server_user_and_mailbox_and_default_the_rest() {
        let c = ImapConfig::parse("imap://reply%40liaison.example:p%40ss%20w@mail.example/")
            .expect("valid");
        assert_eq!(c.host, "mail.example");
        assert_eq!(c.port, 143);
        assert!(!c.tls);
        assert_eq!(c.user, "reply@liaison.example");
        assert_eq!(c.password, "p@ss w");
        assert_eq!(c.mailbox, "INBOX");
        assert_eq!(c.server(), "imap://mail.example:143");

        let c = ImapConfig::parse("imaps://u:p@mail.example/%E5%9B%9E%E5%A4%8D").expect("valid");
        assert_eq!((c.port, c.tls), (993, true));
        assert_eq!(c.mailbox, "回复");
        let c = ImapConfig::parse("imap://u:p@127.0.0.1:1143/Replies").expect("valid");
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 1143));
        assert_eq!(c.mailbox, "Replies");
        let c = ImapConfig::parse("imaps://u:p@[::1]/").expect("valid");
        assert_eq!(c.server(), "imaps://[::1]:993");
    }

    #[test]
    fn url_errors_and_debug_never_show_the_password() {
        for url in [
            "pop3://u:hunter2secret@mail.example/",
            "imap://u@mail.example/",
            "imap://:hunter2secret@mail.example/",
            "imap://u:hunter2secret@mail.example/INBOX?tls=1",
            "imap://u:hunter2secret@mail.example:99999/",
            "imap://u:hunter2secret@/",
            "not a url hunter2secret",
        ] {
            let e = ImapConfig::parse(url).expect_err(url);
            assert!(!e.contains("hunter2secret"), "{e}");
        }
        let c = ImapConfig::parse("imap://u:hunter2secret@mail.example/").expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2secret"), "{shown}");
        assert!(shown.contains("imap://mail.example:143"), "{shown}");
    }

    #[test]
    fn mailbox_names_go_in_modified_utf7() {
        // RFC 3501 §5.1.3's example, and a Chinese folder.
        assert_eq!(
            mutf7("~peter/mail/台北/日本語"),
            b"~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(mutf7("A&B"), b"A&-B");
        assert_eq!(mutf7("INBOX"), b"INBOX");
        assert_eq!(mutf7("回复"), b"&Vt5ZDQ-");
    }

    #[test]
    fn strings_are_quoted_unless_they_need_a_literal() {
        assert!(quotable(b"p@ss \"w\" \\"));
        assert!(!quotable("密码".as_bytes()));
        assert!(!quotable(b"a\r\nb"));
        assert!(!quotable(b"a\0b"));
    }

    #[tokio::test]
    async fn status_responses_keep_code_and_text() {
        let got = responses(
            b"* OK [CAPABILITY IMAP4rev1 LITERAL+] Dovecot ready.\r\n\
              * 2 EXISTS\r\n\
              * FLAGS (\\Answered \\Seen)\r\n\
              * OK [UIDVALIDITY 1733361234] UIDs valid\r\n\
              a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n\
              a3 bad Error in IMAP command: unknown\r\n\
              * BYE Logging out\r\n\
              + Ready for literal\r\n",
        )
        .await;
        assert_eq!(
            got,
            vec![
                Response::Status {
                    tag: None,
                    status: Status::Ok,
                    code: Some("CAPABILITY IMAP4rev1 LITERAL+".to_owned()),
                    text: "Dovecot ready.".to_owned(),
                },
                Response::Other,
                Response::Other,
                Response::Status {
                    tag: None,
                    status: Status::Ok,
                    code: Some("UIDVALIDITY 1733361234".to_owned()),
                    text: "UIDs valid".to_owned(),
                },
                Response::Status {
                    tag: Some("a2".to_owned()),
                    status: Status::No,
                    code: Some("AUTHENTICATIONFAILED".to_owned()),
                    text: "Authentication failed.".to_owned(),
                },
                Response::Status {
                    tag: Some("a3".to_owned()),
                    status: Status::Bad,
                    code: None,
                    text: "Error in IMAP command: unknown".to_owned(),
                },
                Response::Status {
                    tag: None,
                    status: Status::Bye,
                    code: None,
                    text: "Logging out".to_owned(),
                },
                Response::Continue("Ready for literal".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn search_lists_uids_even_none() {
        assert_eq!(
            responses(b"* SEARCH 3 17 4000000000\r\n* SEARCH\r\n").await,
            vec![
                Response::Search(vec![3, 17, 4_000_000_000]),
                Response::Search(vec![])
            ]
        );
    }

    /// The literal holds CRLFs, a `)` and a line that looks like a tagged answer; the item
    /// after it is read too.
    #[tokio::test]
    async fn a_fetched_literal_is_read_by_its_length_not_its_lines() {
        let mail = "Subject: 你好\r\n\r\na1 OK not really)\r\n{5}\r\n";
        let wire = format!(
            "* 7 FETCH (UID 42 FLAGS (\\Seen $Forwarded) BODY[] {{{}}}\r\n{mail} INTERNALDATE \"05-Dec-2026 10:00:00 +0800\")\r\na5 OK Fetch completed.\r\n",
            mail.len()
        );
        let got = responses(wire.as_bytes()).await;
        assert_eq!(got.len(), 2);
        let Response::Fetch { seq, items } = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(*seq, 7);
        assert_eq!(
            items,
            &vec![
                ("UID".to_owned(), Value::Atom("42".to_owned())),
                (
                    "FLAGS".to_owned(),
                    Value::List(vec![
                        Value::Atom("\\Seen".to_owned()),
                        Value::Atom("$Forwarded".to_owned())
                    ])
                ),
                ("BODY[]".to_owned(), Value::Str(mail.as_bytes().to_vec())),
                (
                    "INTERNALDATE".to_owned(),
                    Value::Str(b"05-Dec-2026 10:00:00 +0800".to_vec())
                ),
            ]
        );
    }

    #[tokio::test]
    async fn fetch_items_take_sections_quoted_strings_and_nil() {
        let got = responses(
            b"* 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] \"a \\\"q\\\" \\\\\" UID 9 BODY[] NIL)\r\n\
              * 2 FETCH (FLAGS ())\r\n",
        )
        .await;
        assert_eq!(
            got[0],
            Response::Fetch {
                seq: 1,
                items: vec![
                    (
                        "BODY[HEADER.FIELDS (FROM SUBJECT)]".to_owned(),
                        Value::Str(b"a \"q\" \\".to_vec())
                    ),
                    ("UID".to_owned(), Value::Atom("9".to_owned())),
                    ("BODY[]".to_owned(), Value::Nil),
                ]
            }
        );
        assert_eq!(
            got[1],
            Response::Fetch {
                seq: 2,
                items: vec![("FLAGS".to_owned(), Value::List(vec![]))]
            }
        );
    }

    #[tokio::test]
    async fn two_literals_in_one_response_are_both_read() {
        let got =
            responses(b"* 3 FETCH (UID 5 BODY[HEADER] {4}\r\nab\r\n BODY[TEXT] {3}\r\nxyz)\r\n")
                .await;
        assert_eq!(
            got,
            vec![Response::Fetch {
                seq: 3,
                items: vec![
                    ("UID".to_owned(), Value::Atom("5".to_owned())),
                    ("BODY[HEADER]".to_owned(), Value::Str(b"ab\r\n".to_vec())),
                    ("BODY[TEXT]".to_owned(), Value::Str(b"xyz".to_vec())),
                ]
            }]
        );
    }

    #[tokio::test]
    async fn a_cut_off_response_is_an_error_not_a_hang() {
        let mut r = BufReader::new(&b"* 1 FETCH (BODY[] {100}\r\nshort"[..]);
        assert!(read_raw(&mut r).await.is_err());
        let mut r = BufReader::new(&b"* OK no line end"[..]);
        assert!(read_raw(&mut r).await.is_err());
        assert!(parse_response(b"* 1 FETCH (UID 1 BODY[] \"open\r\n").is_err());
        assert!(parse_response(b"* 1 FETCH (UID 1\r\n").is_err());
        assert!(parse_response(b"a1 MAYBE\r\n").is_err());
        assert!(parse_response(b"* SEARCH 1 x\r\n").is_err());
        let deep = format!("* 1 FETCH {}\r\n", "(".repeat(60_000));
        assert!(parse_response(deep.as_bytes()).is_err());
    }

    #[test]
    fn literal_lengths_are_found_at_line_ends_only() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {35}\r\n"), Some(35));
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {35+}\r\n"), Some(35));
        assert_eq!(literal_len(b"* OK {35} here\r\n"), None);
        assert_eq!(literal_len(b"* OK {x}\r\n"), None);
        assert_eq!(literal_len(b"* OK }\r\n"), None);
    }
}
