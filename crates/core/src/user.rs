//! Users: vendor staff and partner users. A partner user belongs to exactly one partner;
//! staff belong to none. Their role decides what they may do (see [`crate::kernel::scope`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::email::Email;
use crate::kernel::ids::{PartnerId, UserId};
use crate::kernel::invalid::text;
use crate::{Invalid, text_enum};

text_enum!(
    /// What a user may do. The first four are vendor staff roles, the last two partner roles.
    Role {
        Admin = "admin" / "Administrator",
        ChannelManager = "channel_manager" / "Channel manager",
        DirectSales = "direct_sales" / "Direct sales",
        MarketingFinance = "marketing_finance" / "Marketing / finance",
        PartnerAdmin = "partner_admin" / "Partner admin",
        PartnerRep = "partner_rep" / "Partner rep",
    }
);

impl Role {
    /// Whether this role belongs to a partner user (and so needs a partner).
    pub fn is_partner_role(self) -> bool {
        matches!(self, Role::PartnerAdmin | Role::PartnerRep)
    }
}

/// A user as the API shows it (never with a password hash).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    /// Set for partner users, absent for vendor staff.
    pub partner_id: Option<PartnerId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Minimum password length. Length beats composition rules (NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Raw input for a new user, from the API, a form or the CLI.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// Required for partner roles when created by vendor staff; partner admins always
    /// create users in their own partner.
    pub partner_id: Option<String>,
    /// Optional: a user without a password can only use API tokens until one is set.
    pub password: Option<String>,
}

/// A validated new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub partner_id: Option<PartnerId>,
    pub password: Option<Password>,
}

/// A password that met the length rule. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Self, crate::FieldError> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(crate::FieldError::new(
                field,
                "min_length",
                format!("{field} must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if raw.len() > 1024 {
            return Err(crate::FieldError::new(
                field,
                "max_length",
                format!("{field} must be at most 1024 bytes"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl NewUser {
    pub fn parse(input: &NewUserInput) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let email = match input.email.as_deref() {
            Some(raw) => inv.check(Email::parse("email", raw)),
            None => inv.check(Err(crate::FieldError::new(
                "email",
                "required",
                "email is required",
            ))),
        };
        let display_name = inv.check(text::required(
            "display_name",
            input.display_name.as_deref(),
            120,
        ));
        let role = match input.role.as_deref() {
            Some(raw) => inv.check(Role::parse("role", raw)),
            None => inv.check(Err(crate::FieldError::new(
                "role",
                "required",
                "role is required",
            ))),
        };
        let partner_id = match input
            .partner_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => inv
                .check(crate::kernel::ids::parse_id("partner_id", raw))
                .map(Some),
            None => Some(None),
        };
        let password = match input.password.as_deref().filter(|s| !s.is_empty()) {
            Some(raw) => inv.check(Password::parse("password", raw)).map(Some),
            None => Some(None),
        };
        if let (Some(role), Some(Some(_))) = (role, partner_id.as_ref())
            && !role.is_partner_role()
        {
            inv.add(
                "partner_id",
                "staff_without_partner",
                "vendor staff do not belong to a partner; leave partner_id empty",
            );
        }
        inv.finish(|| {
            Some(NewUser {
                email: email?,
                display_name: display_name?,
                role: role?,
                partner_id: partner_id?,
                password: password?,
            })
        })
    }
}

/// Raw input for changing a user. Absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatchInput {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub password: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<Password>,
}

impl UserPatch {
    pub fn parse(input: &UserPatchInput) -> Result<Self, Invalid> {
        let mut inv = Invalid::new();
        let display_name = match input.display_name.as_deref() {
            Some(raw) => inv
                .check(text::required("display_name", Some(raw), 120))
                .map(Some),
            None => Some(None),
        };
        let role = match input.role.as_deref() {
            Some(raw) => inv.check(Role::parse("role", raw)).map(Some),
            None => Some(None),
        };
        let password = match input.password.as_deref() {
            Some(raw) => inv.check(Password::parse("password", raw)).map(Some),
            None => Some(None),
        };
        inv.finish(|| {
            Some(UserPatch {
                display_name: display_name?,
                role: role?,
                password: password?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(role: &str, partner: Option<&str>) -> NewUserInput {
        NewUserInput {
            email: Some("Rep@Partner.example".into()),
            display_name: Some("Rep".into()),
            role: Some(role.into()),
            partner_id: partner.map(Into::into),
            password: Some("correct horse battery".into()),
        }
    }

    #[test]
    fn staff_cannot_belong_to_a_partner() {
        let err = NewUser::parse(&input(
            "admin",
            Some("ptr_0192f0c4a1b27c3d8e9f001122334455"),
        ))
        .unwrap_err();
        assert_eq!(err.errors[0].rule, "staff_without_partner");
        assert!(
            NewUser::parse(&input(
                "partner_rep",
                Some("ptr_0192f0c4a1b27c3d8e9f001122334455")
            ))
            .is_ok()
        );
    }

    #[test]
    fn password_length_boundary() {
        assert!(Password::parse("password", &"x".repeat(11)).is_err());
        assert!(Password::parse("password", &"x".repeat(12)).is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("p", &"s".repeat(12)).unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn all_errors_are_reported_together() {
        let err = NewUser::parse(&NewUserInput {
            email: Some("nope".into()),
            role: Some("boss".into()),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "display_name", "role"]);
    }
}

/// An API token as listed (the secret itself is shown once, at creation, and never stored).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: crate::kernel::ids::TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the token may reach (see [`crate::token`]).
    pub scopes: Vec<crate::token::TokenScope>,
    /// When it stops working; absent: never (tokens made before expiry existed, and
    /// operators' tokens made with `--expires never`).
    pub expires_at: Option<DateTime<Utc>>,
}

pub use crate::token::NewTokenInput;
