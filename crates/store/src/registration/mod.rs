//! Deal registrations: submit (with account matching and the one-holder rule), the
//! approval workflow, follow-up activity, renewal, close, and the account's history.
//!
//! The one-holder rule is the database's: a partial unique index over pending and approved
//! registrations, and an insert that does nothing on conflict. Concurrent submissions from
//! any number of instances therefore produce exactly one holder. State changes are
//! conditional updates (`… WHERE status = 'pending'`), so two approvers cannot both win.
//!
//! Beside it: conflict cases, engagement requests and the time-driven sweep job
//! (`sweep.rs`). Not here: the rules themselves (`core::registration`), SQL that differs by
//! backend (`db::dialect`), or the decision/audit/outbox plumbing (`change`).

pub mod conflict;
pub mod engagement;
pub mod review;
pub mod sweep;

/// The registration capability's periodic jobs (see [`crate::jobs`]).
pub(crate) fn jobs() -> Vec<Box<dyn crate::jobs::Job>> {
    vec![Box::new(sweep::Sweep)]
}

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use partnerops_core::account::{Account, AccountFields, AccountInput};
use partnerops_core::audit::{AuditAction, EntityKind};
use partnerops_core::country::Country;
use partnerops_core::ids::{
    AccountId, ActivityId, EntityId, OpportunityId, PartnerId, ProgramId, RegistrationId, UserId,
};
use partnerops_core::money::{Currency, Money};
use partnerops_core::page::{Page, PageRequest, SortKey};
use partnerops_core::partner::{Partner, PartnerStatus};
use partnerops_core::registration::matching::{self, Candidate};
use partnerops_core::registration::policy::RegistrationPolicy;
use partnerops_core::registration::record::{
    AccountRefInput, AccountTarget, Activity, ActivityInput, CheckTarget, CloseInput, HoldCheck,
    ReasonInput, Registration, RegistrationFields, RegistrationInput,
};
use partnerops_core::registration::rules::{self, Facts};
use partnerops_core::registration::{ActivityKind, Decision, RegistrationStatus};
use partnerops_core::scope::{Action, Scope};
use partnerops_core::tier::Tier;
use partnerops_core::web_domain::WebDomain;
use partnerops_core::{FieldError, Invalid};

use crate::business_plan::facts as plan_facts;
use crate::change::{self, Change};
use crate::db::{Exec, Sql, Tx, UniqueRule, row, unique_violation};
use crate::decision::{emit, record as decide};
use crate::entity::{self, Archived, Entity};
use crate::{Actor, Result, Store, StoreError, audit, new_id, policy};

row! {
    pub(crate) struct RegistrationRow {
        id: String,
        program_id: String,
        partner_id: String,
        account_id: String,
        account_name: String,
        account_domain: Option<String>,
        status: String,
        title: String,
        product: Option<String>,
        est_arr_minor: i64,
        currency: String,
        expected_close_on: Option<NaiveDate>,
        submitted_at: DateTime<Utc>,
        approved_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
        renewals: i64,
        last_activity_at: Option<DateTime<Utc>>,
        sla_due_at: Option<DateTime<Utc>>,
        sla_missed_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
        possible_duplicate_of: Option<String>,
        opportunity_id: Option<String>,
        policy_version: i64,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
}

impl Entity for Registration {
    const KIND: EntityKind = EntityKind::Registration;
    const TABLE: &'static str = "registrations";
    const SELECT: &'static str = "SELECT registrations.id, registrations.program_id, registrations.partner_id, registrations.account_id, a.name AS account_name, a.web_domain AS account_domain, registrations.status, registrations.title, registrations.product, registrations.est_arr_minor, registrations.currency, registrations.expected_close_on, registrations.submitted_at, registrations.approved_at, registrations.expires_at, registrations.renewals, registrations.last_activity_at, registrations.sla_due_at, registrations.sla_missed_at, registrations.closed_at, registrations.possible_duplicate_of, registrations.opportunity_id, registrations.policy_version, registrations.created_at, registrations.updated_at FROM registrations registrations JOIN accounts a ON a.id = registrations.account_id WHERE 1 = 1";
    const SORTS: &'static [(&'static str, &'static str)] = &[
        ("submitted_at", "registrations.submitted_at"),
        ("updated_at", "registrations.updated_at"),
    ];
    type Row = RegistrationRow;

    fn from_row(r: RegistrationRow) -> Result<Registration> {
        let corrupt = |e: FieldError| StoreError::Corrupt(format!("{}: {}", e.field, e.message));
        let currency = Currency::parse("currency", &r.currency).map_err(corrupt)?;
        Ok(Registration {
            id: RegistrationId::from_trusted(r.id),
            program_id: ProgramId::from_trusted(r.program_id),
            partner_id: PartnerId::from_trusted(r.partner_id),
            account_id: AccountId::from_trusted(r.account_id),
            account_name: r.account_name,
            account_domain: r.account_domain,
            status: RegistrationStatus::parse("status", &r.status).map_err(corrupt)?,
            title: r.title,
            product: r.product,
            estimated_arr: Money::new(r.est_arr_minor, currency),
            expected_close_on: r.expected_close_on,
            submitted_at: r.submitted_at,
            approved_at: r.approved_at,
            expires_at: r.expires_at,
            renewals: r.renewals,
            last_activity_at: r.last_activity_at,
            sla_due_at: r.sla_due_at,
            sla_missed_at: r.sla_missed_at,
            closed_at: r.closed_at,
            in_duplicate_review: r.possible_duplicate_of.is_some(),
            possible_duplicate_of: r.possible_duplicate_of.map(AccountId::from_trusted),
            opportunity_id: r.opportunity_id.map(OpportunityId::from_trusted),
            policy_version: r.policy_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn id_str(&self) -> &str {
        self.id.as_str()
    }

    fn owner(&self) -> Option<PartnerId> {
        Some(self.partner_id.clone())
    }

    fn archive_action(&self) -> Action<'_> {
        // Registrations are never archived; they end (rejected, withdrawn, expired, closed).
        Action::DecideRegistration
    }

    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "updated_at" => SortKey::Time(self.updated_at),
            _ => SortKey::Time(self.submitted_at),
        }
    }
}

/// The facts the rules read, from a registration.
pub(crate) fn facts(r: &Registration) -> Facts {
    Facts {
        status: r.status,
        approved_at: r.approved_at,
        expires_at: r.expires_at,
        renewals: r.renewals,
        last_activity_at: r.last_activity_at,
        sla_missed_at: r.sla_missed_at,
    }
}

/// Filters for a registration list.
#[derive(Clone, Debug, Default)]
pub struct RegistrationFilter {
    pub status: Option<RegistrationStatus>,
    pub partner_id: Option<PartnerId>,
    pub account_id: Option<AccountId>,
    /// Approved registrations expiring before this time.
    pub expiring_before: Option<DateTime<Utc>>,
}

const ACCOUNT_DOMAIN_TAKEN: UniqueRule = UniqueRule {
    index: "accounts_domain_live",
    sqlite_columns: "accounts.web_domain",
};

/// Why a submission could not hold the account (told to the partner without naming the holder).
fn held_refusal(
    held_until: Option<DateTime<Utc>>,
    by_you: bool,
    policy: &RegistrationPolicy,
) -> Decision {
    let reason = match (by_you, held_until) {
        (true, _) => "you already hold a registration on this account".to_owned(),
        (false, Some(until)) => format!(
            "this account is already registered by another partner until {}",
            until.format("%Y-%m-%d")
        ),
        (false, None) => {
            "this account is already registered by another partner, pending the vendor's approval"
                .to_owned()
        }
    };
    Decision::new(
        "registration.account_held",
        "refused",
        reason,
        policy.version,
    )
}

row! {
    struct HolderRow {
        partner_id: String,
        expires_at: Option<DateTime<Utc>>,
    }
}

/// The registration holding an account, if any.
async fn holder(x: &mut impl Exec, account_id: &str) -> Result<Option<HolderRow>> {
    let mut q = Sql::new(
        "SELECT partner_id, expires_at FROM registrations WHERE status IN ('pending', 'approved') AND account_id = ",
    );
    q.bind(account_id);
    Ok(x.optional(&q).await?)
}

row! {
    struct CandidateRow {
        id: String,
        name: String,
        web_domain: Option<String>,
        country: String,
    }
}

/// The live account with this web domain, if any: its own query, so no limit on name
/// candidates can ever hide it.
async fn domain_hit(x: &mut impl Exec, domain: Option<&WebDomain>) -> Result<Option<Candidate>> {
    let Some(d) = domain else { return Ok(None) };
    let mut q = Sql::new(
        "SELECT id, name, web_domain, country FROM accounts WHERE archived_at IS NULL AND web_domain IS NOT NULL AND web_domain = ",
    );
    q.bind(d.as_str());
    let row: Option<CandidateRow> = x.optional(&q).await?;
    Ok(row.map(candidate))
}

/// Accounts in the same country sharing the indexed first letters of the normalised name.
/// Many share a block in a large book; the cap keeps a lookup cheap, and those held come
/// first, since a hold is what a near name must not slip past.
async fn name_candidates(x: &mut impl Exec, name: &str, country: &str) -> Result<Vec<Candidate>> {
    if name.trim().is_empty() || country.is_empty() {
        return Ok(Vec::new());
    }
    let block = matching::blocking_key(&matching::normalize_name(name));
    let mut q = Sql::new(
        "SELECT a.id, a.name, a.web_domain, a.country FROM accounts a WHERE a.archived_at IS NULL AND a.country = ",
    );
    q.bind(country)
        .push(" AND a.name_block = ")
        .bind(block)
        .push(" ORDER BY CASE WHEN EXISTS (SELECT 1 FROM registrations r WHERE r.account_id = a.id AND r.status IN ('pending', 'approved')) THEN 0 ELSE 1 END, a.name_key LIMIT 500");
    let rows: Vec<CandidateRow> = x.all(&q).await?;
    Ok(rows.into_iter().map(candidate).collect())
}

fn candidate(r: CandidateRow) -> Candidate {
    Candidate {
        id: r.id,
        name: r.name,
        web_domain: r.web_domain,
        country: r.country,
    }
}

/// The first near name held by a partner other than `partner` (any partner when `None`).
async fn held_near_name(
    x: &mut impl Exec,
    name: &str,
    country: &str,
    partner: Option<&str>,
) -> Result<Option<(Candidate, HolderRow)>> {
    let found = name_candidates(x, name, country).await?;
    for (c, _) in matching::near_names(name, country, &found) {
        if let Some(h) = holder(x, &c.id).await?
            && partner != Some(h.partner_id.as_str())
        {
            return Ok(Some((c, h)));
        }
    }
    Ok(None)
}

/// Live accounts in `country` whose normalised name is exactly `name`'s, the one holding
/// the name's unique key first: its own query, so no cap on block candidates can hide it.
async fn exact_name_hits(x: &mut impl Exec, name: &str, country: &str) -> Result<Vec<Candidate>> {
    let mut q = Sql::new(
        "SELECT id, name, web_domain, country FROM accounts WHERE archived_at IS NULL AND country = ",
    );
    q.bind(country)
        .push(" AND name_key = ")
        .bind(matching::normalize_name(name))
        .push(
            " ORDER BY CASE WHEN exact_name_key IS NULL THEN 1 ELSE 0 END, created_at, id LIMIT 20",
        );
    let rows: Vec<CandidateRow> = x.all(&q).await?;
    Ok(rows.into_iter().map(candidate).collect())
}

row! {
    struct PairRow {
        id: String,
    }
}

/// The accounts a reviewer declared different companies from `account`.
pub(crate) async fn distinct_from(x: &mut impl Exec, account: &str) -> Result<Vec<String>> {
    let mut q = Sql::new("SELECT account_b AS id FROM account_distinct_pairs WHERE account_a = ");
    q.bind(account)
        .push(" UNION SELECT account_a AS id FROM account_distinct_pairs WHERE account_b = ")
        .bind(account);
    let rows: Vec<PairRow> = x.all(&q).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The first near name held by a partner other than `partner`, for a registration on
/// `account`: the account itself and accounts declared different from it are skipped.
async fn held_near_account(
    x: &mut impl Exec,
    account: &str,
    name: &str,
    country: &str,
    partner: &str,
) -> Result<Option<String>> {
    let found = name_candidates(x, name, country).await?;
    // Most names have no near name to review: then the pairs declared different, which
    // only ever remove candidates, need not be read.
    if matching::names_to_review(account, name, country, &found, &[]).is_empty() {
        return Ok(None);
    }
    let distinct = distinct_from(x, account).await?;
    for (c, _) in matching::names_to_review(account, name, country, &found, &distinct) {
        if let Some(h) = holder(x, &c.id).await?
            && h.partner_id != partner
        {
            return Ok(Some(c.id));
        }
    }
    Ok(None)
}

row! {
    struct SeenRow {
        #[allow(dead_code)]
        account_id: String,
    }
}

/// Whether `partner` has (or had) a registration on `account`: the accounts a partner may
/// name by id.
async fn partner_knows_account(
    x: &mut impl Exec,
    partner: &PartnerId,
    account: &str,
) -> Result<bool> {
    let mut q = Sql::new("SELECT account_id FROM registrations WHERE partner_id = ");
    q.bind(partner.as_str())
        .push(" AND account_id = ")
        .bind(account)
        .push(" LIMIT 1");
    let row: Option<SeenRow> = x.optional(&q).await?;
    Ok(row.is_some())
}

/// The partner a submission is for, read under the caller's scope, its program's
/// registration policy and the program's currency. Refused unless the partner is active or
/// onboarding.
async fn submitting_partner(
    tx: &mut Tx,
    actor: &Actor,
    partner_id: &PartnerId,
) -> Result<(Partner, RegistrationPolicy, Currency)> {
    let partner: Partner = match entity::fetch(tx, &actor.scope(), partner_id.as_str()).await {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => {
            return Err(Invalid::one("partner_id", "exists", "partner_id names no partner").into());
        }
        Err(e) => return Err(e),
    };
    let (policy, currency) = policy::current_with_currency(tx, partner.program_id.as_str()).await?;
    if partner.archived_at.is_some()
        || !matches!(
            partner.status,
            PartnerStatus::Active | PartnerStatus::Onboarding
        )
    {
        let d = Decision::new(
            "registration.partner_not_active",
            "refused",
            format!(
                "only active or onboarding partners register deals; this partner is {}",
                partner.status.label().to_lowercase()
            ),
            policy.version,
        );
        return Err(StoreError::Refused {
            decision: d,
            partner: Some(partner.id),
        });
    }
    Ok((partner, policy, currency))
}

/// A submission being written: what every step after the account is resolved needs.
struct Pending<'a> {
    id: RegistrationId,
    partner: &'a Partner,
    account: &'a ResolvedAccount,
    policy: &'a RegistrationPolicy,
    now: DateTime<Utc>,
}

impl Pending<'_> {
    /// The ids every decision of the submission cites.
    fn records(&self) -> [&str; 3] {
        [
            self.id.as_str(),
            self.account.id.as_str(),
            self.partner.id.as_str(),
        ]
    }

    /// Inserts the pending registration, which takes the account's hold; when another
    /// registration holds it, nothing is inserted and the refusal says until when.
    async fn insert(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        f: &RegistrationFields,
        currency: Currency,
    ) -> Result<()> {
        let now = self.now;
        let mut q = Sql::new(
            "INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, product, est_arr_minor, currency, expected_close_on, submitted_by, submitted_at, renewals, possible_duplicate_of, policy_version, created_at, updated_at) VALUES (",
        );
        q.bind(self.id.as_str())
            .push(", ")
            .bind(self.partner.program_id.as_str())
            .push(", ")
            .bind(self.partner.id.as_str())
            .push(", ")
            .bind(self.account.id.as_str())
            .push(", 'pending', ")
            .bind(f.title.as_str())
            .push(", ")
            .bind(f.product.as_deref())
            .push(", ")
            .bind(f.estimated_arr_minor)
            .push(", ")
            .bind(currency.as_str())
            .push(", ")
            .bind(f.expected_close_on)
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", ")
            .bind(now)
            .push(", 0, ")
            .bind(self.account.possible_duplicate_of.as_deref())
            .push(", ")
            .bind(self.policy.version)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            // The conflict target repeats the partial index's predicate, literally: bound
            // parameters there are refused by SQLite.
            .push(") ON CONFLICT (account_id) WHERE status IN ('pending', 'approved') DO NOTHING");
        if tx.execute(&q).await? > 0 {
            return Ok(());
        }
        let h = holder(tx, self.account.id.as_str()).await?;
        let by_you = h
            .as_ref()
            .is_some_and(|h| h.partner_id == self.partner.id.as_str());
        Err(StoreError::Refused {
            decision: held_refusal(h.and_then(|h| h.expires_at), by_you, self.policy),
            partner: Some(self.partner.id.clone()),
        })
    }

    /// The decision that the partner holds the account while the registration awaits
    /// approval (or review, for a possible duplicate).
    async fn record_submitted(&self, tx: &mut Tx, actor: &Actor) -> Result<()> {
        let accepted = Decision::new(
            "registration.submitted",
            "pending",
            format!(
                "{} holds {} while the registration awaits approval{}",
                self.partner.name,
                if self.account.created {
                    "a new account"
                } else {
                    "the account"
                },
                if self.account.possible_duplicate_of.is_some() {
                    "; its name is close to an account another partner holds, so it goes to review as a possible duplicate"
                } else {
                    ""
                }
            ),
            self.policy.version,
        );
        decide(
            tx,
            self.now,
            actor,
            EntityKind::Registration,
            self.id.as_str(),
            Some(&self.partner.id),
            &accepted,
            &self.records(),
        )
        .await
    }

    /// Approves at once when the partner's tier and the amount meet the policy's
    /// auto-approval rule.
    async fn auto_approve(&self, tx: &mut Tx, actor: &Actor, f: &RegistrationFields) -> Result<()> {
        let tier: Tier = entity::fetch(tx, &Scope::Vendor, self.partner.tier_id.as_str()).await?;
        let Some(d) =
            rules::auto_approval(i64::from(tier.rank), f.estimated_arr_minor, self.policy)
        else {
            return Ok(());
        };
        let now = self.now;
        let (expires_at, _) = rules::approve(now, self.policy, "auto");
        approve_in(
            tx,
            actor,
            self.id.as_str(),
            now,
            expires_at,
            now + chrono::Duration::days(self.policy.sla_days),
        )
        .await?;
        decide(
            tx,
            now,
            actor,
            EntityKind::Registration,
            self.id.as_str(),
            Some(&self.partner.id),
            &d,
            &self.records(),
        )
        .await
    }

    /// Reads the registration back, audits its creation and emits its events.
    async fn announce(&self, tx: &mut Tx, actor: &Actor) -> Result<Registration> {
        let id = self.id.as_str();
        let partner = Some(&self.partner.id);
        let registration: Registration = entity::fetch(tx, &Scope::Vendor, id).await?;
        audit::record(
            tx,
            self.now,
            actor,
            EntityKind::Registration,
            id,
            AuditAction::Created,
            partner,
            None::<&()>,
            Some(&registration),
        )
        .await?;
        emit(
            tx,
            self.now,
            "registration.submitted",
            id,
            partner,
            &registration,
        )
        .await?;
        if registration.status == RegistrationStatus::Approved {
            emit(
                tx,
                self.now,
                "registration.approved",
                id,
                partner,
                &registration,
            )
            .await?;
        }
        Ok(registration)
    }

    /// The conflict cases the system opens: a possible duplicate, or a direct rep already
    /// working the account.
    async fn open_system_conflicts(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        registration: &Registration,
    ) -> Result<()> {
        let (now, policy) = (self.now, self.policy);
        if self.account.possible_duplicate_of.is_some() {
            // The case is the partner's to read: it never names the other account (vendor
            // staff find it on the registration's `possible_duplicate_of`).
            let reason = "possible duplicate: the account's name is close to an account another partner holds".to_owned();
            let d = Decision::new(
                "conflict.possible_duplicate",
                "conflict_opened",
                reason.clone(),
                policy.version,
            );
            conflict::open_in(tx, now, actor, registration, None, &reason, &d, policy).await?;
        }
        // An account created just now has no direct activity to look up.
        let last_direct = if self.account.created {
            None
        } else {
            last_direct_activity(tx, self.account.id.as_str()).await?
        };
        if let Some(d) = rules::direct_engagement_conflict(last_direct, now, policy) {
            conflict::open_in(
                tx,
                now,
                actor,
                registration,
                None,
                &d.reason.clone(),
                &d,
                policy,
            )
            .await?;
        }
        Ok(())
    }
}

/// An account named by id. Partners cannot browse accounts: a partner may name only an
/// account it has (or had) a registration on. Any other id reads as unknown, the same answer
/// as a missing one, so a partner can neither probe for accounts nor learn until when another
/// partner holds one.
async fn existing_account(tx: &mut Tx, actor: &Actor, id: &AccountId) -> Result<ResolvedAccount> {
    let unknown = || -> StoreError {
        Invalid::one("account_id", "exists", "account_id names no live account").into()
    };
    if let Scope::Partner(own) = actor.scope()
        && !partner_knows_account(tx, &own, id.as_str()).await?
    {
        return Err(unknown());
    }
    match entity::fetch::<Account>(tx, &Scope::Vendor, id.as_str()).await {
        Ok(a) if a.archived_at.is_none() => Ok(ResolvedAccount {
            id: a.id,
            possible_duplicate_of: None,
            created: false,
        }),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(unknown()),
        Err(e) => Err(e),
    }
}

/// The account with this exact normalised name in this country (when no domain is given),
/// else a new one; `true` when created. A concurrent creation of the same name is caught by
/// the unique index on the exact name, and the winner's account is used.
async fn account_by_name(
    tx: &mut Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    name: &str,
    domain: Option<&WebDomain>,
    country: &Country,
) -> Result<(String, bool)> {
    let country_text = country.as_str();
    let mut candidates = if domain.is_none() {
        exact_name_hits(tx, name, country_text).await?
    } else {
        Vec::new()
    };
    let matched =
        matching::match_account(domain.map(|d| d.as_str()), name, country_text, &candidates);
    let found = if let matching::AccountMatch::SameName { account_id } = matched {
        (account_id, false)
    } else {
        let input = AccountInput {
            name: Some(name.to_owned()),
            web_domain: domain.map(|d| d.to_string()),
            country: Some(country.to_string()),
            ..Default::default()
        };
        let fields = AccountFields::parse(&input)?;
        match crate::account::insert_unless_name_taken(tx, now, actor, &fields).await? {
            Some(account) => (account.id.to_string(), true),
            None => {
                // Another transaction created the name meanwhile (it committed, or we
                // would still be waiting on its index entry): it is this account.
                candidates = exact_name_hits(tx, name, country_text).await?;
                match matching::match_account(None, name, country_text, &candidates) {
                    matching::AccountMatch::SameName { account_id } => (account_id, false),
                    _ => {
                        return Err(StoreError::conflict(
                            "account.name",
                            "unique",
                            "an account with this name was changed meanwhile; submit again",
                        ));
                    }
                }
            }
        }
    };
    Ok(found)
}

/// How a submission's account was found.
struct ResolvedAccount {
    id: AccountId,
    /// A held account whose name is this close; the registration waits for review.
    possible_duplicate_of: Option<String>,
    created: bool,
}

/// One submission inside a transaction: the partner may register, the account is found
/// or created, the insert takes the hold (or is refused because another registration holds
/// the account), then the decisions, audit, events and any conflict cases the system opens.
/// The caller has checked who may register for `partner_id`.
pub(crate) async fn submit_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    partner_id: &PartnerId,
    f: &RegistrationFields,
) -> Result<Registration> {
    let (partner, policy, program_currency) = submitting_partner(tx, actor, partner_id).await?;
    let currency = f.currency.unwrap_or(program_currency);
    let account = resolve_account(tx, actor, &partner.id, now, &f.account).await?;
    let pending = Pending {
        id: new_id(),
        partner: &partner,
        account: &account,
        policy: &policy,
        now,
    };
    pending.insert(tx, actor, f, currency).await?;
    pending.record_submitted(tx, actor).await?;
    if let (Scope::Partner(_), Some(user)) = (actor.scope(), actor.user_id()) {
        crate::engagement::record(
            tx,
            now,
            &partner.id,
            user,
            partnerops_core::engagement::EngagementKind::RegistrationSubmitted,
            pending.id.as_str(),
        )
        .await?;
    }
    // Auto-approval by tier and amount; never for a possible duplicate.
    if account.possible_duplicate_of.is_none()
        && !policy.auto_approve.is_empty()
        // Auto-approval's limits are in the program's currency: never in another one.
        && currency == program_currency
    {
        pending.auto_approve(tx, actor, f).await?;
    }
    let registration = pending.announce(tx, actor).await?;
    pending
        .open_system_conflicts(tx, actor, &registration)
        .await?;
    Ok(registration)
}

/// Finds or creates the registration's account: by id (only an account the caller can
/// see), else by web domain, else (no domain) by exact normalised name and country,
/// else a new account. Only another partner's hold on a near name (never an exact one,
/// which is the same account) sends the registration to review.
async fn resolve_account(
    tx: &mut Tx,
    actor: &Actor,
    partner: &PartnerId,
    now: DateTime<Utc>,
    target: &AccountTarget,
) -> Result<ResolvedAccount> {
    let (name, domain, country) = match target {
        AccountTarget::Existing(id) => return existing_account(tx, actor, id).await,
        AccountTarget::Described {
            name,
            web_domain,
            country,
        } => (name, web_domain, country),
    };
    if let Some(hit) = domain_hit(tx, domain.as_ref()).await? {
        return Ok(ResolvedAccount {
            id: AccountId::from_trusted(hit.id),
            possible_duplicate_of: None,
            created: false,
        });
    }
    // Two name-only submissions of one company must not both create it unseen by each
    // other: serialise matching per (country, name block). The unique index on the
    // exact name is the guarantee; the lock keeps the loser from a wasted insert.
    let block = matching::blocking_key(&matching::normalize_name(name));
    tx.lock_key(&format!("account-match:{}:{block}", country.as_str()))
        .await?;
    let country_text = country.as_str();
    let (account_id, created) =
        account_by_name(tx, actor, now, name, domain.as_ref(), country).await?;
    // Only another partner's hold makes a near name a possible duplicate; a partner's
    // own similar account is its own business, and a pair a reviewer declared different
    // is never flagged again.
    let possible_duplicate_of =
        held_near_account(tx, &account_id, name, country_text, partner.as_str()).await?;
    Ok(ResolvedAccount {
        id: AccountId::from_trusted(account_id),
        possible_duplicate_of,
        created,
    })
}

impl Store {
    pub fn registration_sorts() -> Vec<&'static str> {
        entity::sort_names::<Registration>()
    }

    /// Checks an account before registering: held or not and until when (never by whom),
    /// and whether a held account's name is close enough to send a submission to review.
    #[tracing::instrument(skip_all)]
    pub async fn check_hold(&self, actor: &Actor, input: &AccountRefInput) -> Result<HoldCheck> {
        let CheckTarget {
            name,
            web_domain: domain,
            country,
        } = input.parse_for_check()?;
        // Without a country, names are not compared: only the domain can match.
        let (name, country) = match (name, country) {
            (Some(n), Some(c)) => (n, c.to_string()),
            _ => (String::new(), String::new()),
        };
        let mut read = self.db.read();
        let domain_text = domain.as_ref().map(|d| d.to_string());
        let mut check = HoldCheck {
            web_domain: domain_text.clone(),
            held: false,
            held_until: None,
            held_by_you: false,
            possible_duplicate: None,
            message: "free: nobody holds this account".into(),
        };
        let me = actor.partner_id().map(|p| p.as_str());
        if let Some(hit) = domain_hit(&mut read, domain.as_ref()).await? {
            if let Some(h) = holder(&mut read, &hit.id).await? {
                check.held = true;
                check.held_until = h.expires_at;
                check.held_by_you = me == Some(h.partner_id.as_str());
                check.message = held_refusal(
                    h.expires_at,
                    check.held_by_you,
                    &RegistrationPolicy::default(),
                )
                .reason;
            }
            return Ok(check);
        }
        if let Some((candidate, _)) = held_near_name(&mut read, &name, &country, me).await? {
            // Vendor staff see the candidate; a partner only learns that a company with a
            // very similar name is registered, not which one (that would reveal another
            // partner's pipeline).
            if me.is_some() {
                check.possible_duplicate = Some(name.clone());
                check.message = "a company with a very similar name is already registered: a submission goes to review as a possible duplicate".into();
            } else {
                check.message = format!(
                    "a registered account is named \"{}\": a submission goes to review as a possible duplicate",
                    candidate.name
                );
                check.possible_duplicate = Some(candidate.name);
            }
        }
        Ok(check)
    }

    /// Submits a registration. See the module comment for the one-holder rule; the account
    /// is matched by domain, then by name (see `core::registration::matching`).
    #[tracing::instrument(skip_all)]
    pub async fn submit_registration(
        &self,
        actor: &Actor,
        input: &RegistrationInput,
    ) -> Result<Registration> {
        let fields = RegistrationFields::parse(input)?;
        let partner_id = match (actor.scope(), &fields.partner_id) {
            (Scope::Partner(own), None) => own,
            (Scope::Partner(own), Some(p)) if *p == own => own,
            (Scope::Partner(_), Some(_)) => {
                return Err(Invalid::one(
                    "partner_id",
                    "own_partner",
                    "partner users register for their own company; leave partner_id empty",
                )
                .into());
            }
            (Scope::Vendor, Some(p)) => p.clone(),
            (Scope::Vendor, None) => {
                return Err(Invalid::one(
                    "partner_id",
                    "required",
                    "partner_id is required when vendor staff register on a partner's behalf",
                )
                .into());
            }
        };
        actor.authorize(&Action::WorkRegistration(&partner_id))?;
        // Two first-time submissions of one new domain may race to create the account; the
        // loser retries once and then finds the winner's account by its domain.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_submit(actor, &partner_id, &fields).await {
                Err(StoreError::Db(e))
                    if attempt < 3 && unique_violation(&e, &ACCOUNT_DOMAIN_TAKEN) =>
                {
                    continue;
                }
                Err(StoreError::Refused {
                    decision,
                    partner: Some(partner),
                }) => {
                    self.record_refusal(actor, &partner, &decision).await?;
                    return Err(StoreError::Refused {
                        decision,
                        partner: Some(partner),
                    });
                }
                other => return other.map(|r| r.seen_by(&actor.scope())),
            }
        }
    }

    /// Refusals roll their transaction back, so their decision is recorded on its own.
    async fn record_refusal(
        &self,
        actor: &Actor,
        partner: &PartnerId,
        decision: &Decision,
    ) -> Result<()> {
        let id = partner.as_str();
        match change::refuse(
            self,
            actor,
            (EntityKind::Partner, id),
            Some(partner.clone()),
            decision.clone(),
            &[id],
        )
        .await
        {
            StoreError::Refused { .. } => Ok(()),
            e => Err(e),
        }
    }

    /// One attempt at a submission, in one transaction: the partner may register, the
    /// account is found or created, the insert takes the hold (or is refused because
    /// another registration holds the account), then the decisions, audit, events and any
    /// conflict cases the system opens.
    async fn try_submit(
        &self,
        actor: &Actor,
        partner_id: &PartnerId,
        f: &RegistrationFields,
    ) -> Result<Registration> {
        let mut tx = self.db.begin_write().await?;
        let registration = submit_in(&mut tx, self.now(), actor, partner_id, f).await?;
        tx.commit().await?;
        Ok(registration)
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn registration(&self, scope: &Scope, id: &str) -> Result<Registration> {
        let r: Registration = entity::fetch(&mut self.db.read(), scope, id).await?;
        Ok(r.seen_by(scope))
    }

    #[tracing::instrument(skip_all)]
    pub async fn registrations(
        &self,
        scope: &Scope,
        filter: &RegistrationFilter,
        page: &PageRequest,
    ) -> Result<Page<Registration>> {
        entity::list(self, scope, Archived::All, page, |q| {
            if let Some(s) = filter.status {
                q.push(" AND registrations.status = ").bind(s.as_str());
            }
            if let Some(p) = &filter.partner_id {
                q.push(" AND registrations.partner_id = ").bind(p.as_str());
            }
            if let Some(a) = &filter.account_id {
                q.push(" AND registrations.account_id = ").bind(a.as_str());
            }
            if let Some(t) = filter.expiring_before {
                q.push(" AND registrations.status = 'approved' AND registrations.expires_at < ")
                    .bind(t);
            }
        })
        .await
        .map(|mut page| {
            page.items = page
                .items
                .into_iter()
                .map(|r: Registration| r.seen_by(scope))
                .collect();
            page
        })
    }

    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn registration_activities(&self, scope: &Scope, id: &str) -> Result<Vec<Activity>> {
        let _: Registration = entity::fetch(&mut self.db.read(), scope, id).await?;
        activities(&mut self.db.read(), id).await
    }

    /// Approves a pending registration (vendor): valid `validity_days` from now.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn approve_registration(
        &self,
        actor: &Actor,
        id: &str,
        input: &ReasonInput,
    ) -> Result<Registration> {
        let reason = input
            .parse(false)?
            .unwrap_or_else(|| "approved by the vendor".into());
        self.decide_pending(actor, id, true, &reason).await
    }

    /// Rejects a pending registration (vendor), with a reason; the account is released.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn reject_registration(
        &self,
        actor: &Actor,
        id: &str,
        input: &ReasonInput,
    ) -> Result<Registration> {
        let reason = input.parse(true)?.unwrap_or_default();
        self.decide_pending(actor, id, false, &reason).await
    }

    async fn decide_pending(
        &self,
        actor: &Actor,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<Registration> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Registration = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::DecideRegistration)?;
        if approve {
            let after = approve_pending(&mut tx, now, actor, &before, reason).await?;
            tx.commit().await?;
            return Ok(after.seen_by(&actor.scope()));
        }
        let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
        let (changed, decision, event) = {
            let mut q = Sql::new("UPDATE registrations SET status = 'rejected', closed_at = ");
            q.bind(now)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE status = 'pending' AND id = ")
                .bind(id);
            let d = Decision::new(
                "registration.rejected",
                "rejected",
                format!("rejected: {reason}; the account is released"),
                policy.version,
            );
            (tx.execute(&q).await? == 1, d, "registration.rejected")
        };
        if !changed {
            return Err(not_in_status(&before, "pending"));
        }
        let after = self
            .finish(&mut tx, now, actor, &before, &decision, event)
            .await?;
        tx.commit().await?;
        Ok(after.seen_by(&actor.scope()))
    }

    /// Withdraws a pending or approved registration (the partner, or vendor staff).
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn withdraw_registration(&self, actor: &Actor, id: &str) -> Result<Registration> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Registration = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WorkRegistration(&before.partner_id))?;
        lapsed(&before, now)?;
        let mut q = Sql::new("UPDATE registrations SET status = 'withdrawn', closed_at = ");
        q.bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(
                " WHERE status IN ('pending', 'approved') AND (expires_at IS NULL OR expires_at > ",
            )
            .bind(now)
            .push(") AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(not_in_status(&before, "pending or approved"));
        }
        let d = Decision::new(
            "registration.withdrawn",
            "withdrawn",
            "withdrawn; the account is released",
            before.policy_version,
        );
        let after = self
            .finish(&mut tx, now, actor, &before, &d, "registration.withdrawn")
            .await?;
        tx.commit().await?;
        Ok(after.seen_by(&actor.scope()))
    }

    /// Logs a follow-up activity; it restarts the follow-up SLA (and clears a missed mark).
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn log_activity(
        &self,
        actor: &Actor,
        id: &str,
        input: &ActivityInput,
    ) -> Result<Activity> {
        let now = self.now();
        let (kind, occurred_at, notes) = input.parse(now)?;
        // Stored to the microsecond; answer with what a later read will show.
        let occurred_at = occurred_at.trunc_subsecs(6);
        let mut tx = self.db.begin_write().await?;
        let before: Registration = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WorkRegistration(&before.partner_id))?;
        if !before.status.holds_account() {
            return Err(not_in_status(&before, "pending or approved"));
        }
        // Before any write: a merge of the account waits, or is waited for.
        plan_facts::lock_account(&mut tx, before.account_id.as_str()).await?;
        let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
        let activity_id: ActivityId = new_id();
        let mut q = Sql::new(
            "INSERT INTO registration_activities (id, registration_id, kind, occurred_at, notes, user_id, created_at) VALUES (",
        );
        q.bind(activity_id.as_str())
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(kind.as_str())
            .push(", ")
            .bind(occurred_at)
            .push(", ")
            .bind(notes.as_deref())
            .push(", ")
            .bind(actor.user_id().map(|u| u.as_str()))
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        if kind.documents_activity() && before.last_activity_at.is_none_or(|l| occurred_at > l) {
            let f = Facts {
                last_activity_at: Some(occurred_at),
                ..facts(&before)
            };
            let due = rules::sla_due(&f, &policy);
            let mut q = Sql::new("UPDATE registrations SET last_activity_at = ");
            q.bind(occurred_at)
                .push(", sla_due_at = ")
                .bind(due)
                .push(", sla_missed_at = NULL, updated_at = ")
                .bind(now)
                // Only forwards: a concurrent, newer activity must not be overwritten.
                .push(" WHERE status IN ('pending', 'approved') AND (last_activity_at IS NULL OR last_activity_at < ")
                .bind(occurred_at)
                .push(") AND id = ")
                .bind(id);
            if tx.execute(&q).await? == 0 {
                // A newer activity was logged meanwhile; this one is recorded, the clock stays.
                plan_facts::activity_logged(&mut tx, id, kind, occurred_at.date_naive()).await?;
                tx.commit().await?;
                return Ok(Activity {
                    id: activity_id,
                    kind,
                    occurred_at,
                    notes,
                    user_id: actor.user_id().cloned(),
                });
            }
            let after: Registration = entity::fetch(&mut tx, &Scope::Vendor, id).await?;
            audit::record(
                &mut tx,
                now,
                actor,
                EntityKind::Registration,
                id,
                AuditAction::Updated,
                Some(&before.partner_id),
                Some(&before),
                Some(&after),
            )
            .await?;
        }
        // After the registration's row, as a merge moves them (rows, then the sums).
        plan_facts::activity_logged(&mut tx, id, kind, occurred_at.date_naive()).await?;
        tx.commit().await?;
        Ok(Activity {
            id: activity_id,
            kind,
            occurred_at,
            notes,
            user_id: actor.user_id().cloned(),
        })
    }

    /// Renews an approved registration once, when it has documented activity in the
    /// current validity period; a refusal names its rule.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn renew_registration(&self, actor: &Actor, id: &str) -> Result<Registration> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Registration = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WorkRegistration(&before.partner_id))?;
        let policy = policy::current(&mut tx, before.program_id.as_str()).await?;
        let acts: Vec<(ActivityKind, DateTime<Utc>)> = activities(&mut tx, id)
            .await?
            .into_iter()
            .map(|a| (a.kind, a.occurred_at))
            .collect();
        let (until, decision) = match rules::renew(&facts(&before), &acts, now, &policy) {
            Ok(v) => v,
            Err(refusal) => {
                drop(tx);
                return Err(change::refuse(
                    self,
                    actor,
                    (EntityKind::Registration, id),
                    Some(before.partner_id),
                    refusal,
                    &[id],
                )
                .await);
            }
        };
        let mut q = Sql::new("UPDATE registrations SET expires_at = ");
        q.bind(until)
            .push(", renewals = renewals + 1, updated_at = ")
            .bind(now)
            .push(" WHERE status = 'approved' AND renewals = ")
            .bind(before.renewals)
            .push(" AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(not_in_status(&before, "approved and not renewed meanwhile"));
        }
        let after = self
            .finish(
                &mut tx,
                now,
                actor,
                &before,
                &decision,
                "registration.renewed",
            )
            .await?;
        tx.commit().await?;
        Ok(after.seen_by(&actor.scope()))
    }

    /// Closes an approved registration as won or lost; the account is released, and its
    /// open opportunity closes with it.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn close_registration(
        &self,
        actor: &Actor,
        id: &str,
        input: &CloseInput,
    ) -> Result<Registration> {
        let won = match input.outcome.as_deref().map(str::trim) {
            Some("won") => true,
            Some("lost") => false,
            _ => {
                return Err(
                    Invalid::one("outcome", "one_of", "outcome must be one of: won, lost").into(),
                );
            }
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let before: Registration = entity::fetch(&mut tx, &actor.scope(), id).await?;
        actor.authorize(&Action::WorkRegistration(&before.partner_id))?;
        lapsed(&before, now)?;
        let note = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let after = self
            .close_in(&mut tx, now, actor, &before, won, note)
            .await?;
        // Linked both ways: the registration's open opportunity closes with it.
        if let Some(opp) = &before.opportunity_id {
            self.close_for_registration(&mut tx, now, actor, opp.as_str(), won, note)
                .await?;
        }
        tx.commit().await?;
        Ok(after.seen_by(&actor.scope()))
    }

    /// Closes the registration of an opportunity that just closed, in its transaction, when
    /// the registration still holds the account (approved and not lapsed); otherwise it has
    /// already ended on its own terms and stays as it is.
    pub(crate) async fn close_linked_registration(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        id: &str,
        won: bool,
        why: &str,
    ) -> Result<()> {
        let before: Registration = entity::fetch(tx, &Scope::Vendor, id).await?;
        if before.status != RegistrationStatus::Approved || lapsed(&before, now).is_err() {
            return Ok(());
        }
        self.close_in(tx, now, actor, &before, won, Some(why))
            .await?;
        Ok(())
    }

    /// Sets an approved registration won or lost, with its decision and events.
    async fn close_in(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        before: &Registration,
        won: bool,
        note: Option<&str>,
    ) -> Result<Registration> {
        let id = before.id.as_str();
        let status = if won { "won" } else { "lost" };
        let mut q = Sql::new("UPDATE registrations SET status = ");
        q.bind(status)
            .push(", closed_at = ")
            .bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE status = 'approved' AND expires_at > ")
            .bind(now)
            .push(" AND id = ")
            .bind(id);
        if tx.execute(&q).await? == 0 {
            return Err(not_in_status(before, "approved"));
        }
        let note = note.map(|r| format!(": {r}")).unwrap_or_default();
        let d = Decision::new(
            "registration.closed",
            status,
            format!("closed {status}{note}; the account is released"),
            before.policy_version,
        );
        let event = if won {
            "registration.closed_won"
        } else {
            "registration.closed_lost"
        };
        self.finish(tx, now, actor, before, &d, event).await
    }

    /// Records a state change's decision (citing the registration and its account), audit
    /// event and domain event; returns the new state.
    pub(crate) async fn finish(
        &self,
        tx: &mut Tx,
        now: DateTime<Utc>,
        actor: &Actor,
        before: &Registration,
        decision: &Decision,
        event: &str,
    ) -> Result<Registration> {
        let records = [before.id.as_str(), before.account_id.as_str()];
        let done = Change::updated().decided(decision, &records).event(event);
        change::after_change(tx, now, actor, before, done).await
    }

    /// Logs a direct rep's activity on an account (vendor staff), for the conflict rules.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn log_direct_activity(
        &self,
        actor: &Actor,
        account_id: &str,
        input: &ActivityInput,
    ) -> Result<Activity> {
        let now = self.now();
        let (kind, occurred_at, notes) = input.parse(now)?;
        // Stored to the microsecond; answer with what a later read will show.
        let occurred_at = occurred_at.trunc_subsecs(6);
        let mut tx = self.db.begin_write().await?;
        let _: Account = entity::fetch(&mut tx, &actor.scope(), account_id).await?;
        actor.authorize(&Action::EngageAccount)?;
        let user = actor.user_id().ok_or_else(|| {
            Invalid::one("user", "required", "direct activity is logged by a user")
        })?;
        let id: ActivityId = new_id();
        let mut q = Sql::new(
            "INSERT INTO direct_activities (id, account_id, user_id, kind, occurred_at, notes, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(account_id)
            .push(", ")
            .bind(user.as_str())
            .push(", ")
            .bind(kind.as_str())
            .push(", ")
            .bind(occurred_at)
            .push(", ")
            .bind(notes.as_deref())
            .push(", ")
            .bind(now)
            .push(")");
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(Activity {
            id,
            kind,
            occurred_at,
            notes,
            user_id: Some(user.clone()),
        })
    }
}

/// Approves a pending registration inside a transaction (the caller has checked who may
/// decide): its expiry and follow-up SLA from the policy, its opportunity opened, the
/// decision, audit and domain events recorded.
pub(crate) async fn approve_pending(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    before: &Registration,
    reason: &str,
) -> Result<Registration> {
    let policy = policy::current(tx, before.program_id.as_str()).await?;
    let (expires_at, decision) = rules::approve(now, &policy, reason);
    let sla_due_at = now + chrono::Duration::days(policy.sla_days);
    if !approve_in(tx, actor, before.id.as_str(), now, expires_at, sla_due_at).await? {
        return Err(not_in_status(before, "pending"));
    }
    let records = [before.id.as_str(), before.account_id.as_str()];
    let done = Change::updated()
        .decided(&decision, &records)
        .event("registration.approved");
    change::after_change(tx, now, actor, before, done).await
}

/// Sets a pending registration approved and opens its opportunity; false when it was no
/// longer pending.
async fn approve_in(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    sla_due_at: DateTime<Utc>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE registrations SET status = 'approved', approved_at = ");
    q.bind(now)
        .push(", expires_at = ")
        .bind(expires_at)
        .push(", sla_due_at = ")
        .bind(sla_due_at)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE status = 'pending' AND id = ")
        .bind(id);
    if tx.execute(&q).await? != 1 {
        return Ok(false);
    }
    crate::pipeline::open_from_registration(tx, now, actor, id).await?;
    Ok(true)
}

/// An approved registration past its expiry no longer holds the account, even before the
/// sweep has marked it expired: it can be neither closed nor withdrawn.
fn lapsed(r: &Registration, now: DateTime<Utc>) -> Result<()> {
    match r.expires_at {
        Some(e) if r.status == RegistrationStatus::Approved && now >= e => {
            Err(StoreError::conflict(
                "status",
                "registration.expired",
                format!(
                    "the registration expired on {}; it no longer holds the account",
                    e.format("%Y-%m-%d")
                ),
            ))
        }
        _ => Ok(()),
    }
}

fn not_in_status(r: &Registration, wanted: &str) -> StoreError {
    StoreError::conflict(
        "status",
        "registration.status",
        format!(
            "the registration is {}, not {wanted}",
            r.status.label().to_lowercase()
        ),
    )
}

row! {
    struct ActivityRow {
        id: String,
        kind: String,
        occurred_at: DateTime<Utc>,
        notes: Option<String>,
        user_id: Option<String>,
    }
}

async fn activities(x: &mut impl Exec, registration_id: &str) -> Result<Vec<Activity>> {
    let mut q = Sql::new(
        "SELECT id, kind, occurred_at, notes, user_id FROM registration_activities WHERE registration_id = ",
    );
    q.bind(registration_id).push(" ORDER BY occurred_at, id");
    let rows: Vec<ActivityRow> = x.all(&q).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Activity {
                id: ActivityId::from_trusted(r.id),
                kind: ActivityKind::parse("kind", &r.kind)
                    .map_err(|e| StoreError::Corrupt(e.message))?,
                occurred_at: r.occurred_at,
                notes: r.notes,
                user_id: r.user_id.map(UserId::from_trusted),
            })
        })
        .collect()
}

row! {
    struct LastDirect {
        occurred_at: DateTime<Utc>,
    }
}

async fn last_direct_activity(
    x: &mut impl Exec,
    account_id: &str,
) -> Result<Option<DateTime<Utc>>> {
    let mut q = Sql::new("SELECT occurred_at FROM direct_activities WHERE account_id = ");
    q.bind(account_id)
        .push(" ORDER BY occurred_at DESC LIMIT 1");
    let row: Option<LastDirect> = x.optional(&q).await?;
    Ok(row.map(|r| r.occurred_at))
}
