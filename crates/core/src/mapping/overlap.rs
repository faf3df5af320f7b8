//! The overlap of two populations: counts per pair of populations (the matrix), what a
//! cell's drill-down may show (only where both sides share their population, and only the
//! fields each shares), and which cells are co-sell openings.
//!
//! Only matched rows ever reach these functions: the rows of one side that match nothing
//! on the other are never counted, listed or described to the other side.

use serde::Serialize;

use super::{Population, SharedField, Sharing};

/// One cell of the matrix: the vendor's population × the partner's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatrixCell {
    pub vendor: Population,
    pub partner: Population,
    /// Matched accounts in both populations.
    pub count: u64,
    /// Whether both sides share their population, so the cell lists its rows.
    pub drill_down: bool,
    /// A customer of one side with an open opportunity of the other: an introduction helps.
    pub co_sell: bool,
}

/// The overlap matrix: every pair of populations, the vendor's rows first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Matrix {
    pub cells: Vec<MatrixCell>,
    /// Matched accounts in all.
    pub total: u64,
}

impl Matrix {
    pub fn cell(&self, vendor: Population, partner: Population) -> Option<&MatrixCell> {
        self.cells
            .iter()
            .find(|c| c.vendor == vendor && c.partner == partner)
    }
}

/// Whether a customer of one side meets an open opportunity of the other.
pub fn is_co_sell(vendor: Population, partner: Population) -> bool {
    matches!(
        (vendor, partner),
        (Population::OpenOpportunity, Population::Customer)
            | (Population::Customer, Population::OpenOpportunity)
    )
}

/// Why a cell's rows may not be listed, or nothing when they may: both sides must share
/// their population (counts only on either side keeps the cell to its count).
pub fn drill_down_refusal(
    vendor_sharing: &Sharing,
    partner_sharing: &Sharing,
    vendor: Population,
    partner: Population,
) -> Option<String> {
    let v = vendor_sharing.fields(vendor).is_empty();
    let p = partner_sharing.fields(partner).is_empty();
    match (v, p) {
        (false, false) => None,
        (true, true) => Some(format!(
            "both sides share counts only of these populations ({} and {})",
            vendor.label().to_lowercase(),
            partner.label().to_lowercase()
        )),
        (true, false) => Some(format!(
            "the vendor shares counts only of its {}",
            vendor.label().to_lowercase()
        )),
        (false, true) => Some(format!(
            "the partner shares counts only of its {}",
            partner.label().to_lowercase()
        )),
    }
}

/// Counts matched pairs into the matrix (all nine cells, zeros included).
pub fn matrix(
    pairs: impl IntoIterator<Item = (Population, Population)>,
    vendor_sharing: &Sharing,
    partner_sharing: &Sharing,
) -> Matrix {
    let mut counts = [[0u64; 3]; 3];
    let index = |p: Population| Population::ALL.iter().position(|x| *x == p).unwrap_or(0);
    let mut total = 0;
    for (v, p) in pairs {
        counts[index(v)][index(p)] += 1;
        total += 1;
    }
    let mut cells = Vec::with_capacity(9);
    for v in Population::ALL {
        for p in Population::ALL {
            cells.push(MatrixCell {
                vendor: *v,
                partner: *p,
                count: counts[index(*v)][index(*p)],
                drill_down: drill_down_refusal(vendor_sharing, partner_sharing, *v, *p).is_none(),
                co_sell: is_co_sell(*v, *p),
            });
        }
    }
    Matrix { cells, total }
}

/// One side of a matched row, with only the fields that side shares.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedAccount {
    pub name: Option<String>,
    pub web_domain: Option<String>,
    pub country: Option<String>,
}

impl SharedAccount {
    /// Keeps of `name`, `web_domain` and `country` only the `shared` fields.
    pub fn redact(
        shared: &[SharedField],
        name: &str,
        web_domain: Option<&str>,
        country: Option<&str>,
    ) -> Self {
        let has = |f: SharedField| shared.contains(&f);
        SharedAccount {
            name: has(SharedField::Name).then(|| name.to_owned()),
            web_domain: web_domain
                .filter(|_| has(SharedField::WebDomain))
                .map(str::to_owned),
            country: country
                .filter(|_| has(SharedField::Country))
                .map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Population::{Customer as C, OpenOpportunity as O, Prospect as P};

    fn sharing(customer: &[SharedField], opp: &[SharedField]) -> Sharing {
        Sharing {
            customer: customer.to_vec(),
            open_opportunity: opp.to_vec(),
            prospect: vec![],
        }
    }

    #[test]
    fn the_matrix_counts_every_pair_and_has_nine_cells() {
        let m = matrix(
            [(C, C), (C, C), (O, C), (P, O)],
            &Sharing::default(),
            &Sharing::default(),
        );
        assert_eq!(m.cells.len(), 9);
        assert_eq!(m.total, 4);
        assert_eq!(m.cell(C, C).unwrap().count, 2);
        assert_eq!(m.cell(O, C).unwrap().count, 1);
        assert_eq!(m.cell(P, O).unwrap().count, 1);
        assert_eq!(m.cell(P, P).unwrap().count, 0);
        assert!(
            m.cells.iter().all(|c| !c.drill_down),
            "counts only by default"
        );
    }

    #[test]
    fn a_cell_drills_down_only_where_both_sides_share() {
        let v = sharing(&[SharedField::Name], &[]);
        let p = sharing(&[SharedField::Name], &[SharedField::Name]);
        assert_eq!(drill_down_refusal(&v, &p, C, C), None);
        assert_eq!(drill_down_refusal(&v, &p, C, O), None);
        let why = drill_down_refusal(&v, &p, O, C).unwrap();
        assert!(why.contains("vendor shares counts only"), "{why}");
        let why = drill_down_refusal(&v, &p, C, P).unwrap();
        assert!(why.contains("partner shares counts only"), "{why}");
        assert!(
            drill_down_refusal(&v, &p, P, P)
                .unwrap()
                .contains("both sides")
        );
        let m = matrix([], &v, &p);
        assert!(m.cell(C, C).unwrap().drill_down);
        assert!(!m.cell(O, C).unwrap().drill_down);
    }

    #[test]
    fn co_sell_cells_are_a_customer_against_an_open_opportunity() {
        assert!(is_co_sell(O, C));
        assert!(is_co_sell(C, O));
        assert!(!is_co_sell(C, C));
        assert!(!is_co_sell(P, C));
        assert!(!is_co_sell(O, O));
    }

    #[test]
    fn a_row_shows_only_the_shared_fields() {
        let a = SharedAccount::redact(&[SharedField::Name], "Acme", Some("acme.com"), Some("US"));
        assert_eq!(
            a,
            SharedAccount {
                name: Some("Acme".into()),
                web_domain: None,
                country: None
            }
        );
        let a = SharedAccount::redact(
            &[SharedField::WebDomain, SharedField::Country],
            "Acme",
            Some("acme.com"),
            None,
        );
        assert_eq!(a.name, None);
        assert_eq!(a.web_domain.as_deref(), Some("acme.com"));
        assert_eq!(a.country, None);
        assert_eq!(
            SharedAccount::redact(&[], "Acme", Some("acme.com"), Some("US")),
            SharedAccount::default()
        );
    }
}
