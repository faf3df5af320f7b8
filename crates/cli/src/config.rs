//! Settings, layered: built-in defaults, then a TOML file, then `PARTNEROPS_*` environment
//! variables, then command-line flags (clap reads the variables and flags together, flags
//! winning). The database URL may hold a password, so it is never printed whole.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};
use partnerops_core::client_addr::TrustedProxies;
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
}

impl Settings {
    /// Lays the file and the flags/environment over the defaults.
    pub fn resolve(
        file: &FileConfig,
        overrides: &Overrides<'_>,
        default_db: &str,
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
        Ok(Settings {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        assert!(toml::from_str::<FileConfig>("databse_url = 'x'").is_err());
    }
}
