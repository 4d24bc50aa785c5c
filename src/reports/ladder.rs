//! The statistics of the five-gaps ladder (PRODUCT.md section 8). Pure: no HTTP, no SQL.
//!
//! Survey means come from roll-up sums in millionths of a level (n, Σx, Σx²); their 95 %
//! intervals use Student's t with n − 1 degrees of freedom (none below n = 2). Gap 1 compares
//! two independent groups (Welch); gap 5 is paired (the t interval of the per-response
//! differences); gaps 3 and 4 use the Wilson interval of delivered.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use utoipa::ToSchema;

use crate::surveys::responses::UNITS;

/// A mean of survey levels with its 95 % t interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Mean {
    pub value: f64,
    pub n: i64,
    /// Null below n = 2.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The sample variance (null below n = 2).
    #[serde(skip)]
    pub variance: Option<f64>,
}

/// The two-sided 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// The mean and interval of `n` values given in millionths by their sum and sum of squares.
pub fn mean_of(n: i64, sum: i64, sumsq: i64) -> Option<Mean> {
    if n <= 0 {
        return None;
    }
    let value = sum as f64 / n as f64 / UNITS;
    if n < 2 {
        return Some(Mean {
            value,
            n,
            ci_low: None,
            ci_high: None,
            variance: None,
        });
    }
    // n·Σx² − (Σx)² is exact in 128 bits; the variance is that over n(n − 1).
    let spread = i128::from(n) * i128::from(sumsq) - i128::from(sum) * i128::from(sum);
    let variance = spread.max(0) as f64 / (n as f64 * (n - 1) as f64) / (UNITS * UNITS);
    let half = t_quantile((n - 1) as f64) * (variance / n as f64).sqrt();
    Some(Mean {
        value,
        n,
        ci_low: Some(value - half),
        ci_high: Some(value + half),
        variance: Some(variance),
    })
}

/// One gap of the ladder. Positive is a shortfall.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Gap {
    /// Null when an input is missing (named in `missing`).
    pub value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The interval excludes 0 (false without an interval).
    pub significant: bool,
    /// Every sample behind the gap reaches the organization's minimum sample.
    pub reliable: bool,
    /// The inputs that are missing: `E_c`, `P_c`, `E_m`, `T`, `D`, `R`.
    pub missing: Vec<String>,
}

impl Gap {
    fn missing(names: &[&str]) -> Gap {
        Gap {
            value: None,
            ci_low: None,
            ci_high: None,
            significant: false,
            reliable: false,
            missing: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn new(value: f64, interval: Option<(f64, f64)>, samples: &[i64], min_sample: i64) -> Gap {
        Gap {
            value: Some(value),
            ci_low: interval.map(|i| i.0),
            ci_high: interval.map(|i| i.1),
            significant: interval.is_some_and(|(low, high)| low > 0.0 || high < 0.0),
            reliable: samples.iter().all(|n| *n >= min_sample),
            missing: Vec::new(),
        }
    }
}

fn interval(m: &Mean) -> Option<(f64, f64)> {
    m.ci_low.zip(m.ci_high)
}

/// What delivered is, as the gap report gives it: its mean, sample and Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivered {
    pub value: f64,
    pub n: i64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The inputs of one row of the ladder.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub customer_expectation: Option<Mean>,
    pub customer_perception: Option<Mean>,
    pub management_expectation: Option<Mean>,
    /// Per-response expectation − perception.
    pub customer_difference: Option<Mean>,
    pub target: Option<f64>,
    pub delivered: Option<Delivered>,
    pub promised: Option<f64>,
}

/// Every gap of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Gaps {
    pub knowledge: Gap,
    pub standards: Gap,
    pub delivery: Gap,
    pub communication: Gap,
    pub customer: Gap,
    /// `E_c − D`, which is exactly gap 1 + gap 2 + gap 3.
    pub expectation_vs_delivered: Option<f64>,
}

/// Welch's interval for the difference of two independent means.
pub fn welch(a: &Mean, b: &Mean) -> Option<(f64, f64)> {
    let (va, vb) = (a.variance?, b.variance?);
    let (na, nb) = (a.n as f64, b.n as f64);
    let (sa, sb) = (va / na, vb / nb);
    let se2 = sa + sb;
    let difference = a.value - b.value;
    if se2 == 0.0 {
        return Some((difference, difference));
    }
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    let half = t_quantile(df) * se2.sqrt();
    Some((difference - half, difference + half))
}

pub fn gaps(i: &Inputs, min_sample: i64) -> Gaps {
    let named = |pairs: &[(&'static str, bool)]| -> Vec<&'static str> {
        pairs
            .iter()
            .filter(|(_, present)| !present)
            .map(|(n, _)| *n)
            .collect()
    };
    let (ec, pc, em) = (
        i.customer_expectation,
        i.customer_perception,
        i.management_expectation,
    );
    let knowledge = match (ec, em) {
        (Some(c), Some(m)) => Gap::new(c.value - m.value, welch(&c, &m), &[c.n, m.n], min_sample),
        _ => Gap::missing(&named(&[("E_c", ec.is_some()), ("E_m", em.is_some())])),
    };
    let standards = match (em, i.target) {
        (Some(m), Some(t)) => Gap::new(
            m.value - t,
            interval(&m).map(|(l, h)| (l - t, h - t)),
            &[m.n],
            min_sample,
        ),
        _ => Gap::missing(&named(&[("E_m", em.is_some()), ("T", i.target.is_some())])),
    };
    let from_delivered = |level: Option<f64>, name: &'static str| match (level, i.delivered) {
        (Some(l), Some(d)) => Gap::new(
            l - d.value,
            Some((l - d.ci_high, l - d.ci_low)),
            &[d.n],
            min_sample,
        ),
        _ => Gap::missing(&named(&[
            (name, level.is_some()),
            ("D", i.delivered.is_some()),
        ])),
    };
    let delivery = from_delivered(i.target, "T");
    let communication = from_delivered(i.promised, "R");
    let customer = match (ec, pc, i.customer_difference) {
        (Some(_), Some(_), Some(d)) => Gap::new(d.value, interval(&d), &[d.n], min_sample),
        _ => Gap::missing(&named(&[("E_c", ec.is_some()), ("P_c", pc.is_some())])),
    };
    Gaps {
        knowledge,
        standards,
        delivery,
        communication,
        customer,
        expectation_vs_delivered: ec.zip(i.delivered).map(|(c, d)| c.value - d.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    /// Sums in millionths of the levels given.
    fn sums(levels: &[f64]) -> (i64, i64, i64) {
        let units: Vec<i64> = levels.iter().map(|l| (l * UNITS).round() as i64).collect();
        (
            units.len() as i64,
            units.iter().sum(),
            units.iter().map(|u| u * u).sum(),
        )
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        close((t_quantile(1.0) * 1e3).round() / 1e3, 12.706);
        close((t_quantile(4.0) * 1e3).round() / 1e3, 2.776);
        close((t_quantile(30.0) * 1e3).round() / 1e3, 2.042);
    }

    #[test]
    fn a_mean_has_its_t_interval_from_sums() {
        let (n, s, q) = sums(&[0.5, 1.0, 0.75, 0.25]);
        let m = mean_of(n, s, q).unwrap();
        close(m.value, 0.625);
        // Sample variance of the four levels: 0.1041666…; half width t(3) · sqrt(v / 4).
        let half = 3.182_446_305_284_263 * (0.104_166_666_666_666_67_f64 / 4.0).sqrt();
        close(m.ci_low.unwrap(), 0.625 - half);
        close(m.ci_high.unwrap(), 0.625 + half);
        let one = mean_of(1, 500_000, 250_000_000_000).unwrap();
        assert_eq!((one.value, one.ci_low), (0.5, None));
        assert!(mean_of(0, 0, 0).is_none());
    }

    #[test]
    fn the_ladder_adds_up_and_names_what_is_missing() {
        let m = |levels: &[f64]| {
            let (n, s, q) = sums(levels);
            mean_of(n, s, q)
        };
        let inputs = Inputs {
            customer_expectation: m(&[1.0, 0.8, 0.9]),
            customer_perception: m(&[0.6, 0.5, 0.7]),
            customer_difference: m(&[0.4, 0.3, 0.2]),
            management_expectation: m(&[0.7, 0.6]),
            target: Some(0.95),
            delivered: Some(Delivered {
                value: 0.8,
                n: 10,
                ci_low: 0.49,
                ci_high: 0.94,
            }),
            promised: None,
        };
        let g = gaps(&inputs, 3);
        close(g.knowledge.value.unwrap(), 0.9 - 0.65);
        close(g.standards.value.unwrap(), 0.65 - 0.95);
        close(g.delivery.value.unwrap(), 0.95 - 0.8);
        close(g.customer.value.unwrap(), 0.3);
        close(
            g.expectation_vs_delivered.unwrap(),
            g.knowledge.value.unwrap() + g.standards.value.unwrap() + g.delivery.value.unwrap(),
        );
        // Gap 3 is the target minus the Wilson interval of delivered.
        close(g.delivery.ci_low.unwrap(), 0.95 - 0.94);
        close(g.delivery.ci_high.unwrap(), 0.95 - 0.49);
        assert!(g.delivery.significant && g.delivery.reliable);
        // Two management answers are below the minimum sample of 3.
        assert!(!g.knowledge.reliable && !g.standards.reliable);
        assert_eq!(g.communication.missing, vec!["R"]);
        assert_eq!(g.communication.value, None);
        let nothing = gaps(&Inputs::default(), 3);
        assert_eq!(nothing.knowledge.missing, vec!["E_c", "E_m"]);
        assert_eq!(nothing.delivery.missing, vec!["T", "D"]);
        assert_eq!(nothing.customer.missing, vec!["E_c", "P_c"]);
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // Groups {0.2, 0.4, 0.6} and {0.5, 0.7}: variances 0.04 and 0.02, se² = 0.04/3 + 0.01,
        // df = se⁴ / ((0.04/3)²/2 + 0.01²/1).
        let a = mean_of(3, 1_200_000, 560_000_000_000).unwrap();
        let b = mean_of(2, 1_200_000, 740_000_000_000).unwrap();
        let (low, high) = welch(&a, &b).unwrap();
        let se2: f64 = 0.04 / 3.0 + 0.01;
        let df = se2 * se2 / ((0.04f64 / 3.0).powi(2) / 2.0 + 0.01f64.powi(2));
        let half = t_quantile(df) * se2.sqrt();
        close(low, -0.2 - half);
        close(high, -0.2 + half);
    }
}
