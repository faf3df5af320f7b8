//! The SMTP sink the test command runs (`scripts/smtp_sink.py`, a real SMTP server on
//! 127.0.0.1 named by `PARTNEROPS_TEST_SMTP`, writing each message it takes under
//! `PARTNEROPS_TEST_MAILDIR/<sender>/`). Each [`Mailbox`] sends from an address of its own
//! and reads only the messages sent from it, so tests running at once never see each
//! other's mail. Nothing is skipped: without the sink a test fails and says how to start it.

use std::path::PathBuf;

use partnerops_store::notification::mail::{NotifySettings, SmtpSettings, TlsMode};

/// One test's view of the sink.
pub struct Mailbox {
    pub sender: String,
    host: String,
    port: u16,
    dir: PathBuf,
}

/// A message as the sink received it.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The envelope recipients.
    pub to: Vec<String>,
    pub subject: String,
    /// The whole message as received (headers and body).
    pub raw: String,
    /// The body after the blank line that ends the headers, decoded when it was sent
    /// quoted-printable (long lines are).
    pub body: String,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with ./scripts/test, which starts the SMTP sink (scripts/smtp_sink.py)")
    })
}

impl Mailbox {
    pub fn new() -> Mailbox {
        let smtp = env("PARTNEROPS_TEST_SMTP");
        let (host, port) = smtp
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("PARTNEROPS_TEST_SMTP must be HOST:PORT, not {smtp}"));
        let sender = format!("po-{}@test.example", uuid::Uuid::now_v7().simple());
        Mailbox {
            dir: PathBuf::from(env("PARTNEROPS_TEST_MAILDIR")).join(&sender),
            host: host.to_owned(),
            port: port.parse().expect("PARTNEROPS_TEST_SMTP port"),
            sender,
        }
    }

    /// Notification settings sending through the sink from this mailbox's address, with
    /// links to `public_url` (the test server).
    pub fn settings(&self, public_url: &str) -> NotifySettings {
        self.settings_at(public_url, self.port)
    }

    /// The same, but to a port where nothing listens: every attempt fails to connect.
    pub fn unreachable(&self, public_url: &str) -> NotifySettings {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        self.settings_at(public_url, closed)
    }

    fn settings_at(&self, public_url: &str, port: u16) -> NotifySettings {
        NotifySettings {
            public_url: public_url.to_owned(),
            smtp: Some(SmtpSettings {
                host: self.host.clone(),
                port,
                tls: TlsMode::None,
                username: None,
                password: None,
                sender: format!("partnerops <{}>", self.sender),
            }),
        }
    }

    /// Every message received from this mailbox's address, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "eml")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| parse(&std::fs::read_to_string(p).expect("read a message")))
            .collect()
    }

    /// The messages to `recipient`.
    pub fn to(&self, recipient: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == recipient))
            .collect()
    }
}

/// Reads the envelope and the subject; unfolds folded header lines.
fn parse(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    let header = |name: &str| {
        unfolded
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .to_owned()
    };
    let body = if header("Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_owned()
    };
    Mail {
        to: header("X-Envelope-To")
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        subject: header("Subject"),
        body,
        raw: raw.clone(),
    }
}

/// Decodes a quoted-printable body: soft line breaks (`=` at a line's end) joined, `=XX`
/// turned back into the byte.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
