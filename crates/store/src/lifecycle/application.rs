//! Applications from prospective partners: the public form lands them in a queue, each is
//! scored against the program's Ideal Partner Profile (a model trained on the program's own
//! partners), and approval creates the partner, invites its admin and starts onboarding, in
//! one transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::ids::{ApplicationId, EntityId, InvitationId, PartnerId, ProgramId};
use partnerops_core::invalid::text;
use partnerops_core::lifecycle::application::{
    Application, ApplicationFields, ApplicationInput, ApplicationStatus, Profile,
};
use partnerops_core::lifecycle::fit::{self, FitModel, Labelled};
use partnerops_core::lifecycle::record::Approval;
use partnerops_core::partner::{Partner, PartnerFields, PartnerStatus};
use partnerops_core::program::Program;
use partnerops_core::registration::Decision;
use partnerops_core::scope::{Action, Scope};
use partnerops_core::user::{NewUser, Role, User};
use partnerops_core::web_domain::WebDomain;
use partnerops_core::{Invalid, country::Country, email::Email};

use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::decision::{emit, record as decide};
use crate::entity::{self, json_column, to_json};
use crate::policy::current_version;
use crate::{Actor, Result, Store, StoreError, audit, new_id, partner, secret, user};

/// How long an invitation link stays valid.
pub const INVITATION_LIFETIME: TimeDelta = TimeDelta::days(14);

const OPEN_DOMAIN: UniqueRule = UniqueRule {
    index: "applications_open_domain",
    sqlite_columns: "applications.program_id, applications.web_domain",
};

row! {
    struct ApplicationRow {
        id: String,
        program_id: String,
        company: String,
        web_domain: String,
        country: String,
        contact_name: String,
        contact_email: String,
        profile: String,
        status: String,
        fit: String,
        partner_id: Option<String>,
        decision_note: Option<String>,
        submitted_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
    }
}

const SELECT: &str = "SELECT a.id, a.program_id, a.company, a.web_domain, a.country, a.contact_name, a.contact_email, a.profile, a.status, a.fit, a.partner_id, a.decision_note, a.submitted_at, a.decided_at FROM applications a WHERE 1 = 1";

fn from_row(r: ApplicationRow) -> Result<Application> {
    let corrupt =
        |e: partnerops_core::FieldError| StoreError::Corrupt(format!("{}: {}", e.field, e.message));
    Ok(Application {
        id: ApplicationId::from_trusted(r.id),
        program_id: ProgramId::from_trusted(r.program_id),
        company: r.company,
        web_domain: WebDomain::parse("web_domain", &r.web_domain).map_err(corrupt)?,
        country: Country::parse("country", &r.country).map_err(corrupt)?,
        contact_name: r.contact_name,
        contact_email: r.contact_email,
        profile: json_column("profile", &r.profile)?,
        status: ApplicationStatus::parse("status", &r.status).map_err(corrupt)?,
        fit: json_column("fit", &r.fit)?,
        partner_id: r.partner_id.map(PartnerId::from_trusted),
        decision_note: r.decision_note,
        submitted_at: r.submitted_at,
        decided_at: r.decided_at,
    })
}

/// An application as `scope` sees it: staff any, a partner only the one it joined through.
async fn fetch(x: &mut impl Exec, scope: &Scope, id: &str) -> Result<Application> {
    let mut q = Sql::new(SELECT);
    q.push(" AND a.id = ").bind(id);
    crate::scope::restrict(&mut q, scope, EntityKind::Application, "a");
    let row: Option<ApplicationRow> = x.optional(&q).await?;
    from_row(row.ok_or(StoreError::NotFound(EntityKind::Application))?)
}

row! {
    struct LabelRow {
        id: String,
        joined_on: NaiveDate,
        profile: String,
    }
}

row! {
    struct RankRow {
        partner_id: String,
        at: DateTime<Utc>,
        to_rank: i64,
    }
}

row! {
    struct WonRow {
        partner_id: String,
        closed_at: DateTime<Utc>,
        est_arr_minor: i64,
    }
}

/// Trains the program's fit model on its partners whose outcome is known: their profile at
/// joining, labelled productive or not by the policy's rule.
pub(crate) async fn fit_model(
    x: &mut impl Exec,
    program_id: &str,
    today: NaiveDate,
) -> Result<FitModel> {
    let policy = current_version(x, program_id).await?.policy;
    let mut q = Sql::new(
        "SELECT id, joined_on, profile FROM partners WHERE profile IS NOT NULL AND program_id = ",
    );
    q.bind(program_id).push(" ORDER BY joined_on, id");
    let partners: Vec<LabelRow> = x.all(&q).await?;
    let mut q = Sql::new(
        "SELECT c.partner_id, c.at, c.to_rank FROM tier_changes c JOIN partners p ON p.id = c.partner_id WHERE p.program_id = ",
    );
    q.bind(program_id);
    let ranks: Vec<RankRow> = x.all(&q).await?;
    let mut q = Sql::new(
        "SELECT partner_id, closed_at, est_arr_minor FROM registrations WHERE status = 'won' AND closed_at IS NOT NULL AND program_id = ",
    );
    q.bind(program_id);
    let won: Vec<WonRow> = x.all(&q).await?;
    // Group once: a program can have thousands of partners and a million registrations.
    let mut reached: HashMap<&str, Vec<(NaiveDate, i64)>> = HashMap::new();
    for r in &ranks {
        reached
            .entry(r.partner_id.as_str())
            .or_default()
            .push((r.at.date_naive(), r.to_rank));
    }
    let mut deals: HashMap<&str, Vec<(NaiveDate, i64)>> = HashMap::new();
    for w in &won {
        deals
            .entry(w.partner_id.as_str())
            .or_default()
            .push((w.closed_at.date_naive(), w.est_arr_minor));
    }
    let mut samples = Vec::new();
    for p in partners {
        let reached = reached
            .get(p.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let deals = deals
            .get(p.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(productive) = fit::productive(&policy.fit, p.joined_on, today, reached, deals) {
            let profile: Profile = json_column("profile", &p.profile)?;
            samples.push(Labelled {
                profile,
                productive,
            });
        }
    }
    Ok(fit::train(&samples, &policy.fit))
}

/// Filters for the application queue.
#[derive(Clone, Debug, Default)]
pub struct ApplicationFilter {
    pub program_id: Option<String>,
    pub status: Option<ApplicationStatus>,
}

/// Creates the partner an approved application admits and its administrator.
async fn admit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    before: &Application,
) -> Result<(Partner, User)> {
    let fields = PartnerFields {
        name: before.company.clone(),
        web_domain: before.web_domain.clone(),
        partner_type: before.profile.partner_type,
        program_id: before.program_id.clone(),
        tier_id: None,
        status: PartnerStatus::Onboarding,
        country: before.country,
        regions: Vec::new(),
        verticals: before.profile.verticals.clone(),
        joined_on: now.date_naive(),
    };
    let partner = partner::insert(tx, now, actor, &fields, Some(&before.profile))
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => StoreError::conflict(
                "web_domain",
                "unique",
                "a partner with this web domain already exists",
            ),
            e => e,
        })?;
    let email = Email::parse("contact_email", &before.contact_email)
        .map_err(|e| Invalid { errors: vec![e] })?;
    let admin: User = user::insert(
        tx,
        now,
        actor,
        &NewUser {
            email,
            display_name: before.contact_name.clone(),
            role: Role::PartnerAdmin,
            partner_id: Some(partner.id.clone()),
            password: None,
        },
        None,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict { .. } => StoreError::conflict(
            "contact_email",
            "unique",
            "a user with the contact's e-mail address already exists",
        ),
        e => e,
    })?;
    Ok((partner, admin))
}

/// Invites a new administrator: the token to hand over, and when it expires.
async fn invite(tx: &mut Tx, now: DateTime<Utc>, admin: &User) -> Result<(String, DateTime<Utc>)> {
    let token = secret::random_token("inv_");
    let expires_at = now + INVITATION_LIFETIME;
    let inv_id: InvitationId = new_id();
    let mut q = Sql::new(
        "INSERT INTO invitations (id, user_id, token_hash, expires_at, created_at) VALUES (",
    );
    q.bind(inv_id.as_str())
        .push(", ")
        .bind(admin.id.as_str())
        .push(", ")
        .bind(secret::token_hash(&token))
        .push(", ")
        .bind(expires_at)
        .push(", ")
        .bind(now)
        .push(")");
    tx.execute(&q).await?;
    Ok((token, expires_at))
}

/// The recorded decision of an approval.
fn approval_decision(actor: &Actor, before: &Application, note: Option<&str>, pv: i64) -> Decision {
    Decision::new(
        "application.approve",
        "approved",
        format!(
            "Approved by {} with fit score {} ({}){}",
            actor.audit_name(),
            before.fit.score,
            before.fit.reason,
            note.map(|n| format!(": {n}")).unwrap_or_default()
        ),
        pv,
    )
}

impl Store {
    /// Takes an application from the public form or the API, scored on arrival.
    #[tracing::instrument(skip_all)]
    pub async fn submit_application(&self, input: &ApplicationInput) -> Result<Application> {
        let f = ApplicationFields::parse(input)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let program: Program = entity::fetch(&mut tx, &Scope::Vendor, f.program_id.as_str())
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => {
                    Invalid::one("program_id", "exists", "program_id names no program").into()
                }
                e => e,
            })?;
        if program.archived_at.is_some() {
            return Err(Invalid::one(
                "program_id",
                "live",
                "the program no longer takes applications",
            )
            .into());
        }
        let model = fit_model(&mut tx, program.id.as_str(), now.date_naive()).await?;
        let score = model.score(&f.profile);
        let id: ApplicationId = new_id();
        let mut q = Sql::new(
            "INSERT INTO applications (id, program_id, company, web_domain, country, contact_name, contact_email, profile, status, fit, submitted_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(program.id.as_str())
            .push(", ")
            .bind(f.company.as_str())
            .push(", ")
            .bind(f.web_domain.as_str())
            .push(", ")
            .bind(f.country.as_str())
            .push(", ")
            .bind(f.contact_name.as_str())
            .push(", ")
            .bind(f.contact_email.as_str())
            .push(", ")
            .bind(to_json(&f.profile)?)
            .push(", 'submitted', ")
            .bind(to_json(&score)?)
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await.map_err(|e| {
            if unique_violation(&e, &OPEN_DOMAIN) {
                StoreError::conflict(
                    "web_domain",
                    "unique",
                    "an application from this domain is already waiting for a decision",
                )
            } else {
                e.into()
            }
        })?;
        let app = fetch(&mut tx, &Scope::Vendor, id.as_str()).await?;
        audit::record(
            &mut tx,
            now,
            &Actor::system("application form"),
            EntityKind::Application,
            id.as_str(),
            AuditAction::Created,
            None,
            None::<&()>,
            Some(&app),
        )
        .await?;
        emit(&mut tx, now, "application.submitted", id.as_str(), None, &serde_json::json!({ "application_id": id, "program_id": program.id, "fit_score": app.fit.score })).await?;
        tx.commit().await?;
        Ok(app)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn application(&self, scope: &Scope, id: &str) -> Result<Application> {
        fetch(&mut self.db.read(), scope, id).await
    }

    /// The queue, newest first (staff: all; a partner: the one it joined through).
    #[tracing::instrument(skip_all)]
    pub async fn applications(
        &self,
        scope: &Scope,
        filter: &ApplicationFilter,
    ) -> Result<Vec<Application>> {
        let mut q = Sql::new(SELECT);
        if let Some(p) = &filter.program_id {
            q.push(" AND a.program_id = ").bind(p.as_str());
        }
        if let Some(s) = filter.status {
            q.push(" AND a.status = ").bind(s.as_str());
        }
        crate::scope::restrict(&mut q, scope, EntityKind::Application, "a");
        q.push(" ORDER BY a.submitted_at DESC, a.id DESC LIMIT 500");
        let rows: Vec<ApplicationRow> = self.db.read().all(&q).await?;
        rows.into_iter().map(from_row).collect()
    }

    /// Scores an application again with the model trained on today's partners.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn rescore_application(&self, actor: &Actor, id: &str) -> Result<Application> {
        let mut tx = self.db.begin_write().await?;
        let before = fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::GovernPartner)?;
        // A decided application keeps the score its decision was based on.
        open(&before)?;
        let model = fit_model(&mut tx, before.program_id.as_str(), self.now().date_naive()).await?;
        let score = model.score(&before.profile);
        let mut u = Sql::new("UPDATE applications SET fit = ");
        u.bind(to_json(&score)?).push(" WHERE id = ").bind(id);
        tx.execute(&u).await?;
        let after = fetch(&mut tx, &Scope::Vendor, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Approves an application: creates the partner (onboarding, entry tier, its profile
    /// kept for the fit model), invites its admin with a one-time link, records the decision.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn approve_application(
        &self,
        actor: &Actor,
        id: &str,
        note: Option<&str>,
    ) -> Result<Approval> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::GovernPartner)?;
        open(&before)?;
        let note = text::optional("note", note, 2000).map_err(|e| Invalid { errors: vec![e] })?;
        let (partner, admin) = admit(&mut tx, now, actor, &before).await?;
        let (token, expires_at) = invite(&mut tx, now, &admin).await?;
        let mut u = Sql::new("UPDATE applications SET status = 'approved', partner_id = ");
        u.bind(partner.id.as_str())
            .push(", decision_note = ")
            .bind(note.as_deref())
            .push(", decided_at = ")
            .bind(now)
            .push(" WHERE status = 'submitted' AND id = ")
            .bind(id);
        tx.execute(&u).await?;
        let after = fetch(&mut tx, &Scope::Vendor, id).await?;
        let pv = current_version(&mut tx, before.program_id.as_str())
            .await?
            .version;
        let decision = approval_decision(actor, &before, note.as_deref(), pv);
        decide(
            &mut tx,
            now,
            actor,
            EntityKind::Application,
            id,
            Some(&partner.id),
            &decision,
            &[id, partner.id.as_str(), admin.id.as_str()],
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Application,
            id,
            AuditAction::Decided,
            Some(&partner.id),
            Some(&before),
            Some(&after),
        )
        .await?;
        emit(&mut tx, now, "application.approved", id, Some(&partner.id), &serde_json::json!({ "application_id": id, "partner_id": partner.id, "admin_user_id": admin.id })).await?;
        tx.commit().await?;
        Ok(Approval {
            application: after,
            partner,
            admin_user_id: admin.id,
            invitation_token: token,
            invitation_expires_at: expires_at,
        })
    }

    /// Declines an application, with the reason the applicant is told.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn decline_application(
        &self,
        actor: &Actor,
        id: &str,
        note: &str,
    ) -> Result<Application> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before = fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::GovernPartner)?;
        open(&before)?;
        let note =
            text::required("note", Some(note), 2000).map_err(|e| Invalid { errors: vec![e] })?;
        let mut u = Sql::new("UPDATE applications SET status = 'declined', decision_note = ");
        u.bind(note.as_str())
            .push(", decided_at = ")
            .bind(now)
            .push(" WHERE status = 'submitted' AND id = ")
            .bind(id);
        tx.execute(&u).await?;
        let after = fetch(&mut tx, &Scope::Vendor, id).await?;
        let pv = current_version(&mut tx, before.program_id.as_str())
            .await?
            .version;
        let decision = Decision::new(
            "application.decline",
            "declined",
            format!("Declined by {}: {note}", actor.audit_name()),
            pv,
        );
        decide(
            &mut tx,
            now,
            actor,
            EntityKind::Application,
            id,
            None,
            &decision,
            &[id],
        )
        .await?;
        audit::record(
            &mut tx,
            now,
            actor,
            EntityKind::Application,
            id,
            AuditAction::Decided,
            None,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets an invited user's password from the one-time link; the link then stops working.
    #[tracing::instrument(skip_all)]
    pub async fn accept_invitation(&self, token: &str, password: &str) -> Result<User> {
        let password = partnerops_core::user::Password::parse("password", password)
            .map_err(|e| Invalid { errors: vec![e] })?;
        row! {
            struct InvitationRow {
                id: String,
                user_id: String,
                expires_at: DateTime<Utc>,
                used_at: Option<DateTime<Utc>>,
            }
        }
        let find = || {
            let mut q = Sql::new(
                "SELECT id, user_id, expires_at, used_at FROM invitations WHERE token_hash = ",
            );
            q.bind(secret::token_hash(token.trim()));
            q
        };
        let now = self.now();
        let check = |inv: Option<InvitationRow>| -> Result<InvitationRow> {
            let inv = inv.ok_or_else(|| {
                Invalid::one("token", "invitation", "this invitation link is not valid")
            })?;
            if inv.used_at.is_some() {
                return Err(Invalid::one(
                    "token",
                    "invitation_used",
                    "this invitation link was already used; sign in with your password",
                )
                .into());
            }
            if inv.expires_at <= now {
                return Err(Invalid::one(
                    "token",
                    "invitation_expired",
                    "this invitation link has expired; ask the channel team for a new one",
                )
                .into());
            }
            Ok(inv)
        };
        // The token is checked before the (deliberately slow) hashing, so bogus links
        // cost nothing; and again inside the write, so a link is used once.
        check(self.db.read().optional(&find()).await?)?;
        let hash = secret::hash_password(password.expose().to_owned()).await?;
        let mut tx = self.db.begin_write().await?;
        let inv = check(tx.optional(&find()).await?)?;
        let mut u = Sql::new("UPDATE users SET password_hash = ");
        u.bind(hash)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(inv.user_id.as_str());
        tx.execute(&u).await?;
        let mut u = Sql::new("UPDATE invitations SET used_at = ");
        u.bind(now).push(" WHERE id = ").bind(inv.id.as_str());
        tx.execute(&u).await?;
        let user: User = entity::fetch(&mut tx, &Scope::Vendor, &inv.user_id).await?;
        audit::record(
            &mut tx,
            now,
            &Actor::system("invitation"),
            EntityKind::User,
            &inv.user_id,
            AuditAction::Updated,
            user.partner_id.as_ref(),
            None::<&()>,
            Some(&serde_json::json!({ "password": "set from invitation" })),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
}

fn open(app: &Application) -> Result<()> {
    if app.status != ApplicationStatus::Submitted {
        return Err(StoreError::conflict(
            "status",
            "decided",
            format!(
                "the application was already {}",
                app.status.label().to_lowercase()
            ),
        ));
    }
    Ok(())
}
