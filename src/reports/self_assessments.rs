//! Self-assessments: what managers believe a location (or the organization) delivers on a
//! standard over a period, and the self-assessment gap (believed − delivered) beside the
//! delivery gap. Recording the same scope, standard and period again replaces the belief.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::GapQuery;
use super::rules::{span_too_long, MAX_SPAN_YEARS};
use super::service::{gap_report_with, OrgFacts};
use crate::contract::types::Code;
use crate::db::schema::{locations, self_assessments};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};

/// A belief to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordSelfAssessment {
    /// The location; absent for the organization as a whole.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    /// The standard's code.
    #[schema(value_type = Code)]
    pub standard: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// The share of visits believed to comply, 0 to 1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub believed: f64,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A recorded belief.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfAssessment {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    #[schema(value_type = Code)]
    pub standard: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub believed: f64,
    pub note: Option<String>,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub recorded_by: Option<String>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SelfAssessmentQuery {
    /// Only beliefs about this location.
    #[param(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    /// Only beliefs about this standard.
    #[param(value_type = Option<Code>)]
    pub standard: Option<String>,
    /// Only beliefs whose period overlaps `from`..`to`.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Believed, delivered and both gaps for each recorded belief, and the organization-wide mean
/// of believed − delivered: the "we think we are better than we are" figure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfAssessmentReport {
    pub rows: Vec<SelfAssessmentRow>,
    /// Mean of `self_gap` over rows with visits; positive: beliefs run above delivery.
    pub mean_self_gap: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfAssessmentRow {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub location_id: Option<String>,
    #[schema(value_type = Code)]
    pub standard: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub believed: f64,
    /// Approved visits in scope where the standard was observed.
    pub n: i64,
    pub delivered: Option<f64>,
    pub target: Option<f64>,
    /// Believed − delivered.
    pub self_gap: Option<f64>,
    /// Target − delivered.
    pub delivery_gap: Option<f64>,
    pub reliable: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = self_assessments, treat_none_as_null = true)]
struct Row {
    id: String,
    organization_id: String,
    location_id: Option<String>,
    standard_code: String,
    period_from: NaiveDate,
    period_to: NaiveDate,
    believed: f64,
    note: Option<String>,
    recorded_by: Option<String>,
    recorded_at: NaiveDateTime,
}

fn to_dto(row: Row) -> SelfAssessment {
    SelfAssessment {
        id: row.id,
        location_id: row.location_id,
        standard: row.standard_code,
        period_from: row.period_from,
        period_to: row.period_to,
        believed: row.believed,
        note: row.note,
        recorded_by: row.recorded_by,
        recorded_at: row.recorded_at.and_utc(),
    }
}

/// Records a belief, or replaces the one for the same scope, standard and period. Returns it and
/// whether it is new.
pub fn record(
    conn: &mut DbConn,
    org: &str,
    by: Option<&str>,
    input: RecordSelfAssessment,
    now: NaiveDateTime,
) -> ApiResult<(SelfAssessment, bool)> {
    let mut problems = Vec::new();
    if input.period_from > input.period_to {
        problems.push(FieldError::new(
            "period_from",
            "must not be after period_to",
        ));
    } else if span_too_long(input.period_from, input.period_to) {
        // The bound reports use: a belief must be a period a report can read.
        problems.push(FieldError::new(
            "period_to",
            format!("a period spans at most {MAX_SPAN_YEARS} years"),
        ));
    }
    crate::validation::reject_if_any(problems)?;
    if let Some(location) = &input.location_id {
        let known: i64 = locations::table
            .filter(locations::organization_id.eq(org))
            .filter(locations::id.eq(location))
            .count()
            .get_result(conn)?;
        if known == 0 {
            return Err(ApiError::unprocessable("location_id", "no such location"));
        }
    }
    let mut existing = self_assessments::table
        .filter(self_assessments::organization_id.eq(org))
        .filter(self_assessments::standard_code.eq(&input.standard))
        .filter(self_assessments::period_from.eq(input.period_from))
        .filter(self_assessments::period_to.eq(input.period_to))
        .select(Row::as_select())
        .into_boxed();
    existing = match &input.location_id {
        Some(l) => existing.filter(self_assessments::location_id.eq(l.clone())),
        None => existing.filter(self_assessments::location_id.is_null()),
    };
    let existing: Option<Row> = existing.get_result(conn).optional()?;
    let row = Row {
        id: existing
            .as_ref()
            .map(|r| r.id.clone())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        organization_id: org.to_string(),
        location_id: input.location_id,
        standard_code: input.standard,
        period_from: input.period_from,
        period_to: input.period_to,
        believed: input.believed,
        note: input.note,
        recorded_by: by.map(str::to_string),
        recorded_at: now,
    };
    let created = existing.is_none();
    if created {
        diesel::insert_into(self_assessments::table)
            .values(&row)
            .execute(conn)?;
    } else {
        diesel::update(self_assessments::table.find(&row.id))
            .set(&row)
            .execute(conn)?;
    }
    Ok((to_dto(row), created))
}

fn find(conn: &mut DbConn, org: &str, query: &SelfAssessmentQuery) -> ApiResult<Vec<Row>> {
    let mut q = self_assessments::table
        .filter(self_assessments::organization_id.eq(org))
        .select(Row::as_select())
        .order((
            self_assessments::standard_code,
            self_assessments::period_from,
            self_assessments::id,
        ))
        .limit(1000)
        .into_boxed();
    if let Some(l) = &query.location_id {
        q = q.filter(self_assessments::location_id.eq(l.clone()));
    }
    if let Some(s) = &query.standard {
        q = q.filter(self_assessments::standard_code.eq(s.clone()));
    }
    if let Some(from) = query.from {
        q = q.filter(self_assessments::period_to.ge(from));
    }
    if let Some(to) = query.to {
        q = q.filter(self_assessments::period_from.le(to));
    }
    Ok(q.load(conn)?)
}

/// Recorded beliefs (at most 1,000), by standard and period.
pub fn list(
    conn: &mut DbConn,
    org: &str,
    query: &SelfAssessmentQuery,
) -> ApiResult<Vec<SelfAssessment>> {
    Ok(find(conn, org, query)?.into_iter().map(to_dto).collect())
}

/// Deletes a belief; another organization's is not found.
pub fn delete(conn: &mut DbConn, org: &str, id: &str) -> ApiResult<()> {
    let deleted = diesel::delete(
        self_assessments::table
            .filter(self_assessments::organization_id.eq(org))
            .filter(self_assessments::id.eq(id)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(ApiError::NotFound("no such self-assessment".into()));
    }
    Ok(())
}

/// Each belief beside what approved visits show for the same scope, standard and period.
pub fn report(
    conn: &mut DbConn,
    org: &str,
    query: &SelfAssessmentQuery,
    today: NaiveDate,
) -> ApiResult<SelfAssessmentReport> {
    let facts = OrgFacts::load(conn, org)?;
    let mut rows = Vec::new();
    for belief in find(conn, org, query)? {
        // A belief recorded before periods were bounded may span more than a report reads: it
        // is shown unmeasured rather than failing the report for the whole organization.
        let measurable = !span_too_long(belief.period_from, belief.period_to);
        let delivered = if !measurable {
            None
        } else {
            gap_report_with(
                conn,
                org,
                &facts,
                &GapQuery {
                    from: Some(belief.period_from),
                    to: Some(belief.period_to),
                    location_id: belief.location_id.clone(),
                    standard: Some(belief.standard_code.clone()),
                    ..Default::default()
                },
                today,
            )?
            .rows
            .into_iter()
            .next()
        };
        let measured = delivered.as_ref().map(|d| d.delivered);
        rows.push(SelfAssessmentRow {
            id: belief.id,
            location_id: belief.location_id,
            standard: belief.standard_code,
            period_from: belief.period_from,
            period_to: belief.period_to,
            believed: belief.believed,
            n: delivered.as_ref().map_or(0, |d| d.n),
            delivered: measured,
            target: delivered.as_ref().and_then(|d| d.target),
            self_gap: measured.map(|m| belief.believed - m),
            delivery_gap: delivered.as_ref().and_then(|d| d.gap),
            reliable: delivered.as_ref().is_some_and(|d| d.reliable),
        });
    }
    let gaps: Vec<f64> = rows.iter().filter_map(|r| r.self_gap).collect();
    let mean_self_gap = (!gaps.is_empty()).then(|| gaps.iter().sum::<f64>() / gaps.len() as f64);
    Ok(SelfAssessmentReport {
        rows,
        mean_self_gap,
    })
}
