//! What a run of due jobs did, as lines for people: `jobs run-due` prints them and the
//! scheduler logs them. Formatting only; the jobs themselves live in the store.

use partnerops_store::jobs::RunReport;

/// One line per job that ran, e.g. `tiering: 60 evaluated, 2 upgraded, 1 downgraded, 0 sunset`.
/// The sweep line is always there (it runs on every call), the tiering line only when the
/// tiering job ran.
pub fn summary(report: &RunReport) -> Vec<String> {
    let ran = if report.ran.is_empty() {
        "nothing due".to_owned()
    } else {
        report.ran.join(", ")
    };
    let s = &report.sweep;
    let mut lines = vec![
        format!("ran: {ran}"),
        format!(
            "sweep: {} expired, {} SLA missed, {} escalated",
            s.expired, s.sla_missed, s.escalated
        ),
    ];
    if report
        .ran
        .iter()
        .any(|k| k == partnerops_store::tiering::TIERING)
    {
        let t = &report.tiering;
        let reviews: String = t
            .reviews
            .iter()
            .map(|(program, day)| format!("; annual review {day} of {program}"))
            .collect();
        lines.push(format!(
            "tiering: {} evaluated, {} upgraded, {} downgraded, {} sunset{reviews}",
            t.evaluated, t.upgraded, t.downgraded, t.sunset
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use partnerops_store::jobs::SweepReport;
    use partnerops_store::tiering::TieringReport;

    use super::*;

    #[test]
    fn lines_name_each_job_and_its_counts() {
        let report = RunReport {
            ran: vec![
                partnerops_store::jobs::SWEEP.to_owned(),
                partnerops_store::tiering::TIERING.to_owned(),
            ],
            sweep: SweepReport {
                expired: 3,
                sla_missed: 1,
                escalated: 0,
            },
            tiering: TieringReport {
                evaluated: 60,
                upgraded: 2,
                reviews: vec![(
                    "prg_1".to_owned(),
                    chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                )],
                ..TieringReport::default()
            },
        };
        let lines = summary(&report);
        assert_eq!(
            lines,
            [
                "ran: registrations.sweep, partners.tiering",
                "sweep: 3 expired, 1 SLA missed, 0 escalated",
                "tiering: 60 evaluated, 2 upgraded, 0 downgraded, 0 sunset; annual review 2027-01-01 of prg_1",
            ]
        );
        assert!(lines.iter().all(|l| !l.contains('{')), "no Debug dumps");
    }

    #[test]
    fn nothing_due_says_so_and_skips_tiering() {
        let lines = summary(&RunReport::default());
        assert_eq!(lines[0], "ran: nothing due");
        assert_eq!(lines.len(), 2);
    }
}
