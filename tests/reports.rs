//! Gap reports over a known set of approved visits, every figure worked out by hand, and the
//! roll-ups moving with edits and late rejections exactly as a rebuild would have them.

mod common;

use chrono::{Duration, Utc};
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

/// Submits and approves one visit per answer set, all at one location.
async fn approved_visits(app: &TestApp, org: &Org, answers: &[Value]) -> Vec<Visit> {
    let manager = Some(org.manager.access_token.as_str());
    let shopper = Some(org.shopper.access_token.as_str());
    let version = app
        .post("/v1/checklists/import?publish=true", manager, checklist())
        .await
        .expect(201)
        .body["id"]
        .clone();
    let location = app
        .post("/v1/locations", manager, json!({"code": "L1", "name": "Branch", "region": "East", "segment": "b2c", "latitude": 52.52, "longitude": 13.40, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
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
    let mut out = Vec::new();
    for answer in answers {
        let assignment = app
            .post("/v1/assignments", manager, json!({"location_id": location, "checklist_version_id": version, "shopper_id": org.shopper.id,
                "window_start": (Utc::now() - Duration::days(1)).to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339()}))
            .await
            .expect(201)
            .body["id"].as_str().unwrap().to_string();
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
                "visit_start": (Utc::now() - Duration::minutes(40)).to_rfc3339(),
                "visit_end": (Utc::now() - Duration::minutes(10)).to_rfc3339()}),
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
        out.push(Visit { submission: id });
    }
    out
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
    let month = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m")
        .to_string();
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
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
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
        .client
        .get(format!("{}/v1/reports/gaps?format=csv", app.base))
        .bearer_auth(&org.manager.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
        "format=xml",
    ] {
        app.get(&format!("/v1/reports/gaps?{bad}"), manager)
            .await
            .expect_problem(422);
    }
    app.get("/v1/reports/gaps?from=yesterday", manager)
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
