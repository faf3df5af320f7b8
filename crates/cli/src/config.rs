//! Settings, layered: built-in defaults, then a TOML file, then `PARTNEROPS_*` environment
//! variables, then command-line flags (clap reads the variables and flags together, flags
//! winning). The database URL may hold a password, so it is never printed whole; the SMTP
//! password is never printed at all.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};
use partnerops_core::client_addr::TrustedProxies;
use partnerops_core::rate_limit::RateLimit;
use partnerops_store::file::{FileStoreConfig, S3Config};
use partnerops_store::notification::mail::{NotifySettings, SmtpPassword, SmtpSettings, TlsMode};
use partnerops_store::webhook::WebhookSettings;
use partnerops_web::{ApiRateLimits, DEFAULT_PER_ADDRESS_PER_MINUTE, DEFAULT_PER_TOKEN_PER_MINUTE};
use serde::Deserialize;

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://partnerops.sqlite";
pub const DEFAULT_DEMO_DATABASE_URL: &str = "sqlite://partnerops-demo.sqlite";
const DEFAULT_CONFIG_FILE: &str = "partnerops.toml";

/// The TOML file's keys; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub addr: Option<String>,
    /// Where to serve `/metrics`, HOST:PORT; off when absent.
    pub metrics_addr: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: IP addresses or CIDR networks.
    pub trusted_proxies: Option<Vec<String>>,
    pub secure_cookies: Option<bool>,
    pub log: Option<String>,
    /// Where notification e-mails go; without `host`, e-mails are recorded as skipped.
    pub smtp: Option<SmtpConfig>,
    /// Where uploaded files go: a folder, or an S3-compatible bucket.
    pub files: Option<FilesConfig>,
    /// Where webhooks may be sent.
    pub webhooks: Option<WebhooksConfig>,
    /// The API's rate limits.
    pub api: Option<ApiConfig>,
    /// How connections reach the database.
    pub database: Option<DatabaseConfig>,
}

/// The `[database]` section (and `PARTNEROPS_DATABASE_POOLER`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The connection pooler's mode between partnerops and PostgreSQL: only `session`
    /// (which a direct connection also is). `transaction` and `statement` are refused.
    pub pooler: Option<String>,
}

/// The one pooler mode partnerops runs behind.
pub const POOLER_SESSION: &str = "session";

impl DatabaseConfig {
    /// Checks the pooler mode in `file`, or `PARTNEROPS_DATABASE_POOLER` over it. A pooler
    /// in transaction mode is refused here, by name, rather than failing later at random:
    /// sqlx keeps named prepared statements on each connection, which such a pooler hands
    /// to other clients. Making that mode work would cost every statement its plan reuse
    /// and two round trips (see docs/scale-out.md). The store also detects such a pooler
    /// when it connects, whatever this says.
    fn check(file: Option<&DatabaseConfig>, var: &impl Fn(&str) -> Option<String>) -> Result<()> {
        let (raw, key) = match var("PARTNEROPS_DATABASE_POOLER").filter(|v| !v.is_empty()) {
            Some(v) => (v, "PARTNEROPS_DATABASE_POOLER"),
            None => match file.and_then(|f| f.pooler.clone()) {
                Some(v) => (v, "database.pooler"),
                None => return Ok(()),
            },
        };
        match raw.trim() {
            POOLER_SESSION => Ok(()),
            mode @ ("transaction" | "statement") => bail!(
                "{key} = \"{mode}\" is refused: partnerops keeps named prepared statements on each \
                 database connection, and a pooler in {mode} mode hands a connection's server to \
                 other clients between transactions. Run the pooler in session mode (PgBouncer: \
                 pool_mode = session) and set {key} = \"{POOLER_SESSION}\", or connect \
                 directly; see docs/scale-out.md"
            ),
            other => bail!(
                "{key} must be \"{POOLER_SESSION}\" (got {other:?}): the only pooler mode \
                 partnerops runs behind; see docs/scale-out.md"
            ),
        }
    }
}

/// The `[api]` section (and `PARTNEROPS_API_<KEY>`): requests per minute, counted in the
/// database so instances on one PostgreSQL share the count.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Per API token.
    pub rate_limit_per_minute: Option<u32>,
    /// Per client address, for requests without a live token.
    pub rate_limit_per_address_per_minute: Option<u32>,
}

impl ApiConfig {
    /// The limits from `file` with `PARTNEROPS_API_<KEY>` laid over it.
    fn resolve(
        file: Option<&ApiConfig>,
        var: &impl Fn(&str) -> Option<String>,
    ) -> Result<ApiRateLimits> {
        let pick = |key: &str, from_file: Option<u32>, default: u32| -> Result<u32> {
            let env = format!("PARTNEROPS_API_{}", key.to_uppercase());
            let n = match var(&env).filter(|v| !v.is_empty()) {
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .with_context(|| format!("{env} must be a whole number (got {v})"))?,
                None => from_file.unwrap_or(default),
            };
            if n == 0 {
                bail!("api.{key} must be at least 1");
            }
            Ok(n)
        };
        Ok(ApiRateLimits {
            per_token: RateLimit::per_minute(pick(
                "rate_limit_per_minute",
                file.and_then(|f| f.rate_limit_per_minute),
                DEFAULT_PER_TOKEN_PER_MINUTE,
            )?),
            per_address: RateLimit::per_minute(pick(
                "rate_limit_per_address_per_minute",
                file.and_then(|f| f.rate_limit_per_address_per_minute),
                DEFAULT_PER_ADDRESS_PER_MINUTE,
            )?),
        })
    }
}

/// The `[webhooks]` section (and `PARTNEROPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Let subscriptions target private, loopback and link-local addresses (receivers in
    /// the same network). Off by default: such targets are how SSRF reaches inside.
    pub allow_private_targets: Option<bool>,
}

/// The `[files]` section, and the `PARTNEROPS_FILES_*` variables laid over it. With a
/// `bucket`, files go to S3 (or any S3-compatible server at `endpoint`); else to `dir`,
/// by default a folder beside the SQLite file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    pub dir: Option<String>,
    pub bucket: Option<String>,
    /// Default `us-east-1`.
    pub region: Option<String>,
    /// For S3-compatible servers other than AWS: `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Redacted>,
}

/// A secret from the file; `Debug` never shows it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Redacted(String);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl FilesConfig {
    /// Where files go, from `file` with every `PARTNEROPS_FILES_<KEY>` that `var` finds laid
    /// over it, for the database at `database_url`.
    pub fn resolve(
        file: Option<&FilesConfig>,
        database_url: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<FileStoreConfig> {
        let env = |key: &str| var(&format!("PARTNEROPS_FILES_{key}")).filter(|v| !v.is_empty());
        let text = |key: &str, from_file: Option<&String>| env(key).or_else(|| from_file.cloned());
        let bucket = text("BUCKET", file.and_then(|f| f.bucket.as_ref()));
        let Some(bucket) = bucket else {
            let dir = text("DIR", file.and_then(|f| f.dir.as_ref()))
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| partnerops_store::file::default_folder(database_url));
            return Ok(FileStoreConfig::Local(dir));
        };
        let access_key_id = text("ACCESS_KEY_ID", file.and_then(|f| f.access_key_id.as_ref()));
        let secret = env("SECRET_ACCESS_KEY").or_else(|| {
            file.and_then(|f| f.secret_access_key.as_ref())
                .map(|p| p.0.clone())
        });
        let (Some(access_key_id), Some(secret_access_key)) = (access_key_id, secret) else {
            bail!(
                "files.bucket needs files.access_key_id and files.secret_access_key (or PARTNEROPS_FILES_ACCESS_KEY_ID and PARTNEROPS_FILES_SECRET_ACCESS_KEY)"
            );
        };
        Ok(FileStoreConfig::S3(S3Config {
            bucket,
            region: text("REGION", file.and_then(|f| f.region.as_ref()))
                .unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint: text("ENDPOINT", file.and_then(|f| f.endpoint.as_ref())),
            access_key_id,
            secret_access_key,
        }))
    }
}

/// The `[smtp]` section, and the `PARTNEROPS_SMTP_*` variables laid over it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    /// Default: 25 without TLS, 587 with STARTTLS, 465 with TLS.
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: Option<String>,
    pub username: Option<String>,
    pub password: Option<SmtpPassword>,
    /// The From address: `partnerops <prm@vendor.example>`.
    pub sender: Option<String>,
    /// The address people reach partnerops at, for links in e-mails (default: `http://`
    /// and the listen address).
    pub public_url: Option<String>,
}

impl SmtpConfig {
    /// `file` with every `PARTNEROPS_SMTP_<KEY>` that `var` finds laid over it.
    pub fn with_env(
        file: Option<&SmtpConfig>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<SmtpConfig> {
        let env = |key: &str| var(&format!("PARTNEROPS_SMTP_{key}")).filter(|v| !v.is_empty());
        let port = match env("PORT") {
            Some(raw) => Some(raw.trim().parse::<u16>().with_context(|| {
                format!("PARTNEROPS_SMTP_PORT must be a port number (got {raw})")
            })?),
            None => file.and_then(|f| f.port),
        };
        let text = |key: &str, from_file: Option<&String>| env(key).or_else(|| from_file.cloned());
        Ok(SmtpConfig {
            host: text("HOST", file.and_then(|f| f.host.as_ref())),
            port,
            tls: text("TLS", file.and_then(|f| f.tls.as_ref())),
            username: text("USERNAME", file.and_then(|f| f.username.as_ref())),
            password: env("PASSWORD")
                .map(SmtpPassword::new)
                .or_else(|| file.and_then(|f| f.password.clone())),
            sender: text("SENDER", file.and_then(|f| f.sender.as_ref())),
            public_url: text("PUBLIC_URL", file.and_then(|f| f.public_url.as_ref())),
        })
    }

    /// The notification settings: SMTP when a host is set, and the public address.
    pub fn resolve(&self, addr: SocketAddr) -> Result<NotifySettings> {
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("smtp.public_url must start with http:// or https:// (got {public_url})");
        }
        let Some(host) = self.host.clone().filter(|h| !h.trim().is_empty()) else {
            return Ok(NotifySettings {
                public_url,
                smtp: None,
            });
        };
        let tls = match self.tls.as_deref() {
            None => TlsMode::StartTls,
            Some(raw) => TlsMode::parse(raw).with_context(|| {
                format!("smtp.tls must be one of {} (got {raw})", TlsMode::NAMES)
            })?,
        };
        let port = self.port.unwrap_or(match tls {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        });
        let Some(sender) = self.sender.clone() else {
            bail!("smtp.sender is required when smtp.host is set (the From address of e-mails)");
        };
        let smtp = SmtpSettings {
            host,
            port,
            tls,
            username: self.username.clone(),
            password: self.password.clone(),
            sender,
        };
        smtp.check().map_err(|e| anyhow::anyhow!(e))?;
        Ok(NotifySettings {
            public_url,
            smtp: Some(smtp),
        })
    }
}

impl FileConfig {
    /// Reads `path` if given (it must exist), else `partnerops.toml` if present.
    pub fn load(path: Option<&Path>) -> Result<FileConfig> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (Path::new(DEFAULT_CONFIG_FILE).to_path_buf(), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(FileConfig::default());
            }
            Err(e) => {
                return Err(e).with_context(|| format!("reading config file {}", path.display()));
            }
        };
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }
}

/// A database URL whose password never reaches logs or `Debug` output.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<DatabaseUrl> {
        if partnerops_store::Backend::of_url(raw).is_none() {
            bail!(
                "--database-url must start with sqlite:// or postgres:// (got {})",
                DatabaseUrl(raw.to_owned())
            );
        }
        Ok(DatabaseUrl(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DatabaseUrl {
    /// `postgres://user:****@host/db`: the password replaced.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        if let (Some(scheme_end), Some(at)) = (s.find("://"), s.rfind('@')) {
            let creds = &s[scheme_end + 3..at];
            if let Some(colon) = creds.find(':') {
                return write!(
                    f,
                    "{}{}:****{}",
                    &s[..scheme_end + 3],
                    &creds[..colon],
                    &s[at..]
                );
            }
        }
        f.write_str(s)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// What the environment and the command line said, before the file and the defaults are
/// laid under it (clap has already merged `PARTNEROPS_*` variables into these).
#[derive(Debug, Default)]
pub struct Overrides<'a> {
    pub database_url: Option<&'a str>,
    pub addr: Option<&'a str>,
    pub metrics_addr: Option<&'a str>,
    pub trusted_proxies: Option<&'a [String]>,
}

/// Effective settings of a command.
#[derive(Debug)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub addr: SocketAddr,
    /// The separate metrics listener, if any: `/metrics` is never on the public listener.
    pub metrics_addr: Option<SocketAddr>,
    pub trusted_proxies: TrustedProxies,
    pub secure_cookies: bool,
    pub log: String,
    /// Notification e-mail: the SMTP server (if any) and the public address for links.
    pub notify: NotifySettings,
    /// Where uploaded files go.
    pub files: FileStoreConfig,
    /// Where webhooks may be sent.
    pub webhooks: WebhookSettings,
    /// The API's rate limits.
    pub rate_limits: ApiRateLimits,
}

impl Settings {
    /// Lays the file and the flags/environment over the defaults.
    pub fn resolve(
        file: &FileConfig,
        overrides: &Overrides<'_>,
        default_db: &str,
    ) -> Result<Settings> {
        Settings::resolve_with_env(file, overrides, default_db, |k| std::env::var(k).ok())
    }

    /// [`Settings::resolve`] reading environment variables through `var`.
    pub fn resolve_with_env(
        file: &FileConfig,
        overrides: &Overrides<'_>,
        default_db: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings> {
        let db = overrides
            .database_url
            .or(file.database_url.as_deref())
            .unwrap_or(default_db);
        let addr_text = overrides
            .addr
            .or(file.addr.as_deref())
            .unwrap_or(DEFAULT_ADDR);
        let addr = addr_text.parse().with_context(|| {
            format!("--addr must be HOST:PORT such as 127.0.0.1:8080 (got {addr_text})")
        })?;
        let metrics_addr = match overrides.metrics_addr.or(file.metrics_addr.as_deref()) {
            None => None,
            Some(text) => Some(text.parse().with_context(|| {
                format!("--metrics-addr must be HOST:PORT such as 127.0.0.1:9090 (got {text})")
            })?),
        };
        let proxies = overrides
            .trusted_proxies
            .or(file.trusted_proxies.as_deref())
            .unwrap_or_default();
        let trusted_proxies =
            TrustedProxies::parse("trusted_proxies", proxies.iter().map(String::as_str))
                .map_err(|e| anyhow::anyhow!("--trusted-proxies: {}", e.message))?;
        let notify = SmtpConfig::with_env(file.smtp.as_ref(), &var)?.resolve(addr)?;
        let files = FilesConfig::resolve(file.files.as_ref(), db, &var)?;
        let allow_private_targets =
            match var("PARTNEROPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS").filter(|v| !v.is_empty()) {
                Some(v) => match v.as_str() {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    _ => bail!(
                        "PARTNEROPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS must be true or false (got {v})"
                    ),
                },
                None => file
                    .webhooks
                    .as_ref()
                    .and_then(|w| w.allow_private_targets)
                    .unwrap_or(false),
            };
        let rate_limits = ApiConfig::resolve(file.api.as_ref(), &var)?;
        DatabaseConfig::check(file.database.as_ref(), &var)?;
        Ok(Settings {
            notify,
            files,
            rate_limits,
            webhooks: WebhookSettings {
                allow_private_targets,
            },
            database_url: DatabaseUrl::parse(db)?,
            addr,
            metrics_addr,
            trusted_proxies,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            log: file
                .log
                .clone()
                .unwrap_or_else(|| "info,sqlx=warn".to_owned()),
        })
    }
}

impl Settings {
    /// The effective configuration as TOML, secrets redacted, each key with its default and
    /// its environment variable, for `partnerops config`.
    pub fn describe(&self) -> String {
        fn quoted(v: &str) -> String {
            format!("{v:?}")
        }
        fn line(out: &mut String, name: &str, value: String, note: &str) {
            let head = format!("{name} = {value}");
            out.push_str(&format!("{head:<48} # {note}\n"));
        }
        let mut out = String::new();
        line(
            &mut out,
            "database_url",
            quoted(&self.database_url.to_string()),
            &format!("PARTNEROPS_DATABASE_URL, --database-url; default {DEFAULT_DATABASE_URL:?}"),
        );
        line(
            &mut out,
            "addr",
            quoted(&self.addr.to_string()),
            &format!("PARTNEROPS_ADDR, --addr; default {DEFAULT_ADDR:?}"),
        );
        match self.metrics_addr {
            Some(a) => line(
                &mut out,
                "metrics_addr",
                quoted(&a.to_string()),
                "PARTNEROPS_METRICS_ADDR, --metrics-addr; default off",
            ),
            None => out.push_str(&format!(
                "{:<48} # PARTNEROPS_METRICS_ADDR, --metrics-addr; default off\n",
                "# metrics_addr is off"
            )),
        }
        let proxies: Vec<String> = self
            .trusted_proxies
            .networks()
            .iter()
            .map(|n| quoted(&n.to_string()))
            .collect();
        line(
            &mut out,
            "trusted_proxies",
            format!("[{}]", proxies.join(", ")),
            "PARTNEROPS_TRUSTED_PROXIES, --trusted-proxies; default []",
        );
        line(
            &mut out,
            "secure_cookies",
            self.secure_cookies.to_string(),
            "default false",
        );
        line(
            &mut out,
            "log",
            quoted(&self.log),
            "default \"info,sqlx=warn\"",
        );
        out.push_str(&format!(
            "\n{:<48} # each key also as PARTNEROPS_SMTP_<KEY>\n",
            "[smtp]"
        ));
        line(
            &mut out,
            "public_url",
            quoted(&self.notify.public_url),
            "default http://<addr>",
        );
        match &self.notify.smtp {
            None => out.push_str("# host is not set: e-mails are recorded as skipped\n"),
            Some(smtp) => {
                line(&mut out, "host", quoted(&smtp.host), "no default");
                line(
                    &mut out,
                    "port",
                    smtp.port.to_string(),
                    "default 25 (none), 587 (starttls), 465 (tls)",
                );
                line(
                    &mut out,
                    "tls",
                    quoted(match smtp.tls {
                        TlsMode::None => "none",
                        TlsMode::StartTls => "starttls",
                        TlsMode::Tls => "tls",
                    }),
                    "none | starttls (default) | tls",
                );
                if let Some(u) = &smtp.username {
                    line(&mut out, "username", quoted(u), "with password, or neither");
                }
                if smtp.password.is_some() {
                    line(&mut out, "password", quoted("<redacted>"), "never printed");
                }
                line(
                    &mut out,
                    "sender",
                    quoted(&smtp.sender),
                    "required with host",
                );
            }
        }
        out.push_str(&format!(
            "\n{:<48} # each key also as PARTNEROPS_FILES_<KEY>\n",
            "[files]"
        ));
        match &self.files {
            FileStoreConfig::Local(dir) => line(
                &mut out,
                "dir",
                quoted(&dir.display().to_string()),
                "default: beside the SQLite file; set bucket to use S3",
            ),
            FileStoreConfig::S3(s3) => {
                line(
                    &mut out,
                    "bucket",
                    quoted(&s3.bucket),
                    "S3 or S3-compatible",
                );
                line(
                    &mut out,
                    "region",
                    quoted(&s3.region),
                    "default \"us-east-1\"",
                );
                if let Some(e) = &s3.endpoint {
                    line(&mut out, "endpoint", quoted(e), "default AWS");
                }
                line(
                    &mut out,
                    "access_key_id",
                    quoted(&s3.access_key_id),
                    "required with bucket",
                );
                line(
                    &mut out,
                    "secret_access_key",
                    quoted("<redacted>"),
                    "never printed",
                );
            }
        }
        out.push_str(&format!(
            "\n{:<48} # also PARTNEROPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS\n",
            "[webhooks]"
        ));
        line(
            &mut out,
            "allow_private_targets",
            self.webhooks.allow_private_targets.to_string(),
            "default false: private, loopback and link-local targets refused",
        );
        out.push_str(&format!(
            "\n{:<48} # each key also as PARTNEROPS_API_<KEY>\n",
            "[api]"
        ));
        line(
            &mut out,
            "rate_limit_per_minute",
            self.rate_limits.per_token.limit.to_string(),
            &format!("per API token; default {DEFAULT_PER_TOKEN_PER_MINUTE}"),
        );
        line(
            &mut out,
            "rate_limit_per_address_per_minute",
            self.rate_limits.per_address.limit.to_string(),
            &format!(
                "per client address without a token; default {DEFAULT_PER_ADDRESS_PER_MINUTE}"
            ),
        );
        out.push_str(&format!(
            "\n{:<48} # each key also as PARTNEROPS_DATABASE_<KEY>\n",
            "[database]"
        ));
        line(
            &mut out,
            "pooler",
            quoted(POOLER_SESSION),
            "the only mode: direct, or a pooler in session mode (docs/scale-out.md)",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_redacts_secrets_and_names_defaults() {
        let file = FileConfig {
            database_url: Some("postgres://app:s3cret@db.internal/prm".into()),
            ..Default::default()
        };
        let env = |k: &str| match k {
            "PARTNEROPS_SMTP_HOST" => Some("smtp.example".to_owned()),
            "PARTNEROPS_SMTP_USERNAME" => Some("prm".to_owned()),
            "PARTNEROPS_SMTP_PASSWORD" => Some("hunter2hunter2".to_owned()),
            "PARTNEROPS_SMTP_SENDER" => Some("prm@vendor.example".to_owned()),
            _ => None,
        };
        let s = Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, env)
            .unwrap();
        let text = s.describe();
        assert!(
            !text.contains("s3cret") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(
            text.contains("postgres://app:****@db.internal/prm"),
            "{text}"
        );
        assert!(text.contains("password = \"<redacted>\""), "{text}");
        assert!(text.contains("port = 587"), "{text}");
        assert!(text.contains("default \"127.0.0.1:8080\""), "{text}");
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/prm").unwrap();
        assert_eq!(url.to_string(), "postgres://app:****@db.internal:5432/prm");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db").unwrap().to_string(),
            "sqlite://x.db"
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn flags_beat_file_beat_defaults() {
        let file = FileConfig {
            database_url: Some("sqlite://file.db".into()),
            addr: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        let s = Settings::resolve(&file, &Overrides::default(), DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(
            (s.database_url.expose(), s.addr.port()),
            ("sqlite://file.db", 9000)
        );
        let flags = Overrides {
            database_url: Some("sqlite://flag.db"),
            addr: Some("127.0.0.1:9100"),
            ..Overrides::default()
        };
        let s = Settings::resolve(&file, &flags, DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(
            (s.database_url.expose(), s.addr.port()),
            ("sqlite://flag.db", 9100)
        );
        let s = Settings::resolve(
            &FileConfig::default(),
            &Overrides::default(),
            DEFAULT_DATABASE_URL,
        )
        .unwrap();
        assert_eq!(
            (s.database_url.expose(), s.addr.to_string().as_str()),
            (DEFAULT_DATABASE_URL, DEFAULT_ADDR)
        );
        let bad = Overrides {
            addr: Some("nonsense"),
            ..Overrides::default()
        };
        assert!(Settings::resolve(&file, &bad, DEFAULT_DATABASE_URL).is_err());
    }

    #[test]
    fn metrics_listener_is_off_unless_set() {
        let none = Settings::resolve(
            &FileConfig::default(),
            &Overrides::default(),
            DEFAULT_DATABASE_URL,
        )
        .unwrap();
        assert_eq!(none.metrics_addr, None);
        let file = FileConfig {
            metrics_addr: Some("127.0.0.1:9090".into()),
            ..Default::default()
        };
        let s = Settings::resolve(&file, &Overrides::default(), DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(s.metrics_addr.map(|a| a.port()), Some(9090));
        let flag = Overrides {
            metrics_addr: Some("127.0.0.1:9191"),
            ..Overrides::default()
        };
        let s = Settings::resolve(&file, &flag, DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(s.metrics_addr.map(|a| a.port()), Some(9191));
        let bad = Overrides {
            metrics_addr: Some("9090"),
            ..Overrides::default()
        };
        assert!(Settings::resolve(&file, &bad, DEFAULT_DATABASE_URL).is_err());
    }

    #[test]
    fn api_rate_limits_come_from_file_then_environment() {
        let none = |_: &str| None;
        let s = Settings::resolve_with_env(
            &FileConfig::default(),
            &Overrides::default(),
            DEFAULT_DATABASE_URL,
            none,
        )
        .unwrap();
        assert_eq!(s.rate_limits, ApiRateLimits::default());
        let file: FileConfig = toml::from_str(
            "[api]\nrate_limit_per_minute = 50\nrate_limit_per_address_per_minute = 7",
        )
        .unwrap();
        let s =
            Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, none)
                .unwrap();
        assert_eq!(s.rate_limits.per_token.limit, 50);
        assert_eq!(s.rate_limits.per_address.limit, 7);
        assert!(s.describe().contains("rate_limit_per_minute = 50"));
        let env = |k: &str| (k == "PARTNEROPS_API_RATE_LIMIT_PER_MINUTE").then(|| "9".to_owned());
        let s = Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, env)
            .unwrap();
        assert_eq!(s.rate_limits.per_token.limit, 9);
        let zero: FileConfig = toml::from_str("[api]\nrate_limit_per_minute = 0").unwrap();
        assert!(
            Settings::resolve_with_env(&zero, &Overrides::default(), DEFAULT_DATABASE_URL, none)
                .is_err()
        );
    }

    #[test]
    fn trusted_proxies_come_from_file_or_flags_and_must_parse() {
        let s = Settings::resolve(
            &FileConfig::default(),
            &Overrides::default(),
            DEFAULT_DATABASE_URL,
        )
        .unwrap();
        assert!(s.trusted_proxies.is_empty(), "nobody is trusted by default");
        let file: FileConfig = toml::from_str("trusted_proxies = ['10.0.0.0/8', '::1']").unwrap();
        let s = Settings::resolve(&file, &Overrides::default(), DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(s.trusted_proxies.networks().len(), 2);
        let flag = ["192.0.2.1".to_owned()];
        let flags = Overrides {
            trusted_proxies: Some(&flag),
            ..Overrides::default()
        };
        let s = Settings::resolve(&file, &flags, DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(
            s.trusted_proxies.networks().len(),
            1,
            "flags replace the file"
        );
        let bad = ["10.0.0.0/99".to_owned()];
        let flags = Overrides {
            trusted_proxies: Some(&bad),
            ..Overrides::default()
        };
        let err = Settings::resolve(&file, &flags, DEFAULT_DATABASE_URL).unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/99"), "{err}");
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn smtp_comes_from_the_file_and_the_environment_and_its_password_is_never_shown() {
        let file: FileConfig = toml::from_str(
            "[smtp]\nhost = 'smtp.vendor.example'\nusername = 'prm'\npassword = 'file-s3cret'\nsender = 'partnerops <prm@vendor.example>'\npublic_url = 'https://prm.vendor.example'",
        )
        .unwrap();
        let s =
            Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, no_env)
                .unwrap();
        let smtp = s.notify.smtp.as_ref().unwrap();
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("smtp.vendor.example", 587, TlsMode::StartTls)
        );
        assert_eq!(s.notify.public_url, "https://prm.vendor.example");
        let shown = format!("{s:?} {file:?}");
        assert!(!shown.contains("file-s3cret"), "{shown}");

        let env = |k: &str| match k {
            "PARTNEROPS_SMTP_PORT" => Some("2525".to_owned()),
            "PARTNEROPS_SMTP_TLS" => Some("none".to_owned()),
            "PARTNEROPS_SMTP_PASSWORD" => Some("env-s3cret".to_owned()),
            _ => None,
        };
        let s = Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, env)
            .unwrap();
        let smtp = s.notify.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.tls), (2525, TlsMode::None));
        assert!(!format!("{s:?}").contains("env-s3cret"));
    }

    #[test]
    fn without_a_host_there_is_no_smtp_and_links_use_the_listen_address() {
        let s = Settings::resolve_with_env(
            &FileConfig::default(),
            &Overrides::default(),
            DEFAULT_DATABASE_URL,
            no_env,
        )
        .unwrap();
        assert!(s.notify.smtp.is_none());
        assert_eq!(s.notify.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_smtp_settings_name_the_key() {
        let resolve = |toml_text: &str, env: &dyn Fn(&str) -> Option<String>| {
            let file: FileConfig = toml::from_str(toml_text).unwrap();
            Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, env)
                .unwrap_err()
                .to_string()
        };
        assert!(resolve("[smtp]\nhost = 'h'", &no_env).contains("smtp.sender"));
        assert!(
            resolve(
                "[smtp]\nhost = 'h'\nsender = 'x@y.example'\ntls = 'ssl'",
                &no_env
            )
            .contains("smtp.tls")
        );
        assert!(resolve("[smtp]\npublic_url = 'prm.example'", &no_env).contains("smtp.public_url"));
        let bad_port = |k: &str| (k == "PARTNEROPS_SMTP_PORT").then(|| "many".to_owned());
        assert!(resolve("", &bad_port).contains("PARTNEROPS_SMTP_PORT"));
        assert!(toml::from_str::<FileConfig>("[smtp]\nhots = 'h'").is_err());
    }

    #[test]
    fn a_pooler_in_transaction_mode_is_refused_naming_the_key_and_the_mode_that_works() {
        let resolve = |toml_text: &str, env: &dyn Fn(&str) -> Option<String>| {
            let file: FileConfig = toml::from_str(toml_text).unwrap();
            Settings::resolve_with_env(&file, &Overrides::default(), DEFAULT_DATABASE_URL, env)
                .map(|s| s.describe())
                .map_err(|e| e.to_string())
        };
        let err = resolve("[database]\npooler = 'transaction'", &no_env).unwrap_err();
        assert!(
            err.contains("database.pooler = \"transaction\" is refused")
                && err.contains("pool_mode = session")
                && err.contains("database.pooler = \"session\"")
                && err.contains("docs/scale-out.md"),
            "{err}"
        );
        let statement = resolve("[database]\npooler = 'statement'", &no_env).unwrap_err();
        assert!(statement.contains("is refused"), "{statement}");
        let env = |k: &str| (k == "PARTNEROPS_DATABASE_POOLER").then(|| "transaction".to_owned());
        let err = resolve("[database]\npooler = 'session'", &env).unwrap_err();
        assert!(
            err.contains("PARTNEROPS_DATABASE_POOLER = \"transaction\" is refused"),
            "{err}"
        );
        let typo = resolve("[database]\npooler = 'sesion'", &no_env).unwrap_err();
        assert!(
            typo.contains("database.pooler must be \"session\""),
            "{typo}"
        );
        let described = resolve("[database]\npooler = 'session'", &no_env).unwrap();
        assert!(described.contains("pooler = \"session\""), "{described}");
        assert!(resolve("", &no_env).is_ok(), "session is the default");
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        assert!(toml::from_str::<FileConfig>("databse_url = 'x'").is_err());
    }
}
