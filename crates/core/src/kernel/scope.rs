//! Who is asking, and what they may see and do.
//!
//! Every request runs as a [`Principal`] whose [`Scope`] is either vendor staff or exactly
//! one partner. The store applies the scope inside its SQL (a partner never *sees* another
//! partner's rows, so the answer is 404, not 403); the role decides which changes are
//! allowed ([`authorize`]), answered with 403 and the rule.

use crate::kernel::ids::{PartnerId, UserId};
use crate::user::Role;

/// The tenant boundary a request runs under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Vendor staff: the whole program's data.
    Vendor,
    /// A partner user: this partner's records and nothing else.
    Partner(PartnerId),
}

/// The authenticated user behind a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: UserId,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
}

impl Principal {
    /// Builds the principal of a stored user. A partner role without a partner is refused:
    /// the database forbids it, and a user without a clear scope must get no access.
    pub fn new(
        user_id: UserId,
        display_name: String,
        role: Role,
        partner_id: Option<PartnerId>,
    ) -> Option<Self> {
        let scope = match (role.is_partner_role(), partner_id) {
            (true, Some(p)) => Scope::Partner(p),
            (false, None) => Scope::Vendor,
            _ => return None,
        };
        Some(Self {
            user_id,
            display_name,
            role,
            scope,
        })
    }

    pub fn partner_id(&self) -> Option<&PartnerId> {
        match &self.scope {
            Scope::Partner(p) => Some(p),
            Scope::Vendor => None,
        }
    }

    pub fn is_vendor(&self) -> bool {
        self.scope == Scope::Vendor
    }
}

/// A change someone wants to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// Create, change or archive programs and tiers.
    WriteProgram,
    /// Create a partner, or change what the vendor governs about one (tier, status, type).
    GovernPartner,
    /// Change a partner's company profile (name, domain, country, regions, verticals).
    EditPartnerProfile(&'a PartnerId),
    /// Create, change or archive end-customer accounts.
    WriteAccount,
    /// Create, change or archive a user with this role (in this partner, for partner roles).
    WriteUser {
        role: Role,
        partner: Option<&'a PartnerId>,
    },
    /// Register a deal for this partner, or work one of its registrations (log activity,
    /// renew, withdraw, close).
    WorkRegistration(&'a PartnerId),
    /// Approve or reject a registration, resolve a conflict, set the registration policy.
    DecideRegistration,
    /// Ask a partner for consent to engage a registered account; log direct activity.
    EngageAccount,
    /// Answer an engagement request to this partner.
    RespondToEngagement(&'a PartnerId),
    /// Draft or edit this partner's charter (both sides write it).
    WriteCharter(&'a PartnerId),
    /// Sign this partner's charter: vendor staff for the vendor, the partner's admin for it.
    SignCharter(&'a PartnerId),
    /// Open charters, move phases, review gates, end partnerships, adjust decision trees.
    GovernPartnership,
    /// Create any opportunity, edit or reopen one, log touchpoints for any partner (vendor
    /// staff who sell: admins, channel managers, direct sales).
    WorkPipeline,
    /// Work an opportunity this partner brought (edit, move, close) or log this partner's
    /// touchpoints: the partner's own users, and vendor staff who sell.
    WorkOpportunity(&'a PartnerId),
    /// Edit or import the dated currency-rate table (admins, channel managers, finance).
    WriteFxRates,
    /// Draft, amend or review this partner's joint business plan (both sides write it).
    WritePlan(&'a PartnerId),
    /// Sign this partner's business plan: channel staff for the vendor, the partner's admin
    /// for the partner.
    SignPlan(&'a PartnerId),
    /// Draw up, approve and pay statements, resolve disputes, post adjustments (admins,
    /// channel managers, finance).
    ManagePayouts,
    /// Record a renewal, expansion or cancellation on a won deal (vendor staff who sell,
    /// and finance).
    RecordRevenue,
    /// Dispute a line of this partner's statement (the partner's admin).
    DisputePayout(&'a PartnerId),
    /// Author, publish and retire campaign templates (admins, channel managers, marketing).
    WriteCampaignTemplate,
    /// Launch or end this partner's campaigns and make its leads registrations (the
    /// partner's own users).
    RunCampaign(&'a PartnerId),
    /// Set MDF budgets and allocations, decide requests (within the role's approval limit)
    /// and claims, mark claims paid (administrators, channel managers, finance).
    ManageMdf,
    /// Request MDF, cancel a request, claim and link outcomes for this partner (its users).
    RequestMdf(&'a PartnerId),
    /// Author curricula, courses, modules and questions (admins, channel managers, marketing).
    AuthorEnablement,
    /// Enrol in a course, work through it and take its assessment: this partner's own users.
    TakeCourse(&'a PartnerId),
    /// Subscribe webhooks, rotate their secrets, read their deliveries and replay them:
    /// vendor administrators for any events, a partner's admin for its own partner's
    /// (`Some` partner) only.
    ManageWebhooks(Option<&'a PartnerId>),
    // Events.
    /// Create, edit, publish, cancel and complete the vendor's events and check their
    /// attendees in (administrators, channel managers, marketing).
    ManageEvents,
    /// Host events for this partner (create, edit, publish, cancel): the partner's admin.
    HostEvent(&'a PartnerId),
    /// Check attendees in at this partner's events: the partner's own users.
    CheckInAttendees(&'a PartnerId),
    /// Reply to an event for oneself, as a user of this partner.
    RsvpEvent(&'a PartnerId),
    // Co-marketing launch checklists.
    /// Author launch checklist templates (admins, channel managers, marketing).
    WriteLaunchTemplate,
    /// Start or reschedule a launch of this partner's: vendor channel staff and marketing;
    /// the partner's own users only for their campaigns (`charter: false`).
    StartLaunch {
        partner: &'a PartnerId,
        charter: bool,
    },
    /// Update a task of this partner's launch: any vendor staff; the partner's own users
    /// only on the partner's side of the checklist.
    WorkLaunchTask {
        partner: &'a PartnerId,
        partner_side: bool,
    },
    /// Import records from CSV files and read the import runs: vendor staff only (each
    /// kind also needs the right to write what it imports).
    ImportRecords,
    // The public directory.
    /// Write, submit or withdraw this partner's directory listings: the partner's admin, and
    /// vendor channel staff and marketing.
    WriteListing(&'a PartnerId),
    /// Review, verify and unpublish listings, and set whether a program's directory is open
    /// or curated (administrators, channel managers, marketing).
    ModerateDirectory,
    // Account mapping.
    /// Accept or end an account mapping partnership with this partner, set a side's sharing,
    /// upload or delete the partner's data, confirm or reject matches: the partner's admin
    /// for its side, vendor administrators for the vendor's.
    ManageMapping(&'a PartnerId),
}

/// Why an action was refused: the rule and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    pub rule: &'static str,
    pub message: String,
}

/// Decides whether `who` may take `action`. Visibility is already settled by the scope;
/// this is about roles.
pub fn authorize(who: &Principal, action: &Action<'_>) -> Result<(), Denied> {
    use Role::*;
    let allowed = match (who.role, action) {
        // Consent and disputes are the partner's to give, never the vendor's.
        (
            Admin | ChannelManager,
            Action::RespondToEngagement(_) | Action::DisputePayout(_) | Action::TakeCourse(_),
        ) => false,
        (PartnerAdmin | PartnerRep, Action::TakeCourse(p)) => who.partner_id() == Some(*p),
        // An RSVP is a partner user's own reply; staff have none to give.
        (Admin | ChannelManager, Action::RsvpEvent(_)) => false,
        (PartnerAdmin, Action::HostEvent(p)) => who.partner_id() == Some(*p),
        (PartnerAdmin | PartnerRep, Action::CheckInAttendees(p) | Action::RsvpEvent(p)) => {
            who.partner_id() == Some(*p)
        }
        (MarketingFinance, Action::ManageEvents) => true,
        (MarketingFinance, Action::WriteListing(_) | Action::ModerateDirectory) => true,
        (PartnerAdmin, Action::WriteListing(p)) => who.partner_id() == Some(*p),
        (PartnerAdmin, Action::ManageMapping(p)) => who.partner_id() == Some(*p),
        (Admin, _) => true,
        (_, Action::ManageMapping(_)) => false,
        // Webhooks export events out of the product: administrators only on the vendor side.
        (_, Action::ManageWebhooks(p)) => {
            who.role == PartnerAdmin && p.is_some() && who.partner_id() == *p
        }
        (ChannelManager, Action::WriteUser { role, .. }) => role.is_partner_role(),
        (ChannelManager, _) => true,
        (
            DirectSales,
            Action::WriteAccount
            | Action::EngageAccount
            | Action::WorkPipeline
            | Action::WorkOpportunity(_),
        ) => true,
        (
            MarketingFinance,
            Action::WriteFxRates
            | Action::ManagePayouts
            | Action::RecordRevenue
            | Action::WriteCampaignTemplate
            | Action::ManageMdf
            | Action::AuthorEnablement,
        ) => true,
        (DirectSales, Action::RecordRevenue) => true,
        (DirectSales | MarketingFinance, Action::ImportRecords) => true,
        (PartnerAdmin, Action::DisputePayout(p)) => who.partner_id() == Some(*p),
        (PartnerAdmin | PartnerRep, Action::RequestMdf(p)) => who.partner_id() == Some(*p),
        (
            PartnerAdmin | PartnerRep,
            Action::WorkRegistration(p)
            | Action::RespondToEngagement(p)
            | Action::WorkOpportunity(p)
            | Action::RunCampaign(p),
        ) => who.partner_id() == Some(*p),
        (
            PartnerAdmin,
            Action::EditPartnerProfile(p)
            | Action::WriteCharter(p)
            | Action::SignCharter(p)
            | Action::WritePlan(p)
            | Action::SignPlan(p),
        ) => who.partner_id() == Some(*p),
        (PartnerRep, Action::WritePlan(p)) => who.partner_id() == Some(*p),
        // Launch checklists.
        (MarketingFinance, Action::WriteLaunchTemplate | Action::StartLaunch { .. }) => true,
        (DirectSales | MarketingFinance, Action::WorkLaunchTask { .. }) => true,
        (
            PartnerAdmin | PartnerRep,
            Action::StartLaunch {
                partner,
                charter: false,
            }
            | Action::WorkLaunchTask {
                partner,
                partner_side: true,
            },
        ) => who.partner_id() == Some(*partner),
        (PartnerAdmin, Action::WriteUser { role, partner }) => {
            role.is_partner_role() && partner.is_some() && who.partner_id() == *partner
        }
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let (rule, what) = match action {
        Action::WriteProgram => ("role.write_program", "change programs and tiers"),
        Action::GovernPartner => (
            "role.govern_partner",
            "create partners or change their tier, status, type or program",
        ),
        Action::EditPartnerProfile(_) => {
            ("role.edit_partner_profile", "edit this partner's profile")
        }
        Action::WriteAccount => ("role.write_account", "change accounts"),
        Action::WriteUser { role, .. } if !role.is_partner_role() => {
            ("role.write_staff_user", "manage vendor staff users")
        }
        Action::WriteUser { .. } => ("role.write_partner_user", "manage these partner users"),
        Action::WorkRegistration(_) => (
            "role.work_registration",
            "register or work deals for this partner",
        ),
        Action::DecideRegistration => (
            "role.decide_registration",
            "approve or reject registrations, resolve conflicts or set the registration policy",
        ),
        Action::EngageAccount => (
            "role.engage_account",
            "engage registered accounts as direct sales",
        ),
        Action::WriteCharter(_) => ("role.write_charter", "edit this partnership charter"),
        Action::SignCharter(_) => (
            "role.sign_charter",
            "sign partnership charters: the partner's admin signs for the partner",
        ),
        Action::GovernPartnership => (
            "role.govern_partnership",
            "open charters, move phases, review gates or end partnerships",
        ),
        Action::WorkPipeline => (
            "role.work_pipeline",
            "create, edit or reopen opportunities for any partner",
        ),
        Action::WorkOpportunity(_) => (
            "role.work_opportunity",
            "work this opportunity: only the partner that brought it, and vendor staff who sell",
        ),
        Action::WriteFxRates => ("role.write_fx_rates", "change the currency-rate table"),
        Action::WritePlan(_) => ("role.write_plan", "edit this joint business plan"),
        Action::SignPlan(_) => (
            "role.sign_plan",
            "sign joint business plans: the partner's admin signs for the partner",
        ),
        Action::ManagePayouts => (
            "role.manage_payouts",
            "draw up, approve or pay statements: administrators, channel managers and finance",
        ),
        Action::RecordRevenue => (
            "role.record_revenue",
            "record renewals, expansions or cancellations: vendor staff who sell, and finance",
        ),
        Action::DisputePayout(_) => (
            "role.dispute_payout",
            "dispute statement lines: only the partner's admin can",
        ),
        Action::WriteCampaignTemplate => (
            "role.write_campaign_template",
            "author or publish campaign templates",
        ),
        Action::RunCampaign(_) => (
            "role.run_campaign",
            "launch this partner's campaigns or register its leads",
        ),
        Action::ManageMdf => (
            "role.manage_mdf",
            "manage MDF budgets, decide requests and claims: administrators, channel managers and finance",
        ),
        Action::RequestMdf(_) => (
            "role.request_mdf",
            "request or claim MDF for this partner: only its own users",
        ),
        Action::AuthorEnablement => (
            "role.author_enablement",
            "author curricula, courses or assessments: administrators, channel managers and marketing",
        ),
        Action::TakeCourse(_) => (
            "role.take_course",
            "take courses: they are for the partner's own users",
        ),
        Action::ManageWebhooks(_) => (
            "role.manage_webhooks",
            "manage webhooks: vendor administrators, and a partner's admin for its own partner's events",
        ),
        Action::WriteLaunchTemplate => (
            "role.write_launch_template",
            "author launch checklist templates: administrators, channel managers and marketing",
        ),
        Action::StartLaunch { charter: true, .. } => (
            "role.start_launch",
            "start or reschedule a charter's launch: vendor channel staff and marketing do",
        ),
        Action::StartLaunch { .. } => (
            "role.start_launch",
            "start or reschedule this launch: only the campaign's partner and vendor channel staff",
        ),
        Action::WorkLaunchTask { .. } => (
            "role.work_launch_task",
            "update this task: a partner updates the partner side of its own launches",
        ),
        Action::ImportRecords => (
            "role.import",
            "import records from CSV files or read import runs: vendor staff only",
        ),
        Action::WriteListing(_) => (
            "role.write_listing",
            "write this partner's directory listings: its admin, and vendor channel staff",
        ),
        Action::ManageMapping(_) => (
            "role.manage_mapping",
            "accept, end or change an account mapping partnership: the partner's admin and vendor administrators",
        ),
        Action::ModerateDirectory => (
            "role.moderate_directory",
            "review, verify or unpublish directory listings: administrators, channel managers and marketing",
        ),
        Action::RespondToEngagement(_) => (
            "role.respond_to_engagement",
            "answer engagement requests: only the partner holding the account can",
        ),
        Action::ManageEvents => (
            "role.manage_events",
            "manage the vendor's events: administrators, channel managers and marketing",
        ),
        Action::HostEvent(_) => (
            "role.host_event",
            "host events for this partner: only its admin can",
        ),
        Action::CheckInAttendees(_) => (
            "role.check_in",
            "check attendees in at this event: only its host can",
        ),
        Action::RsvpEvent(_) => (
            "role.rsvp_event",
            "reply to events: replies are partner users' own",
        ),
    };
    Err(Denied {
        rule,
        message: format!("the {} role may not {what}", who.role.label()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::EntityId;

    fn pid(n: u8) -> PartnerId {
        PartnerId::from_parts(&format!("{n:032x}"))
    }

    fn who(role: Role, partner: Option<PartnerId>) -> Principal {
        Principal::new(
            UserId::from_parts(&"0".repeat(32)),
            "t".into(),
            role,
            partner,
        )
        .unwrap()
    }

    #[test]
    fn principal_scope_follows_role() {
        assert!(
            Principal::new(
                UserId::from_parts(&"0".repeat(32)),
                "x".into(),
                Role::PartnerRep,
                None
            )
            .is_none()
        );
        assert!(
            Principal::new(
                UserId::from_parts(&"0".repeat(32)),
                "x".into(),
                Role::Admin,
                Some(pid(1))
            )
            .is_none()
        );
        assert_eq!(
            who(Role::PartnerRep, Some(pid(1))).scope,
            Scope::Partner(pid(1))
        );
    }

    #[test]
    fn role_matrix() {
        let a = pid(1);
        let b = pid(2);
        let admin = who(Role::Admin, None);
        let cm = who(Role::ChannelManager, None);
        let sales = who(Role::DirectSales, None);
        let fin = who(Role::MarketingFinance, None);
        let padmin = who(Role::PartnerAdmin, Some(a.clone()));
        let rep = who(Role::PartnerRep, Some(a.clone()));

        assert!(
            authorize(
                &admin,
                &Action::WriteUser {
                    role: Role::Admin,
                    partner: None
                }
            )
            .is_ok()
        );
        assert!(authorize(&cm, &Action::WriteProgram).is_ok());
        assert_eq!(
            authorize(
                &cm,
                &Action::WriteUser {
                    role: Role::Admin,
                    partner: None
                }
            )
            .unwrap_err()
            .rule,
            "role.write_staff_user"
        );
        assert!(
            authorize(
                &cm,
                &Action::WriteUser {
                    role: Role::PartnerRep,
                    partner: Some(&a)
                }
            )
            .is_ok()
        );
        assert!(authorize(&sales, &Action::WriteAccount).is_ok());
        assert!(authorize(&sales, &Action::GovernPartner).is_err());
        assert!(authorize(&fin, &Action::WriteAccount).is_err());

        assert!(authorize(&padmin, &Action::EditPartnerProfile(&a)).is_ok());
        assert!(authorize(&padmin, &Action::EditPartnerProfile(&b)).is_err());
        assert!(authorize(&padmin, &Action::GovernPartner).is_err());
        assert!(
            authorize(
                &padmin,
                &Action::WriteUser {
                    role: Role::PartnerRep,
                    partner: Some(&a)
                }
            )
            .is_ok()
        );
        assert!(
            authorize(
                &padmin,
                &Action::WriteUser {
                    role: Role::PartnerRep,
                    partner: Some(&b)
                }
            )
            .is_err()
        );
        assert!(
            authorize(
                &padmin,
                &Action::WriteUser {
                    role: Role::Admin,
                    partner: Some(&a)
                }
            )
            .is_err()
        );
        assert!(authorize(&rep, &Action::EditPartnerProfile(&a)).is_err());
        assert!(
            authorize(
                &rep,
                &Action::WriteUser {
                    role: Role::PartnerRep,
                    partner: Some(&a)
                }
            )
            .is_err()
        );
    }

    #[test]
    fn webhooks_are_for_administrators_and_a_partner_admin_for_its_own() {
        let a = pid(1);
        let b = pid(2);
        let padmin = who(Role::PartnerAdmin, Some(a.clone()));
        let vendor = Action::ManageWebhooks(None);
        assert!(authorize(&who(Role::Admin, None), &vendor).is_ok());
        assert!(authorize(&who(Role::Admin, None), &Action::ManageWebhooks(Some(&b))).is_ok());
        for role in [
            Role::ChannelManager,
            Role::DirectSales,
            Role::MarketingFinance,
        ] {
            let e = authorize(&who(role, None), &vendor).unwrap_err();
            assert_eq!(e.rule, "role.manage_webhooks");
        }
        assert!(authorize(&padmin, &Action::ManageWebhooks(Some(&a))).is_ok());
        assert!(authorize(&padmin, &Action::ManageWebhooks(Some(&b))).is_err());
        assert!(authorize(&padmin, &vendor).is_err());
        let rep = who(Role::PartnerRep, Some(a.clone()));
        assert!(authorize(&rep, &Action::ManageWebhooks(Some(&a))).is_err());
    }

    #[test]
    fn registration_roles() {
        let a = pid(1);
        let b = pid(2);
        let rep = who(Role::PartnerRep, Some(a.clone()));
        let cm = who(Role::ChannelManager, None);
        let sales = who(Role::DirectSales, None);
        let fin = who(Role::MarketingFinance, None);
        assert!(authorize(&rep, &Action::WorkRegistration(&a)).is_ok());
        assert!(authorize(&rep, &Action::WorkRegistration(&b)).is_err());
        assert!(authorize(&rep, &Action::RespondToEngagement(&a)).is_ok());
        assert!(authorize(&rep, &Action::DecideRegistration).is_err());
        assert!(authorize(&cm, &Action::DecideRegistration).is_ok());
        assert!(
            authorize(&cm, &Action::WorkRegistration(&a)).is_ok(),
            "staff register on a partner's behalf"
        );
        let err = authorize(&cm, &Action::RespondToEngagement(&a)).unwrap_err();
        assert_eq!(err.rule, "role.respond_to_engagement");
        assert!(authorize(&who(Role::Admin, None), &Action::RespondToEngagement(&a)).is_err());
        assert!(authorize(&sales, &Action::EngageAccount).is_ok());
        assert!(authorize(&sales, &Action::DecideRegistration).is_err());
        assert!(authorize(&fin, &Action::EngageAccount).is_err());
    }

    #[test]
    fn pipeline_roles() {
        let a = pid(1);
        let b = pid(2);
        let rep = who(Role::PartnerRep, Some(a.clone()));
        let admin_b = who(Role::PartnerAdmin, Some(b.clone()));
        let sales = who(Role::DirectSales, None);
        let fin = who(Role::MarketingFinance, None);
        let cm = who(Role::ChannelManager, None);
        assert!(authorize(&rep, &Action::WorkOpportunity(&a)).is_ok());
        let err = authorize(&admin_b, &Action::WorkOpportunity(&a)).unwrap_err();
        assert_eq!(err.rule, "role.work_opportunity");
        assert!(authorize(&rep, &Action::WorkPipeline).is_err());
        assert!(authorize(&rep, &Action::WriteFxRates).is_err());
        assert!(authorize(&sales, &Action::WorkPipeline).is_ok());
        assert!(authorize(&sales, &Action::WorkOpportunity(&a)).is_ok());
        assert!(authorize(&sales, &Action::WriteFxRates).is_err());
        assert!(authorize(&fin, &Action::WriteFxRates).is_ok());
        assert!(authorize(&fin, &Action::WorkPipeline).is_err());
        assert!(authorize(&cm, &Action::WorkPipeline).is_ok());
        assert!(authorize(&cm, &Action::WriteFxRates).is_ok());
    }

    #[test]
    fn launch_roles() {
        let a = pid(1);
        let b = pid(2);
        let rep = who(Role::PartnerRep, Some(a.clone()));
        let fin = who(Role::MarketingFinance, None);
        let sales = who(Role::DirectSales, None);
        let start = |partner, charter| Action::StartLaunch { partner, charter };
        let work = |partner, partner_side| Action::WorkLaunchTask {
            partner,
            partner_side,
        };
        assert!(authorize(&fin, &Action::WriteLaunchTemplate).is_ok());
        assert!(authorize(&sales, &Action::WriteLaunchTemplate).is_err());
        assert_eq!(
            authorize(&rep, &Action::WriteLaunchTemplate)
                .unwrap_err()
                .rule,
            "role.write_launch_template"
        );
        assert!(authorize(&fin, &start(&a, true)).is_ok());
        assert!(authorize(&sales, &start(&a, false)).is_err());
        assert!(authorize(&rep, &start(&a, false)).is_ok());
        assert_eq!(
            authorize(&rep, &start(&a, true)).unwrap_err().rule,
            "role.start_launch"
        );
        assert!(authorize(&rep, &start(&b, false)).is_err());
        assert!(authorize(&sales, &work(&a, false)).is_ok());
        assert!(authorize(&sales, &work(&a, true)).is_ok());
        assert!(authorize(&rep, &work(&a, true)).is_ok());
        assert_eq!(
            authorize(&rep, &work(&a, false)).unwrap_err().rule,
            "role.work_launch_task"
        );
        assert!(authorize(&rep, &work(&b, true)).is_err());
    }

    #[test]
    fn plan_roles() {
        let a = pid(1);
        let b = pid(2);
        let rep = who(Role::PartnerRep, Some(a.clone()));
        let admin = who(Role::PartnerAdmin, Some(a.clone()));
        let cm = who(Role::ChannelManager, None);
        let sales = who(Role::DirectSales, None);
        assert!(authorize(&rep, &Action::WritePlan(&a)).is_ok());
        assert!(authorize(&rep, &Action::WritePlan(&b)).is_err());
        assert_eq!(
            authorize(&rep, &Action::SignPlan(&a)).unwrap_err().rule,
            "role.sign_plan"
        );
        assert!(authorize(&admin, &Action::SignPlan(&a)).is_ok());
        assert!(authorize(&admin, &Action::SignPlan(&b)).is_err());
        assert!(authorize(&cm, &Action::SignPlan(&a)).is_ok());
        assert!(authorize(&sales, &Action::WritePlan(&a)).is_err());
    }

    #[test]
    fn event_roles() {
        let a = pid(1);
        let b = pid(2);
        let fin = who(Role::MarketingFinance, None);
        let sales = who(Role::DirectSales, None);
        let admin = who(Role::Admin, None);
        let padmin = who(Role::PartnerAdmin, Some(a.clone()));
        let rep = who(Role::PartnerRep, Some(a.clone()));
        assert!(authorize(&fin, &Action::ManageEvents).is_ok());
        assert!(authorize(&admin, &Action::ManageEvents).is_ok());
        assert_eq!(
            authorize(&sales, &Action::ManageEvents).unwrap_err().rule,
            "role.manage_events"
        );
        assert!(authorize(&padmin, &Action::ManageEvents).is_err());
        // A partner's admin hosts its own events; its reps check people in and reply.
        assert!(authorize(&padmin, &Action::HostEvent(&a)).is_ok());
        assert!(authorize(&padmin, &Action::HostEvent(&b)).is_err());
        assert_eq!(
            authorize(&rep, &Action::HostEvent(&a)).unwrap_err().rule,
            "role.host_event"
        );
        assert!(authorize(&rep, &Action::CheckInAttendees(&a)).is_ok());
        assert!(authorize(&rep, &Action::CheckInAttendees(&b)).is_err());
        assert!(authorize(&rep, &Action::RsvpEvent(&a)).is_ok());
        assert!(authorize(&rep, &Action::RsvpEvent(&b)).is_err());
        // Staff reply to nothing: an RSVP is a partner user's own.
        assert!(authorize(&admin, &Action::RsvpEvent(&a)).is_err());
        assert!(authorize(&fin, &Action::RsvpEvent(&a)).is_err());
    }
}
