//! The statistics of calibration, free of storage: a shopper's contribution to their leniency
//! from one cell, the leniency's t-interval, and Cohen's kappa.

use std::collections::BTreeMap;

/// One shopper's approved visits in one cell (standard × location × month): how many, and the
/// sum and sum of squares of their compliance (0 to 1).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: i64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl Moments {
    pub fn of(values: &[f64]) -> Self {
        values.iter().fold(Moments::default(), |m, v| m.add(*v, 1))
    }

    /// With one value added (`sign` 1) or taken away (`sign` -1).
    pub fn add(self, value: f64, sign: i64) -> Self {
        let s = sign as f64;
        Moments {
            n: self.n + sign,
            sum: self.sum + s * value,
            sum_squares: self.sum_squares + s * value * value,
        }
    }

    pub fn plus(self, other: Moments) -> Self {
        Moments {
            n: self.n + other.n,
            sum: self.sum + other.sum,
            sum_squares: self.sum_squares + other.sum_squares,
        }
    }

    pub fn minus(self, other: Moments) -> Self {
        Moments {
            n: self.n - other.n,
            sum: self.sum - other.sum,
            sum_squares: self.sum_squares - other.sum_squares,
        }
    }
}

/// A shopper's differences from the others in one cell: for each of their visits, their
/// compliance minus the mean compliance of the other shoppers' visits in the cell; as the count,
/// sum and sum of squares of those differences. `None` when no other shopper visited the cell
/// (nothing to compare with).
pub fn differences(mine: Moments, cell_total: Moments) -> Option<Moments> {
    let others = cell_total.minus(mine);
    if mine.n <= 0 || others.n <= 0 {
        return None;
    }
    let m = others.sum / others.n as f64;
    let n = mine.n as f64;
    Some(Moments {
        n: mine.n,
        sum: mine.sum - n * m,
        sum_squares: mine.sum_squares - 2.0 * m * mine.sum + n * m * m,
    })
}

/// A shopper's leniency on a standard: the mean difference, and its 95 % t-interval
/// (mean ± t(0.975, n − 1) · s / √n) from two visits on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leniency {
    pub n: i64,
    pub mean: f64,
    pub interval: Option<(f64, f64)>,
}

/// Differences within this of zero are rounding, not spread: a constant difference has a
/// zero-width interval.
const EPSILON: f64 = 1e-12;

pub fn leniency(d: Moments) -> Option<Leniency> {
    if d.n <= 0 {
        return None;
    }
    let n = d.n as f64;
    let mean = d.sum / n;
    let interval = (d.n >= 2).then(|| {
        let variance = ((d.sum_squares - n * mean * mean) / (n - 1.0)).max(0.0);
        let half = if variance <= EPSILON {
            0.0
        } else {
            crate::reports::ladder::t_quantile(n - 1.0) * (variance / n).sqrt()
        };
        (mean - half, mean + half)
    });
    Some(Leniency {
        n: d.n,
        mean,
        interval,
    })
}

/// Which way a leniency is significant: its interval lies wholly above zero (lenient: rates
/// higher than the others) or wholly below (harsh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Lenient,
    Harsh,
    InLine,
}

pub fn verdict(l: &Leniency) -> Verdict {
    match l.interval {
        Some((low, _)) if low > EPSILON => Verdict::Lenient,
        Some((_, high)) if high < -EPSILON => Verdict::Harsh,
        _ => Verdict::InLine,
    }
}

/// An item's score as an agreement category: the share of its points, to four decimals (a
/// "yes" on one item and a full-marks choice on another are the same category, full marks).
pub fn category(score: f64) -> String {
    let rounded = (score * 10_000.0).round() / 10_000.0;
    format!("{rounded}")
}

/// Agreement of two raters over items both scored: how many, the share on which they gave the
/// same category, and Cohen's kappa, (p_o − p_e) / (1 − p_e), with p_e from each rater's own
/// category shares. Kappa is undefined (None) when chance agreement is certain (both always
/// gave the one same category).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    pub items: i64,
    pub agreement: Option<f64>,
    pub kappa: Option<f64>,
}

/// From the confusion counts: (rater a's category, rater b's category) → items.
pub fn agreement(confusion: &BTreeMap<(String, String), i64>) -> Agreement {
    let items: i64 = confusion.values().sum();
    if items <= 0 {
        return Agreement {
            items: 0,
            agreement: None,
            kappa: None,
        };
    }
    let total = items as f64;
    let mut a: BTreeMap<&str, i64> = BTreeMap::new();
    let mut b: BTreeMap<&str, i64> = BTreeMap::new();
    let mut same = 0;
    for ((ca, cb), n) in confusion {
        *a.entry(ca).or_default() += n;
        *b.entry(cb).or_default() += n;
        if ca == cb {
            same += n;
        }
    }
    let observed = same as f64 / total;
    let chance: f64 = a
        .iter()
        .map(|(c, na)| (*na as f64 / total) * (*b.get(c).unwrap_or(&0) as f64 / total))
        .sum();
    let kappa = (1.0 - chance > EPSILON).then(|| (observed - chance) / (1.0 - chance));
    Agreement {
        items,
        agreement: Some(observed),
        kappa,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn differences_from_the_others_in_a_cell() {
        // Ann 1.0 and 0.5; Bea 0.5; Cal 0.0: the others' mean for Ann is 0.25.
        let ann = Moments::of(&[1.0, 0.5]);
        let total = Moments::of(&[1.0, 0.5, 0.5, 0.0]);
        let d = differences(ann, total).unwrap();
        assert_eq!(d.n, 2);
        assert!(close(d.sum, 0.75 + 0.25));
        assert!(close(d.sum_squares, 0.75 * 0.75 + 0.25 * 0.25));
        // Alone in a cell: nothing to compare with.
        assert_eq!(differences(ann, ann), None);
        assert_eq!(differences(Moments::default(), total), None);
    }

    #[test]
    fn moments_add_and_take_away() {
        let m = Moments::of(&[0.25, 0.75]).add(0.5, 1).add(0.25, -1);
        assert_eq!(m.n, 2);
        assert!(close(m.sum, 1.25));
        assert!(close(m.sum_squares, 0.8125));
    }

    #[test]
    fn leniency_with_a_t_interval() {
        // Differences 0.2, 0.4, 0.6: mean 0.4, s = 0.2, t(0.975, 2) = 4.302653.
        let d = Moments::of(&[0.2, 0.4, 0.6]);
        let l = leniency(d).unwrap();
        assert!(close(l.mean, 0.4));
        let half = 4.302_652_729_911_275 * 0.2 / 3f64.sqrt();
        let (low, high) = l.interval.unwrap();
        assert!(close(low, 0.4 - half) && close(high, 0.4 + half), "{l:?}");
        assert_eq!(verdict(&l), Verdict::InLine);
        // Steady differences are significant.
        let steady = leniency(Moments::of(&[-0.3, -0.25, -0.3, -0.35])).unwrap();
        assert_eq!(verdict(&steady), Verdict::Harsh);
        let constant = leniency(Moments::of(&[0.5, 0.5])).unwrap();
        assert_eq!(constant.interval, Some((0.5, 0.5)));
        assert_eq!(verdict(&constant), Verdict::Lenient);
        // One visit: a mean, no interval.
        let one = leniency(Moments::of(&[0.5])).unwrap();
        assert_eq!((one.n, one.interval), (1, None));
        assert_eq!(verdict(&one), Verdict::InLine);
        assert_eq!(leniency(Moments::default()), None);
    }

    #[test]
    fn kappa_worked_by_hand() {
        // 10 items: both "1" 5 times, both "0" 2 times, a "1" b "0" 2 times, a "0" b "1" once.
        let mut c = BTreeMap::new();
        c.insert(("1".to_string(), "1".to_string()), 5);
        c.insert(("0".to_string(), "0".to_string()), 2);
        c.insert(("1".to_string(), "0".to_string()), 2);
        c.insert(("0".to_string(), "1".to_string()), 1);
        let a = agreement(&c);
        assert_eq!(a.items, 10);
        assert!(close(a.agreement.unwrap(), 0.7));
        // p_e = 0.7 · 0.6 + 0.3 · 0.4 = 0.54; kappa = (0.7 − 0.54) / 0.46.
        assert!(close(a.kappa.unwrap(), 0.16 / 0.46));
        // Always the same single category: agreement 1, kappa undefined.
        let mut same = BTreeMap::new();
        same.insert(("1".to_string(), "1".to_string()), 4);
        let s = agreement(&same);
        assert_eq!((s.agreement, s.kappa), (Some(1.0), None));
        assert_eq!(agreement(&BTreeMap::new()).items, 0);
    }

    #[test]
    fn categories_are_score_shares() {
        assert_eq!(category(1.0), "1");
        assert_eq!(category(0.0), "0");
        assert_eq!(category(0.5), "0.5");
        assert_eq!(category(2.0 / 3.0), "0.6667");
    }
}
