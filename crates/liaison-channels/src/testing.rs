//! Test support for the crates that send e-mail: a real SMTP server on loopback, Debian's
//! `python3-aiosmtpd` (installed by scripts/install-deps) writing what it receives to a
//! Maildir. Not used by the server.

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
