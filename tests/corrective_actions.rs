//! Service recovery over HTTP, as a manager and a shopper would go through it: visits make a
//! gap significant, the suggestion appears, an action is opened with its baseline, training is
//! recorded, the action is marked done, its verifying re-shops are shopped and reviewed, and the
//! approval of the last decides it; the effect's interval is checked against figures worked out
//! by hand.

mod common;

use chrono::{Duration, Utc};
use common::{Org, TestApp};
use serde_json::{json, Value};

/// S1 (empathy, target 0.9): `greeted` yes/no. S2 (tangibles, target 0.8): `clean` yes/no. The
/// book's protocol "Greeting a visitor" teaches S1.
fn checklist() -> Value {
    json!({
        "format": "shopgap.checklist/v1", "name": "Visit", "channel": "in_person",
        "sections": [{"title": "All", "items": [
            {"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "S1"},
            {"key": "clean", "prompt": "Clean?", "type": "yes_no", "standard": "S2"},
        ]}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [],
            "protocols": [{"name": "Greeting a visitor", "situation": "A visitor comes in",
                           "steps": [{"text": "Greet within ten seconds", "standards": ["S1"]}]}],
            "standards": [
                {"code": "S1", "text": "Greet warmly", "dimension": "empathy", "channels": ["in_person"], "target": 0.9},
                {"code": "S2", "text": "Keep it clean", "dimension": "tangibles", "channels": ["in_person"], "target": 0.8},
            ]},
    })
}

fn answers(greeted: bool) -> Value {
    json!({"greeted": {"value": greeted}, "clean": {"value": true}})
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is no number"));
    assert!((a - expected).abs() < 1e-5, "{a} != {expected}");
}

/// A published checklist version; the organization's cooldown off and minimum sample 3.
async fn setup(app: &TestApp, org: &Org) -> String {
    let manager = Some(org.manager.access_token.as_str());
    let version = app
        .post("/v1/checklists/import?publish=true", manager, checklist())
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let etag = app
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
            .header("If-Match", etag)
            .json(&json!({"cooldown_days": 0, "min_sample_size": 3})),
    )
    .await
    .expect(200);
    version
}

async fn location(app: &TestApp, org: &Org, code: &str) -> String {
    app.post("/v1/locations", Some(&org.manager.access_token), json!({"code": code, "name": format!("Branch {code}"), "region": "East", "segment": "b2c", "latitude": 52.52, "longitude": 13.40, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
        .await
        .expect(201)
        .body["id"].as_str().unwrap().to_string()
}

/// The shopper takes `assignment` and submits a visit starting `start` from now; returns the
/// submission's id and version.
async fn shop(
    app: &TestApp,
    org: &Org,
    assignment: &str,
    start: Duration,
    greeted: bool,
) -> (String, Value) {
    let shopper = Some(org.shopper.access_token.as_str());
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
            json!({"assignment_id": assignment, "answers": answers(greeted),
                   "visit_start": (Utc::now() + start).to_rfc3339(),
                   "visit_end": (Utc::now() + start + Duration::minutes(20)).to_rfc3339()}),
        )
        .await
        .expect(200)
        .body;
    (id, sent["version"].clone())
}

async fn review(app: &TestApp, org: &Org, (id, version): &(String, Value), decision: &str) {
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{id}/{decision}", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({"comment": "reviewed"})),
    )
    .await
    .expect(200);
}

/// Approved baseline visits two days ago (outside the day the action is marked done).
async fn past_visits(app: &TestApp, org: &Org, version: &str, location: &str, greeted: &[bool]) {
    for g in greeted {
        let assignment = app
            .post("/v1/assignments", Some(&org.manager.access_token),
                  json!({"location_id": location, "checklist_version_id": version, "shopper_id": org.shopper.id,
                         "window_start": (Utc::now() - Duration::days(3)).to_rfc3339(),
                         "window_end": (Utc::now() + Duration::days(1)).to_rfc3339()}))
            .await
            .expect(201)
            .body["id"].as_str().unwrap().to_string();
        let sent = shop(app, org, &assignment, -Duration::days(2), *g).await;
        review(app, org, &sent, "approve").await;
    }
}

async fn action(app: &TestApp, org: &Org, id: &str) -> (Value, String) {
    let r = app
        .get(
            &format!("/v1/corrective-actions/{id}"),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200);
    let etag = r.header("etag").unwrap();
    (r.body, etag)
}

/// A move with the action's current ETag.
async fn step(app: &TestApp, org: &Org, id: &str, what: &str, body: Value) -> common::Resp {
    let (_, etag) = action(app, org, id).await;
    app.send(
        app.client
            .post(format!("{}/v1/corrective-actions/{id}/{what}", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", etag)
            .json(&body),
    )
    .await
}

fn planned(action: &Value) -> Vec<String> {
    action["reshops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "planned")
        .map(|r| r["assignment_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn the_loop_from_gap_to_verified_action_with_its_effect() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    let version = setup(&app, &org).await;
    let l1 = location(&app, &org, "L1").await;
    // Four visits that never greet: S1 delivered 0 over n = 4, Wilson upper end
    // z²/(n + z²) = 3.8416/7.8416 = 0.489900, below the target 0.9: significant and reliable.
    past_visits(&app, &org, &version, &l1, &[false; 4]).await;

    let suggestions = app
        .get("/v1/corrective-actions/suggestions", manager)
        .await
        .expect(200)
        .body;
    let items = suggestions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{suggestions}");
    assert_eq!(items[0]["location_id"], l1.as_str());
    assert_eq!(items[0]["standard"], "S1");
    assert_eq!(items[0]["n"], 4);
    close(&items[0]["ci_high"], 0.489_900);
    close(&items[0]["gap"], 0.9);

    // Opened: the baseline is frozen.
    let opened = app
        .post("/v1/corrective-actions", manager, json!({
            "location_id": l1, "standard": "S1", "kind": "training", "owner_id": org.manager.id,
            "due_date": (Utc::now() + Duration::days(30)).date_naive(), "plan": "Greeting drill every morning",
            "reshop_count": 2}))
        .await
        .expect(201);
    assert_eq!(opened.header("etag").as_deref(), Some("\"1\""));
    let id = opened.body["id"].as_str().unwrap().to_string();
    let a = &opened.body;
    assert_eq!(a["status"], "open");
    assert_eq!(a["overdue"], false);
    assert_eq!(a["location_code"], "L1");
    assert_eq!(a["baseline"]["n"], 4);
    close(&a["baseline"]["delivered"], 0.0);
    close(&a["baseline"]["ci_low"], 0.0);
    close(&a["baseline"]["ci_high"], 0.489_900);
    close(&a["baseline"]["target"], 0.9);
    assert!(a["effect"].is_null());
    // The gap now has an open action: no longer suggested, and the gap report names it.
    let suggestions = app
        .get("/v1/corrective-actions/suggestions", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(suggestions["items"], json!([]));
    let gaps = app
        .get("/v1/reports/gaps?group_by=standard,location", manager)
        .await
        .expect(200)
        .body;
    let s1 = gaps["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["standard"] == "S1")
        .unwrap();
    assert_eq!(s1["open_action_id"], id.as_str());

    // Illegal moves answer 409 with the current state; a stale ETag 412.
    let early = step(&app, &org, &id, "done", json!({})).await;
    assert_eq!(early.expect_problem(409).body["current_state"], "open");
    let stale = app
        .send(
            app.client
                .post(format!("{}/v1/corrective-actions/{id}/start", app.base))
                .bearer_auth(&org.manager.access_token)
                .header("If-Match", "\"7\"")
                .json(&json!({})),
        )
        .await;
    stale.expect_problem(412);

    // Training names the book's protocols; an unknown one is refused.
    let training = app
        .post(&format!("/v1/corrective-actions/{id}/training-sessions"), manager,
              json!({"held_on": Utc::now().date_naive() - Duration::days(1), "protocols": ["Greeting a visitor"], "attendees": 7, "notes": "All staff"}))
        .await
        .expect(201)
        .body;
    assert_eq!(training["standards"], json!(["S1"]));
    assert_eq!(training["protocols"], json!(["Greeting a visitor"]));
    let unknown = app
        .post(
            &format!("/v1/corrective-actions/{id}/training-sessions"),
            manager,
            json!({"held_on": "2026-01-01", "protocols": ["Juggling"], "attendees": 1}),
        )
        .await;
    assert!(unknown
        .expect_problem(422)
        .body
        .to_string()
        .contains("Juggling"));

    step(&app, &org, &id, "start", json!({})).await.expect(200);
    let done = step(&app, &org, &id, "done", json!({"note": "drills held"}))
        .await
        .expect(200)
        .body;
    assert_eq!(done["status"], "awaiting_verification");
    assert_eq!(done["round"], 1);
    let reshops = planned(&done);
    assert_eq!(reshops.len(), 2);

    // A re-shop is an ordinary open job: for the shopper it looks like any other shop.
    let ordinary = app
        .post(
            "/v1/assignments",
            manager,
            json!({"location_id": l1, "checklist_version_id": version,
              "scenario": "Ask about opening hours", "window_start": Utc::now().to_rfc3339(),
              "window_end": (Utc::now() + Duration::days(14)).to_rfc3339()}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shopper = Some(org.shopper.access_token.as_str());
    let board = app.get("/v1/job-board", shopper).await.expect(200).body;
    let job = |id: &str| {
        board["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["assignment"]["id"] == id)
            .map(|j| j["assignment"].clone())
            .unwrap_or_else(|| panic!("{id} is not on the job board: {board}"))
    };
    let (reshop_view, ordinary_view) = (job(&reshops[0]), job(&ordinary));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&reshop_view), keys(&ordinary_view));
    let text = reshop_view.to_string();
    assert!(
        !text.contains(&id) && !text.contains("corrective") && !text.contains("verif"),
        "{text}"
    );

    // First re-shop greets and is approved: one of two, still waiting.
    let first = shop(&app, &org, &reshops[0], Duration::minutes(1), true).await;
    review(&app, &org, &first, "approve").await;
    let (a, _) = action(&app, &org, &id).await;
    assert_eq!(a["status"], "awaiting_verification");
    // The second is rejected: a new re-shop takes its place on the same terms.
    let second = shop(&app, &org, &reshops[1], Duration::minutes(1), true).await;
    review(&app, &org, &second, "reject").await;
    let (a, _) = action(&app, &org, &id).await;
    assert_eq!(a["status"], "awaiting_verification");
    let states: Vec<&str> = a["reshops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["approved", "replaced", "planned"], "{a}");
    close(&a["reshops"][0]["compliance"], 1.0);
    let replacement = planned(&a).pop().unwrap();
    // The last approval decides: mean compliance 1.0 ≥ 0.9, verified.
    let third = shop(&app, &org, &replacement, Duration::minutes(1), true).await;
    review(&app, &org, &third, "approve").await;
    let (a, _) = action(&app, &org, &id).await;
    assert_eq!(a["status"], "verified", "{a}");
    close(&a["verified_compliance"], 1.0);

    // Effect: after, the two approved re-shops (the rejected one is not a visit): n = 2,
    // delivered 1, Wilson (2/5.8416, 1) = (0.342372, 1). Before: n = 4, delivered 0,
    // (0, 0.489900). Newcombe: δ = 1; low = 1 − √((1 − 0.342372)² + 0.489900²) = 0.179953;
    // high = 1 + √(0 + 0) = 1. Improved.
    let effect = &a["effect"];
    assert_eq!(effect["after"]["n"], 2);
    close(&effect["after"]["ci_low"], 0.342_372);
    close(&effect["difference"], 1.0);
    close(&effect["ci_low"], 0.179_953);
    close(&effect["ci_high"], 1.0);
    assert_eq!(effect["improved"], true);
    let effects = app
        .get("/v1/corrective-actions/effects", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(
        effects["by_kind"],
        json!([{"kind": "training", "actions": 1, "measured": 1, "improved": 1, "mean_difference": 1.0}])
    );

    // Every change is in the history and in the feed.
    let history = app
        .get(&format!("/v1/corrective-actions/{id}/history"), manager)
        .await
        .expect(200)
        .body;
    let changes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "opened",
            "training_recorded",
            "started",
            "done",
            "reshop_replaced",
            "verified"
        ]
    );
    assert!(history[5]["actor_id"].is_null());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let feed = app.get("/v1/events?types=corrective_action.opened,corrective_action.changed,corrective_action.verified&limit=500", manager).await.expect(200).body;
        let types: Vec<String> = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["data"]["action_id"] == id.as_str())
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect();
        if types.len() == 6 || std::time::Instant::now() > deadline {
            assert_eq!(
                types.first().map(String::as_str),
                Some("corrective_action.opened"),
                "{types:?}"
            );
            assert_eq!(
                types.last().map(String::as_str),
                Some("corrective_action.verified"),
                "{types:?}"
            );
            assert_eq!(types.len(), 6, "{types:?}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Shoppers never see actions.
    app.get("/v1/corrective-actions", shopper)
        .await
        .expect_problem(403);
    app.get(&format!("/v1/corrective-actions/{id}"), shopper)
        .await
        .expect_problem(403);
}

#[actix_web::test]
async fn an_unverified_action_goes_back_to_work_shows_overdue_and_can_be_cancelled() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    let version = setup(&app, &org).await;
    let l2 = location(&app, &org, "L2").await;
    past_visits(&app, &org, &version, &l2, &[false; 3]).await;
    let id = app
        .post("/v1/corrective-actions", manager, json!({
            "location_id": l2, "standard": "S1", "kind": "coaching", "owner_id": org.manager.id,
            "due_date": (Utc::now() + Duration::days(10)).date_naive(), "plan": "Coach the greeter"}))
        .await
        .expect(201)
        .body["id"].as_str().unwrap().to_string();
    // A shopper cannot own an action.
    let (_, etag) = action(&app, &org, &id).await;
    let bad_owner = app
        .send(app.client.put(format!("{}/v1/corrective-actions/{id}", app.base))
            .bearer_auth(&org.manager.access_token).header("If-Match", etag)
            .json(&json!({"kind": "coaching", "owner_id": org.shopper.id, "due_date": "2099-01-01", "plan": "x", "reshop_count": 1})))
        .await;
    assert!(bad_owner
        .expect_problem(422)
        .body
        .to_string()
        .contains("owner_id"));

    step(&app, &org, &id, "start", json!({})).await.expect(200);
    let done = step(&app, &org, &id, "done", json!({}))
        .await
        .expect(200)
        .body;
    let reshop = planned(&done).pop().unwrap();
    // The re-shop still does not greet: 0 < 0.9, not verified.
    let visit = shop(&app, &org, &reshop, Duration::minutes(1), false).await;
    review(&app, &org, &visit, "approve").await;
    let (a, _) = action(&app, &org, &id).await;
    assert_eq!(a["status"], "not_verified");
    close(&a["verified_compliance"], 0.0);
    // After 0 over 1 against before 0 over 3: no improvement.
    assert_eq!(a["effect"]["improved"], false);
    close(&a["effect"]["difference"], 0.0);

    // Back to work, then past its due date: overdue is derived and filterable.
    step(&app, &org, &id, "reopen", json!({"note": "coach again"}))
        .await
        .expect(200);
    let (_, etag) = action(&app, &org, &id).await;
    let yesterday = (Utc::now() - Duration::days(2)).date_naive();
    let edited = app
        .send(app.client.put(format!("{}/v1/corrective-actions/{id}", app.base))
            .bearer_auth(&org.manager.access_token).header("If-Match", etag)
            .json(&json!({"kind": "coaching", "owner_id": org.manager.id, "due_date": yesterday, "plan": "Coach again", "reshop_count": 1})))
        .await
        .expect(200)
        .body;
    assert_eq!(edited["status"], "in_progress");
    assert_eq!(edited["overdue"], true);
    let overdue = app
        .get("/v1/corrective-actions?overdue=true", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    let not_overdue = app
        .get("/v1/corrective-actions?overdue=false", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(not_overdue["items"], json!([]));
    let card = app
        .get(&format!("/v1/reports/scorecard?location_id={l2}"), manager)
        .await
        .expect(200)
        .body;
    assert_eq!(card["overdue_actions"], 1);
    assert_eq!(card["corrective_actions"][0]["id"], id.as_str());

    // Cancelling needs a reason; once cancelled, nothing more moves.
    step(&app, &org, &id, "cancel", json!({}))
        .await
        .expect_problem(422);
    let cancelled = step(
        &app,
        &org,
        &id,
        "cancel",
        json!({"note": "branch is being refitted"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["overdue"], false);
    let again = step(&app, &org, &id, "start", json!({})).await;
    assert_eq!(again.expect_problem(409).body["current_state"], "cancelled");
    let history = app
        .get(&format!("/v1/corrective-actions/{id}/history"), manager)
        .await
        .expect(200)
        .body;
    let changes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "opened",
            "started",
            "done",
            "not_verified",
            "reopened",
            "edited",
            "cancelled"
        ]
    );
    assert_eq!(history[5]["note"], "changed due_date, plan");

    // Another organization's manager finds nothing.
    let rival = app.seed_org("Rival").await;
    app.get(
        &format!("/v1/corrective-actions/{id}"),
        Some(&rival.manager.access_token),
    )
    .await
    .expect_problem(404);
}
