//! The SMTP side of notifications: the settings (where the server is, how to reach it,
//! whom mail comes from, the public address links point at) and sending one message with
//! lettre. What is sent, and when, is decided elsewhere (`notify`, `delivery`).
//!
//! The password never reaches a log or `Debug` output: it is an [`SmtpPassword`], and
//! lettre's credentials are built from it only when a transport is made.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text (a relay on the same host or network, a test server).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl TlsMode {
    pub const NAMES: &'static str = "none, starttls, tls";

    pub fn parse(raw: &str) -> Option<TlsMode> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }
}

/// The SMTP password. `Debug` never shows it (and it has no `Display`).
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    pub fn new(secret: String) -> SmtpPassword {
        SmtpPassword(secret)
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpPassword(****)")
    }
}

/// Where and how to send e-mail.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<SmtpPassword>,
    /// The From address, optionally with a name: `partnerops <prm@vendor.example>`.
    pub sender: String,
}

impl SmtpSettings {
    /// Checks what can be checked before the first e-mail: the sender parses as an
    /// address, and a username comes with a password. Returns the problem, naming the key.
    pub fn check(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("smtp.host must not be empty".to_owned());
        }
        self.sender.parse::<Mailbox>().map_err(|e| {
            format!(
                "smtp.sender must be an e-mail address such as \"partnerops <prm@vendor.example>\" ({e})"
            )
        })?;
        if self.username.is_some() != self.password.is_some() {
            return Err("smtp.username and smtp.password are set together or not at all".into());
        }
        Ok(())
    }
}

/// What notifications need from the outside world.
#[derive(Clone, Debug)]
pub struct NotifySettings {
    /// The address people reach this installation at; links in e-mails start with it.
    pub public_url: String,
    /// Where e-mail goes; without it e-mails are recorded as skipped and only the in-app
    /// notifications remain.
    pub smtp: Option<SmtpSettings>,
}

impl Default for NotifySettings {
    fn default() -> NotifySettings {
        NotifySettings {
            public_url: "http://127.0.0.1:8080".to_owned(),
            smtp: None,
        }
    }
}

/// How long one SMTP conversation may take before it counts as failed (and is retried).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// The server took the message; its answer.
    Accepted { reply: String },
    /// It did not. `error` is the server's answer where there was one, else what went
    /// wrong (no connection, a TLS failure); `permanent` for a 5xx answer.
    Refused { error: String, permanent: bool },
}

/// A connection recipe for one job run.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Mailbox,
}

impl Mailer {
    pub(crate) fn new(s: &SmtpSettings) -> Result<Mailer, String> {
        let sender: Mailbox = s
            .sender
            .parse()
            .map_err(|e| format!("smtp.sender does not parse: {e}"))?;
        let builder = match s.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            TlsMode::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| format!("smtp: {e}"))?,
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|e| format!("smtp: {e}"))?,
        };
        let mut builder = builder.port(s.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(SmtpPassword(password))) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            sender,
        })
    }

    /// Sends one plain-text message to `to`. Its Message-ID is made from `delivery` (the
    /// delivery's id), so a retry after a cut-off conversation carries the same id and the
    /// receiving side can tell it is the same message.
    pub(crate) async fn send(&self, delivery: &str, to: &str, subject: &str, body: &str) -> Sent {
        let recipient: Mailbox = match to.parse() {
            Ok(m) => m,
            Err(e) => {
                return Sent::Refused {
                    error: format!("the recipient address {to} does not parse: {e}"),
                    permanent: true,
                };
            }
        };
        let message = Message::builder()
            .message_id(Some(format!("<{delivery}@{}>", self.sender.email.domain())))
            .from(self.sender.clone())
            .to(recipient)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned());
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return Sent::Refused {
                    error: format!("the message could not be built: {e}"),
                    permanent: true,
                };
            }
        };
        match self.transport.send(message).await {
            Ok(response) => Sent::Accepted {
                reply: format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )
                .trim()
                .to_owned(),
            },
            Err(e) => Sent::Refused {
                error: e.to_string(),
                permanent: e.is_permanent(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "smtp.example.com".into(),
            port: 587,
            tls: TlsMode::StartTls,
            username: Some("prm".into()),
            password: Some(SmtpPassword::new("hunter2-secret".into())),
            sender: "partnerops <prm@vendor.example>".into(),
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let s = settings();
        let shown = format!(
            "{s:?} {:?}",
            NotifySettings {
                public_url: "https://prm.example".into(),
                smtp: Some(s.clone()),
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("SmtpPassword(****)"));
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(settings().check(), Ok(()));
        let bad_sender = SmtpSettings {
            sender: "not an address".into(),
            ..settings()
        };
        assert!(bad_sender.check().unwrap_err().contains("smtp.sender"));
        let half_credentials = SmtpSettings {
            password: None,
            ..settings()
        };
        assert!(
            half_credentials
                .check()
                .unwrap_err()
                .contains("smtp.username")
        );
        assert_eq!(TlsMode::parse(" STARTTLS "), Some(TlsMode::StartTls));
        assert_eq!(TlsMode::parse("ssl"), None);
    }
}
