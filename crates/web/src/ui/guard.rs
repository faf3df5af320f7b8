//! Who may open a page, as types. A console handler takes `Staff`, a portal handler takes
//! `PartnerUser`; the extractor is the permission, so a handler cannot forget the check,
//! and the only way to a tenant scope in the UI is through one of them. `UiUser` (either
//! kind) is taken only where both may come (`/`, sign-out).
//!
//! This is the one place in the web crate that names the vendor scope. Business rules
//! (which role may do what) stay in `partnerops_core::scope::authorize` and the store.

use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use partnerops_core::ids::PartnerId;
use partnerops_core::scope::Scope;
use partnerops_store::Actor;

use super::{UiError, UiUser};
use crate::AppState;

/// What a signed-in user must be to pass a guard. `admit` runs after the sign-in (and, for
/// forms, after the CSRF check), so a refused user sees what the page shows strangers.
pub trait Guard: Sized {
    fn admit(user: UiUser) -> Result<Self, UiError>;
}

impl Guard for UiUser {
    fn admit(user: UiUser) -> Result<Self, UiError> {
        Ok(user)
    }
}

/// A signed-in vendor user: the console's only visitor. A partner user gets 404 (to them the
/// console does not exist); an anonymous visitor is sent to sign in.
#[derive(Clone, Debug)]
pub struct Staff(UiUser);

/// The vendor scope, handed out only by `Staff`.
static VENDOR: Scope = Scope::Vendor;

impl Staff {
    /// The vendor scope: every partner's records.
    pub fn scope(&self) -> &Scope {
        &VENDOR
    }

    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl Guard for Staff {
    fn admit(user: UiUser) -> Result<Self, UiError> {
        if user.principal.scope == VENDOR {
            Ok(Staff(user))
        } else {
            Err(UiError::NotFound)
        }
    }
}

/// A signed-in partner user: the portal's only visitor, seeing its own partner's records.
/// Vendor staff get 404 (the portal is not theirs); an anonymous visitor is sent to sign in.
#[derive(Clone, Debug)]
pub struct PartnerUser {
    user: UiUser,
    partner_id: PartnerId,
}

impl PartnerUser {
    /// The partner scope: this partner's records and nothing else.
    pub fn scope(&self) -> &Scope {
        &self.user.principal.scope
    }

    /// The user's own partner.
    pub fn partner_id(&self) -> &PartnerId {
        &self.partner_id
    }

    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

impl Guard for PartnerUser {
    fn admit(user: UiUser) -> Result<Self, UiError> {
        match &user.principal.scope {
            Scope::Partner(id) => Ok(PartnerUser {
                partner_id: id.clone(),
                user,
            }),
            Scope::Vendor => Err(UiError::NotFound),
        }
    }
}

// Both read as the signed-in user (name, role, CSRF token) for the page frame and for
// `authorize`; the scope comes only from the methods above.
impl Deref for Staff {
    type Target = UiUser;
    fn deref(&self) -> &UiUser {
        &self.0
    }
}

impl Deref for PartnerUser {
    type Target = UiUser;
    fn deref(&self) -> &UiUser {
        &self.user
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        Staff::admit(
            <UiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?,
        )
    }
}

impl FromRequestParts<AppState> for PartnerUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        PartnerUser::admit(
            <UiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?,
        )
    }
}
