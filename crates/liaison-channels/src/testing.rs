//! Test support for the crates that send and read e-mail: a real SMTP server on loopback,
//! Debian's `python3-aiosmtpd` writing what it receives to a Maildir, and a real IMAP server,
//! Debian's dovecot (`dovecot-imapd`), serving a Maildir the tests deliver into (both installed
//! by scripts/install-deps). Not used by the server.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An aiosmtpd process on a free loopback port, killed (and its Maildir removed) on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl SmtpServer {
    /// A server that accepts every mail into its Maildir.
    pub fn start() -> Self {
        Self::start_with("aiosmtpd.handlers.Mailbox", None)
    }

    /// A server with another handler class (`module.Class`), whose Python source may be given
    /// as `(module file name, source)`; it is called with the Maildir's path.
    pub fn start_with(handler: &str, module: Option<(&str, &str)>) -> Self {
        let dir = std::env::temp_dir().join(format!("liaison-smtp-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a folder for the Maildir");
        if let Some((file, source)) = module {
            std::fs::write(dir.join(file), source).expect("the handler module");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", handler])
            .arg(dir.join("Maildir"))
            .env("PYTHONPATH", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "python3 -m aiosmtpd (Debian package python3-aiosmtpd; see scripts/install-deps)",
            );
        let server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `smtp://127.0.0.1:PORT`, for `Mailer::new`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The mails delivered so far, raw.
    pub fn mails(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(self.dir.join("Maildir").join("new")) {
            for e in rd.flatten() {
                if let Ok(b) = std::fs::read(e.path()) {
                    out.push(b);
                }
            }
        }
        out
    }

    /// The mails delivered, waiting up to 5 s for at least `n`.
    pub fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mails = self.mails();
            if mails.len() >= n || Instant::now() > deadline {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A dovecot IMAP server on a free loopback port with one user, [`ImapServer::USER`], whose
/// Maildir the tests [`deliver`](ImapServer::deliver) into; stopped (and its folder removed) on
/// drop. Runs as whoever runs the tests, root (CI) or not.
///
/// What dovecot 2.3 needed to run this way, found by running it:
/// - the login process refuses to run as root ("This process must not be run as root"), so as
///   root `default_login_user` is `nobody`;
/// - a mail process refuses uid 0 ("userdb returned 0 as uid"), so as root the user's mail is
///   `nobody`'s too and its Maildir is handed to `nobody`;
/// - not as root, nothing can change user: every user setting names the current user, and the
///   login and anvil processes may not chroot (`chroot =`), which only root may do;
/// - `base_dir`, `state_dir` and the logs inside the folder, so nothing touches /run, /var or
///   /etc/dovecot (the unix sockets in `base_dir` limit the folder's path to about 80 bytes);
/// - `auth_failure_delay = 0`, or a wrong password takes 2 s to be refused; and the auth
///   process must not find anvil's `anvil-auth-penalty` socket (moved to another path), or
///   every later login from 127.0.0.1 waits 2, 4, 8... s after one failed
///   (`login_trusted_networks` does not exempt from that in 2.3.19);
/// - stopping: SIGTERM to the master alone can leave it waiting 5 s for a login process that
///   is still starting, so dovecot leads its own process group and drop signals the group.
pub struct ImapServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
    /// Who owns the Maildir: the mail processes' uid and gid.
    owner: (u32, u32),
    /// Root may hand files to `owner`; anyone else already is it.
    root: bool,
}

impl ImapServer {
    /// The one user.
    pub const USER: &'static str = "liaison-replies";
    /// Its password, with a space, a quote and a non-ASCII letter so that LOGIN must send it
    /// as a literal.
    pub const PASSWORD: &'static str = "pass wörd \"7\"";

    pub fn start() -> Self {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        let dir =
            std::env::temp_dir().join(format!("liaison-imap-{}", uuid::Uuid::now_v7().simple()));
        let home = dir.join("home");
        let maildir = home.join(Self::USER).join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("a Maildir");
        }
        // Readable by the mail user whatever the umask: it reaches its home through here.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .expect("the folder's mode");

        let (uid, gid) = (id(&["-u"]), id(&["-g"]));
        let root = uid == "0";
        let (user, group) = (id(&["-un"]), id(&["-gn"]));
        let (login_user, owner) = if root {
            let owner = (id(&["-u", "nobody"]), id(&["-g", "nobody"]));
            ("nobody".to_owned(), owner)
        } else {
            (user.clone(), (uid.clone(), gid.clone()))
        };
        let owner: (u32, u32) = (
            owner.0.parse().expect("a numeric uid"),
            owner.1.parse().expect("a numeric gid"),
        );
        if root {
            for path in [home.join(Self::USER), maildir.clone()]
                .into_iter()
                .chain(["cur", "new", "tmp"].map(|s| maildir.join(s)))
            {
                std::os::unix::fs::chown(&path, Some(owner.0), Some(owner.1))
                    .expect("the Maildir handed to its user");
            }
        }
        std::fs::write(
            dir.join("passwd"),
            format!("{}:{{PLAIN}}{}\n", Self::USER, Self::PASSWORD),
        )
        .expect("the passwd file");

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let d = dir.display();
        let conf = format!(
            r#"# liaison_channels::testing::ImapServer
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    path = no-auth-penalty
  }}
}}
"#,
            uid = owner.0,
            gid = owner.1,
        );
        std::fs::write(dir.join("dovecot.conf"), conf).expect("dovecot.conf");
        let stderr = std::fs::File::create(dir.join("stderr.log")).expect("a log file");
        let child = Command::new("/usr/sbin/dovecot")
            // Its own process group, so that drop can stop the master and its children at once.
            .process_group(0)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("/usr/sbin/dovecot (Debian package dovecot-imapd; see scripts/install-deps)");
        let mut server = Self {
            child,
            port,
            dir,
            owner,
            root,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = server.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "dovecot did not listen on {port} ({}):\n{}",
                    exited.map_or("still running".to_owned(), |s| s.to_string()),
                    server.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `imap://USER:PASSWORD@127.0.0.1:PORT/INBOX` for `user` (percent-encoded), with the test
    /// password: [`ImapServer::USER`] logs in, anyone else is refused.
    pub fn url(&self, user: &str) -> String {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        format!(
            "imap://{}:{}@127.0.0.1:{}/INBOX",
            utf8_percent_encode(user, NON_ALPHANUMERIC),
            utf8_percent_encode(Self::PASSWORD, NON_ALPHANUMERIC),
            self.port
        )
    }

    /// Puts a raw mail into the user's inbox the way a delivery agent does: written in
    /// `Maildir/tmp`, then renamed into `Maildir/new` under a unique name.
    pub fn deliver(&self, raw: &[u8]) {
        let maildir = self.dir.join("home").join(Self::USER).join("Maildir");
        let name = format!(
            "{}.{}.liaison",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            uuid::Uuid::now_v7().simple()
        );
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).expect("the mail written");
        if self.root {
            std::os::unix::fs::chown(&tmp, Some(self.owner.0), Some(self.owner.1))
                .expect("the mail handed to its user");
        }
        std::fs::rename(&tmp, maildir.join("new").join(&name)).expect("the mail delivered");
    }

    /// dovecot's log and what it wrote to stderr, for a failing test's message.
    pub fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!("{}{}", read("stderr.log"), read("dovecot.log"))
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        // SIGTERM to the whole process group (dovecot was started as its leader): the master
        // alone would wait up to 5 s for a login process that is still starting.
        let pgid = format!("-{}", self.child.id());
        let group = |signal: &str| {
            let _ = Command::new("kill")
                .args([signal, "--", &pgid])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `id ARGS`: the current (or a named) user's uid, gid or names.
fn id(args: &[&str]) -> String {
    let out = Command::new("id")
        .args(args)
        .output()
        .expect("the id command");
    assert!(out.status.success(), "id {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A Python interpreter with the third-party `icalendar` package (6.1.0), made once per test
/// binary in a venv under `dir` (the caller's `CARGO_TARGET_TMPDIR`), or the one named by
/// `LIAISON_ICALENDAR_PYTHON`: what the tests read calendar objects with, as a calendar
/// program would.
pub fn icalendar_python(dir: &std::path::Path) -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON
        .get_or_init(|| {
            if let Ok(p) = std::env::var("LIAISON_ICALENDAR_PYTHON") {
                return p.into();
            }
            let venv = dir.join("icalendar-venv");
            let python = venv.join("bin/python");
            let ready = |py: &std::path::Path| {
                Command::new(py)
                    .args(["-c", "import icalendar"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !ready(&python) {
                let made = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(
                    made,
                    "python3 -m venv failed: install python3-venv (scripts/install-deps)"
                );
                let installed = Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "icalendar==6.1.0"])
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(
                    installed && ready(&python),
                    "cannot install the icalendar package"
                );
            }
            python
        })
        .clone()
}
