//! Property tests of the balance arithmetic: for any sequence of allocations, requests,
//! rejections, cancellations, approvals (also lower), claims (approved lower, rejected)
//! and payments, every balance is its total less what is committed against it, and never
//! below zero. The model applies the core's rules exactly as the store does in SQL: a debit
//! only when it fits ([`debit`]), a release of what each move says.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::policy::MdfPolicy;
use super::rules::{
    ClaimState, RequestState, approve_claim, approve_request, cancel_request, debit, pay_claim,
    reject_claim, reject_request, submit_claim,
};
use crate::money::Currency;
use crate::user::Role;

#[derive(Clone, Debug)]
enum Op {
    Allocate(i64),
    Request(usize, i64),
    Reject(usize),
    Cancel(usize),
    /// Approve this share (per mille) of the planned cost.
    Approve(usize, i64),
    Claim(usize, i64),
    ApproveClaim(usize, i64),
    RejectClaim(usize),
    Pay(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..50_000).prop_map(Op::Allocate),
        (0usize..8, 1i64..20_000).prop_map(|(a, n)| Op::Request(a, n)),
        (0usize..32).prop_map(Op::Reject),
        (0usize..32).prop_map(Op::Cancel),
        (0usize..32, 0i64..=1000).prop_map(|(r, s)| Op::Approve(r, s)),
        (0usize..32, 0i64..=1000).prop_map(|(r, s)| Op::Claim(r, s)),
        (0usize..32, 0i64..=1000).prop_map(|(r, s)| Op::ApproveClaim(r, s)),
        (0usize..32).prop_map(Op::RejectClaim),
        (0usize..32).prop_map(Op::Pay),
    ]
}

struct Alloc {
    amount: i64,
    remaining: i64,
}

struct Req {
    alloc: usize,
    state: RequestState,
    committed: i64,
    approved: i64,
    claim: Option<(ClaimState, i64)>,
}

struct Ledger {
    budget: i64,
    budget_remaining: i64,
    allocs: Vec<Alloc>,
    reqs: Vec<Req>,
}

fn share(n: i64, per_mille: i64) -> i64 {
    n * per_mille / 1000
}

impl Ledger {
    fn apply(&mut self, op: &Op) {
        let usd = Currency::USD;
        let policy = MdfPolicy::default();
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
        match *op {
            Op::Allocate(n) => {
                if let Ok(rest) = debit(self.budget_remaining, n, usd, "mdf.budget_exceeded") {
                    self.budget_remaining = rest;
                    self.allocs.push(Alloc {
                        amount: n,
                        remaining: n,
                    });
                }
            }
            Op::Request(a, n) => {
                let Some(alloc) = self.allocs.get_mut(a) else {
                    return;
                };
                if let Ok(rest) = debit(alloc.remaining, n, usd, "mdf.allocation_exceeded") {
                    alloc.remaining = rest;
                    self.reqs.push(Req {
                        alloc: a,
                        state: RequestState::Submitted,
                        committed: n,
                        approved: 0,
                        claim: None,
                    });
                }
            }
            Op::Reject(r) | Op::Cancel(r) | Op::Approve(r, _) | Op::Claim(r, _) => {
                let Some(req) = self.reqs.get_mut(r) else {
                    return;
                };
                let moved = match *op {
                    Op::Reject(_) => reject_request(req.state, req.committed),
                    Op::Cancel(_) => cancel_request(req.state, req.committed),
                    Op::Approve(_, s) => approve_request(
                        req.state,
                        req.committed,
                        share(req.committed, s),
                        Role::Admin,
                        &policy,
                        usd,
                    ),
                    Op::Claim(_, s) => submit_claim(
                        req.state,
                        req.approved,
                        share(req.approved, s),
                        day,
                        day,
                        &policy,
                        usd,
                    ),
                    _ => return,
                };
                if let Ok(m) = moved {
                    if let Op::Claim(_, s) = *op {
                        req.claim = Some((ClaimState::Submitted, share(req.approved, s)));
                    }
                    if m.to == RequestState::Approved {
                        req.approved = m.committed_minor;
                    }
                    req.state = m.to;
                    req.committed = m.committed_minor;
                    self.allocs[req.alloc].remaining += m.release_minor;
                }
            }
            Op::ApproveClaim(r, _) | Op::RejectClaim(r) | Op::Pay(r) => {
                let Some(req) = self.reqs.get_mut(r) else {
                    return;
                };
                let Some((state, claimed)) = req.claim else {
                    return;
                };
                let moved = match *op {
                    Op::ApproveClaim(_, s) => {
                        approve_claim(state, req.committed, claimed, share(claimed, s), usd)
                    }
                    Op::RejectClaim(_) => reject_claim(state, req.committed),
                    _ => pay_claim(state, req.committed),
                };
                if let Ok(m) = moved {
                    req.claim = Some((m.to, claimed));
                    req.committed = m.committed_minor;
                    self.allocs[req.alloc].remaining += m.release_minor;
                }
            }
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let allocated: i64 = self.allocs.iter().map(|a| a.amount).sum();
        prop_assert_eq!(self.budget_remaining, self.budget - allocated);
        prop_assert!(self.budget_remaining >= 0);
        for (i, a) in self.allocs.iter().enumerate() {
            let committed: i64 = self
                .reqs
                .iter()
                .filter(|r| r.alloc == i)
                .map(|r| r.committed)
                .sum();
            prop_assert_eq!(a.remaining, a.amount - committed);
            prop_assert!(a.remaining >= 0 && a.remaining <= a.amount);
        }
        for r in &self.reqs {
            prop_assert!(r.committed >= 0);
            if matches!(r.state, RequestState::Rejected | RequestState::Cancelled) {
                prop_assert_eq!(r.committed, 0);
            }
            if let Some((ClaimState::Rejected, _)) = r.claim {
                prop_assert_eq!(r.committed, 0);
            }
            if let Some((ClaimState::Approved | ClaimState::Paid, claimed)) = r.claim {
                prop_assert!(r.committed <= claimed && claimed <= r.approved);
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn balances_are_totals_less_commitments_and_never_negative(
        budget in 0i64..200_000,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let mut l = Ledger { budget, budget_remaining: budget, allocs: Vec::new(), reqs: Vec::new() };
        for op in &ops {
            l.apply(op);
            l.check()?;
        }
    }
}
