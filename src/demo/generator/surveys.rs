//! Survey answers beside the generated visits, so that the five-gaps ladder of the demo shows
//! the gaps the study in PRODUCT.md section 1 found. Customers expect a lot everywhere (6 to 7
//! of 7) and perceive what a location delivers (its latent quality, with noise). Managers, per
//! region and quarter and for the whole organization, rate most expectations close to the
//! customers' but underrate how much customers expect personal attention and complete
//! information (a knowledge gap), and believe customers prefer the phone where many prefer chat.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Plan, Site};
use crate::db::schema::survey_instrument_versions as versions;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::locations::dto::Segment;
use crate::reports::rollups::local_day;
use crate::standards::dto::{Channel, Dimension};
use crate::surveys::dto::Audience;
use crate::surveys::responses::{Answers, Rating};
use crate::surveys::store::{self, Cell, NewResponse};

/// Items managers underrate: customers expect these more than managers think.
const UNDERRATED: [&str; 2] = ["personal", "complete_info"];

fn published(conn: &mut DbConn, org: &str, audience: Audience) -> ApiResult<Option<String>> {
    Ok(versions::table
        .filter(versions::organization_id.eq(org))
        .filter(versions::status.eq("published"))
        .filter(versions::audience.eq(audience.as_str()))
        .order(versions::created_at.asc())
        .select(versions::id)
        .first(conn)
        .optional()?)
}

fn clamp(v: f64, min: i32, max: i32) -> i32 {
    (v.round() as i32).clamp(min, max)
}

/// Adds `plan.responses` customer responses at the sites, over the plan's days, and management
/// answers per region and quarter. Returns (customer responses, management answers).
pub(super) fn generate(
    conn: &mut DbConn,
    org: &str,
    sites: &[Site],
    plan: &Plan,
    manager: &str,
    now: NaiveDateTime,
) -> ApiResult<(usize, usize)> {
    let (Some(customer), Some(management)) = (
        published(conn, org, Audience::Customer)?,
        published(conn, org, Audience::Management)?,
    ) else {
        return Ok((0, 0));
    };
    let (content, book) = store::instrument_and_book(conn, &customer)?;
    let (m_content, m_book) = store::instrument_and_book(conn, &management)?;
    let (min, max) = (content.scale.min, content.scale.max);
    let mut rng = StdRng::seed_from_u64(plan.seed ^ 0x5eed_5a7e);
    let channels = [
        Channel::InPerson,
        Channel::Phone,
        Channel::Email,
        Channel::Chat,
    ];
    let preference = [0.25, 0.2, 0.16, 0.39];
    let mut made = 0;
    for _ in 0..plan.responses {
        let site = &sites[rng.gen_range(0..sites.len())];
        let at = now - TimeDelta::minutes(rng.gen_range(0..i64::from(plan.days) * 24 * 60));
        let perceived = site.quality * f64::from(max - min) + f64::from(min);
        let mut ratings = Vec::new();
        for item in &content.items {
            // Some skip a statement.
            if rng.gen_bool(0.9) {
                ratings.push(Rating {
                    item: item.key.clone(),
                    expectation: Some(clamp(rng.gen_range(5.6..7.4), min, max)),
                    perception: Some(clamp(perceived + rng.gen_range(-1.5..1.5), min, max)),
                });
            }
        }
        if ratings.is_empty() {
            continue;
        }
        let importance = rng.gen_bool(0.5).then(|| {
            let empathy = rng.gen_range(20..40);
            let reliability = rng.gen_range(20..35);
            let responsiveness = rng.gen_range(10..25);
            let assurance = rng.gen_range(5..15);
            [
                (Dimension::Empathy, empathy),
                (Dimension::Reliability, reliability),
                (Dimension::Responsiveness, responsiveness),
                (Dimension::Assurance, assurance),
                (
                    Dimension::Tangibles,
                    100 - empathy - reliability - responsiveness - assurance,
                ),
            ]
            .into()
        });
        let roll: f64 = rng.gen();
        let mut cumulative = 0.0;
        let preferred = channels
            .iter()
            .zip(preference)
            .find(|(_, p)| {
                cumulative += p;
                roll < cumulative
            })
            .map(|(c, _)| *c)
            .unwrap_or(Channel::Chat);
        let day = local_day(at, &site.row.time_zone);
        let id = uuid::Builder::from_random_bytes(rng.gen()).into_uuid();
        let response = NewResponse {
            id: id.to_string(),
            cell: Cell {
                organization_id: org.to_string(),
                audience: Audience::Customer,
                location_id: site.row.id.clone(),
                region: site.row.region.clone(),
                segment: if rng.gen_bool(0.8) {
                    Segment::B2c
                } else {
                    Segment::B2b
                }
                .as_str()
                .to_string(),
                channel: Channel::InPerson.as_str().to_string(),
                period_start: day,
                period_end: day,
            },
            instrument_version_id: customer.clone(),
            link_id: None,
            invitation_id: None,
            respondent_id: None,
            language: if rng.gen_bool(0.3) { "ar" } else { "en" }.into(),
            answers: Answers {
                ratings,
                importance,
                preferred_channel: Some(preferred),
            },
        };
        store::record(conn, &content, &book, response, at)?;
        made += 1;
    }
    // Management: the organization and each region, every quarter of the period.
    let mut regions: Vec<String> = sites.iter().map(|s| s.row.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let first = (now - TimeDelta::days(i64::from(plan.days))).date();
    let mut quarter = NaiveDate::from_ymd_opt(first.year(), (first.month0() / 3) * 3 + 1, 1)
        .ok_or_else(|| ApiError::internal("no quarter"))?;
    let mut answers = 0;
    while quarter <= now.date() {
        let next = quarter
            .checked_add_months(chrono::Months::new(3))
            .ok_or_else(|| ApiError::internal("no next quarter"))?;
        for region in std::iter::once(String::new()).chain(regions.iter().cloned()) {
            let ratings = m_content
                .items
                .iter()
                .map(|item| {
                    let believed = if UNDERRATED.contains(&item.key.as_str()) {
                        rng.gen_range(3.5..5.0)
                    } else {
                        rng.gen_range(5.4..7.2)
                    };
                    Rating {
                        item: item.key.clone(),
                        expectation: Some(clamp(believed, min, max)),
                        perception: None,
                    }
                })
                .collect();
            let response = NewResponse {
                id: uuid::Builder::from_random_bytes(rng.gen())
                    .into_uuid()
                    .to_string(),
                cell: Cell {
                    organization_id: org.to_string(),
                    audience: Audience::Management,
                    location_id: String::new(),
                    region,
                    segment: String::new(),
                    channel: String::new(),
                    period_start: quarter,
                    period_end: next - TimeDelta::days(1),
                },
                instrument_version_id: management.clone(),
                link_id: None,
                invitation_id: None,
                respondent_id: Some(manager.to_string()),
                language: "en".into(),
                answers: Answers {
                    ratings,
                    importance: None,
                    preferred_channel: Some(if rng.gen_bool(0.6) {
                        Channel::Phone
                    } else {
                        Channel::InPerson
                    }),
                },
            };
            store::record(conn, &m_content, &m_book, response, now)?;
            answers += 1;
        }
        quarter = next;
    }
    Ok((made, answers))
}
