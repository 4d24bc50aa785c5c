//! Assignments over HTTP: planning, every lifecycle path, every fair-play rule, the job board and
//! the race of two shoppers for one job.

mod common;

use chrono::{Duration, Utc};
use common::{Org, TestApp};
use serde_json::{json, Value};

struct Plan {
    checklist_version_id: String,
    locations: Vec<String>,
}

fn checklist_document() -> Value {
    json!({
        "format": "shopgap.checklist/v1", "name": "Showroom", "channel": "in_person",
        "sections": [{"title": "A", "items": [{"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "GRT-01"}]}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
            "standards": [{"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person", "phone"], "target": 0.9}]},
    })
}

/// A published in-person checklist and `n` locations (the first at Berlin's centre, the others
/// farther east), plus a phone-only location last.
async fn plan(app: &TestApp, org: &Org, n: usize) -> Plan {
    let token = Some(org.manager.access_token.as_str());
    let checklist = app
        .post(
            "/v1/checklists/import?publish=true",
            token,
            checklist_document(),
        )
        .await
        .expect(201)
        .body;
    let mut locations = Vec::new();
    for i in 0..n {
        let body = json!({"code": format!("L{i}"), "name": format!("Branch {i}"), "region": if i % 2 == 0 { "East" } else { "West" },
                          "segment": "b2c", "latitude": 52.52, "longitude": 13.40 + i as f64 * 0.1, "time_zone": "Europe/Berlin",
                          "channels": ["in_person"]});
        locations.push(
            app.post("/v1/locations", token, body)
                .await
                .expect(201)
                .body["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    Plan {
        checklist_version_id: checklist["id"].as_str().unwrap().to_string(),
        locations,
    }
}

fn window() -> (String, String) {
    (
        (Utc::now() - Duration::hours(1)).to_rfc3339(),
        (Utc::now() + Duration::days(7)).to_rfc3339(),
    )
}

async fn create(
    app: &TestApp,
    org: &Org,
    plan: &Plan,
    location: usize,
    shopper: Option<&str>,
) -> common::Resp {
    let (start, end) = window();
    app.post(
        "/v1/assignments",
        Some(&org.manager.access_token),
        json!({"location_id": plan.locations[location], "checklist_version_id": plan.checklist_version_id,
               "scenario": "Ask about financing a family car", "window_start": start, "window_end": end,
               "fee_cents": 2500, "shopper_id": shopper}),
    )
    .await
}

fn act(id: &str, action: &str) -> String {
    format!("/v1/assignments/{id}/{action}")
}

#[actix_web::test]
async fn the_happy_path_from_the_board_to_check_in_is_recorded() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 1).await;
    let shopper = Some(org.shopper.access_token.as_str());

    let created = create(&app, &org, &plan, 0, None).await.expect(201);
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["status"], "open");
    assert_eq!(created.body["channel"], "in_person");
    assert_eq!(
        created.body["segment"], "b2c",
        "defaults to the location's segment"
    );
    assert_eq!(created.body["location_code"], "L0");

    let board = app.get("/v1/job-board", shopper).await.expect(200).body;
    assert_eq!(board["items"][0]["assignment"]["id"], id);

    let accepted = app
        .post(&act(&id, "accept"), shopper, json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["shopper_id"], org.shopper.id);
    assert!(app.get("/v1/job-board", shopper).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // A check-in 1 km away is kept and flagged; one on site is not flagged.
    let far = app.post(&act(&id, "check-in"), shopper, json!({"latitude": 52.529, "longitude": 13.40, "accuracy_m": 12, "device_time": Utc::now().to_rfc3339()})).await.expect(200).body;
    assert_eq!(far["check_in"]["outside_geofence"], true);
    assert!(far["check_in"]["distance_m"].as_f64().unwrap() > 900.0);
    let near = app
        .post(
            &act(&id, "check-in"),
            shopper,
            json!({"latitude": 52.5201, "longitude": 13.4001}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(near["check_in"]["outside_geofence"], false);

    // The shopper sees it among their own; the manager reads its history.
    let mine = app.get("/v1/assignments", shopper).await.expect(200).body;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let history = app
        .get(
            &format!("/v1/assignments/{id}/history"),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    let steps: Vec<(&str, Option<&str>, &str)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["from_status"].as_str(),
                e["to_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("create", None, "open"),
            ("accept", Some("open"), "accepted")
        ]
    );
    assert_eq!(history["items"][1]["actor_id"], org.shopper.id);

    // The app's cached copy: 304 while unchanged.
    let current = app
        .get(&format!("/v1/assignments/{id}"), shopper)
        .await
        .expect(200);
    let etag = current.header("etag").unwrap();
    let cached = app
        .send(
            app.client
                .get(format!("{}/v1/assignments/{id}", app.base))
                .bearer_auth(&org.shopper.access_token)
                .header("If-None-Match", &etag),
        )
        .await;
    assert_eq!(cached.status, 304);
}

#[actix_web::test]
async fn offers_declines_reassignment_and_cancellation() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 1).await;
    let manager = Some(org.manager.access_token.as_str());
    let (second, second_token) = app.new_shopper(&org, "second").await;

    let offered = create(&app, &org, &plan, 0, Some(&org.shopper.id))
        .await
        .expect(201)
        .body;
    let id = offered["id"].as_str().unwrap().to_string();
    assert_eq!(offered["status"], "assigned");
    // Another shopper can neither see nor take an offer made to someone else.
    app.get(&format!("/v1/assignments/{id}"), Some(&second_token))
        .await
        .expect_problem(404);
    app.post(&act(&id, "accept"), Some(&second_token), json!({}))
        .await
        .expect_problem(409);
    // Declining puts it back on the board, with the reason recorded.
    let declined = app
        .post(
            &act(&id, "decline"),
            Some(&org.shopper.access_token),
            json!({"reason": "ill"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(declined["status"], "open");
    assert!(declined["shopper_id"].is_null());
    // Offering an open job works; offering it again is a 409 naming the state.
    app.post(
        &act(&id, "offer"),
        manager,
        json!({"shopper_id": org.shopper.id}),
    )
    .await
    .expect(200);
    let again = app
        .post(&act(&id, "offer"), manager, json!({"shopper_id": second}))
        .await
        .expect_problem(409)
        .body;
    assert_eq!(again["current_state"], "assigned");
    let moved = app
        .post(
            &act(&id, "reassign"),
            manager,
            json!({"shopper_id": second}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(moved["shopper_id"], second);
    app.post(&act(&id, "accept"), Some(&second_token), json!({}))
        .await
        .expect(200);
    // A decline with no body at all is fine.
    let bare = app
        .send(
            app.client
                .post(format!("{}{}", app.base, act(&id, "decline")))
                .bearer_auth(&second_token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(bare["status"], "open");

    let cancelled = app
        .post(
            &act(&id, "cancel"),
            manager,
            json!({"reason": "branch closed"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(cancelled["status"], "cancelled");
    for (action, token) in [
        ("accept", org.shopper.access_token.as_str()),
        ("cancel", org.manager.access_token.as_str()),
    ] {
        let refused = app
            .post(&act(&id, action), Some(token), json!({}))
            .await
            .expect_problem(409)
            .body;
        assert_eq!(refused["current_state"], "cancelled");
    }
    let refused = app
        .post(
            &act(&id, "reopen"),
            manager,
            json!({"window_start": window().0, "window_end": window().1}),
        )
        .await
        .expect_problem(409)
        .body;
    assert_eq!(refused["current_state"], "cancelled");
    let history = app
        .get(&format!("/v1/assignments/{id}/history"), manager)
        .await
        .body;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create", "offer", "decline", "offer", "reassign", "accept", "decline", "cancel"]
    );
    assert_eq!(history["items"][2]["reason"], "ill");
    // Check-in only on an accepted assignment.
    app.post(
        &act(&id, "check-in"),
        Some(&org.shopper.access_token),
        json!({"latitude": 52.5, "longitude": 13.4}),
    )
    .await
    .expect_problem(404);
}

#[actix_web::test]
async fn every_fair_play_rule_refuses_by_name() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 3).await;
    let manager = Some(org.manager.access_token.as_str());
    let shopper = org.shopper.access_token.as_str();
    let rule = |r: &common::Resp| r.body["errors"][0]["field"].as_str().unwrap().to_string();

    // Excluded: known to staff at L0, never offered there and never shown it on the board.
    app.post(
        "/v1/me/exclusions",
        Some(shopper),
        json!({"location_code": "L0"}),
    )
    .await
    .expect(201);
    let at_l0 = create(&app, &org, &plan, 0, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = app
        .post(
            &act(&at_l0, "offer"),
            manager,
            json!({"shopper_id": org.shopper.id}),
        )
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "eligibility.excluded");
    let refused = app
        .post(&act(&at_l0, "accept"), Some(shopper), json!({}))
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "eligibility.excluded");
    let board: Vec<String> = app.get("/v1/job-board", Some(shopper)).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            j["assignment"]["location_code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!board.contains(&"L0".to_string()));

    // Cap: at most N active assignments.
    app.patch(
        "/v1/organization",
        Some(&org.admin.access_token),
        json!({"max_active_assignments": 1}),
    )
    .await
    .expect(200);
    let first = create(&app, &org, &plan, 1, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(&act(&first, "accept"), Some(shopper), json!({}))
        .await
        .expect(200);
    let second = create(&app, &org, &plan, 2, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = app
        .post(&act(&second, "accept"), Some(shopper), json!({}))
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "eligibility.active_cap");
    assert!(app.get("/v1/job-board", Some(shopper)).await.body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let refused = create(&app, &org, &plan, 2, Some(&org.shopper.id))
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "eligibility.active_cap");

    // Cooldown: a shop submitted at L1 within the cooldown keeps the shopper away from L1.
    app.patch(
        "/v1/organization",
        Some(&org.admin.access_token),
        json!({"max_active_assignments": 5}),
    )
    .await
    .expect(200);
    // The board read a moment ago took the organization's rules from the session's identity
    // in memory (`auth::identities`); the raised cap applies to the next board at once.
    let board = app
        .get("/v1/job-board", Some(shopper))
        .await
        .expect(200)
        .body;
    assert!(board["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["assignment"]["id"] == second.as_str()));
    {
        use diesel::prelude::*;
        use shopgap::db::schema::assignments;
        let mut conn = app.pool.get().unwrap();
        diesel::update(assignments::table.find(&first))
            .set((
                assignments::status.eq("submitted"),
                assignments::submitted_at.eq(Some(Utc::now().naive_utc() - Duration::days(3))),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    let again_l1 = create(&app, &org, &plan, 1, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = app
        .post(&act(&again_l1, "accept"), Some(shopper), json!({}))
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "eligibility.cooldown");
    assert!(refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("eligible again from"));
    app.patch(
        "/v1/organization",
        Some(&org.admin.access_token),
        json!({"cooldown_days": 2}),
    )
    .await
    .expect(200);
    app.post(&act(&again_l1, "accept"), Some(shopper), json!({}))
        .await
        .expect(200);

    // Inactive shoppers cannot be offered anything.
    let (other, _) = app.new_shopper(&org, "leaving").await;
    app.delete(&format!("/v1/users/{other}"), Some(&org.admin.access_token))
        .await
        .expect(204);
    let refused = app
        .post(
            &act(&second, "offer"),
            manager,
            json!({"shopper_id": other}),
        )
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "eligibility.inactive");
    // Someone who is not a shopper of this organization is no candidate at all.
    let refused = app
        .post(
            &act(&second, "offer"),
            manager,
            json!({"shopper_id": org.manager.id}),
        )
        .await
        .expect_problem(422);
    assert_eq!(rule(&refused), "shopper_id");
}

#[actix_web::test]
async fn two_shoppers_racing_for_one_job_one_wins() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 1).await;
    let mut tokens = vec![org.shopper.access_token.clone()];
    for i in 0..5 {
        tokens.push(app.new_shopper(&org, &format!("racer{i}")).await.1);
    }
    for round in 0..3 {
        let id = create(&app, &org, &plan, 0, None).await.body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let path = act(&id, "accept");
        let attempts = tokens.iter().map(|t| app.post(&path, Some(t), json!({})));
        let results = futures_util::future::join_all(attempts).await;
        let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409),
            "round {round}: {statuses:?}"
        );
        let history = app
            .get(
                &format!("/v1/assignments/{id}/history"),
                Some(&org.manager.access_token),
            )
            .await
            .body;
        assert_eq!(
            history["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "accept")
                .count(),
            1
        );
    }
}

#[actix_web::test]
async fn windows_expire_on_their_own_and_can_reopen() {
    let app = TestApp::spawn_with({
        let mut c = shopgap::config::Config::with_secret(common::JWT_SECRET);
        c.expiry_interval = std::time::Duration::from_millis(300);
        c
    })
    .await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 1).await;
    let manager = Some(org.manager.access_token.as_str());
    let end = (Utc::now() + Duration::milliseconds(1500)).to_rfc3339();
    let created = app
        .post("/v1/assignments", manager, json!({"location_id": plan.locations[0], "checklist_version_id": plan.checklist_version_id, "window_start": window().0, "window_end": end}))
        .await
        .expect(201)
        .body;
    let id = created["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let listed = app
        .get("/v1/assignments?status=expired", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "the sweeper wrote it: {listed}"
    );
    let refused = app
        .post(
            &act(&id, "accept"),
            Some(&org.shopper.access_token),
            json!({}),
        )
        .await
        .expect_problem(409)
        .body;
    assert_eq!(refused["current_state"], "expired");
    let history = app
        .get(&format!("/v1/assignments/{id}/history"), manager)
        .await
        .body;
    assert_eq!(history["items"][1]["action"], "expire");
    assert!(history["items"][1]["actor_id"].is_null());

    let (start, end) = window();
    let reopened = app
        .post(
            &act(&id, "reopen"),
            manager,
            json!({"window_start": start, "window_end": end}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(reopened["status"], "open");
    app.post(
        &act(&id, "accept"),
        Some(&org.shopper.access_token),
        json!({}),
    )
    .await
    .expect(200);
}

#[actix_web::test]
async fn waves_plan_many_shops_at_once_and_lists_filter() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 4).await;
    let manager = Some(org.manager.access_token.as_str());
    let (start, end) = window();
    let wave = app
        .post("/v1/waves", manager, json!({"checklist_version_id": plan.checklist_version_id, "location_ids": plan.locations, "shops_per_location": 3, "window_start": start, "window_end": end, "fee_cents": 3000}))
        .await
        .expect(201)
        .body;
    assert_eq!(wave["created"], 12);
    let wave_id = wave["id"].as_str().unwrap();
    let listed = app
        .get(
            &format!("/v1/assignments?wave_id={wave_id}&limit=200"),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 12);
    let east = app
        .get(
            &format!("/v1/assignments?wave_id={wave_id}&region=East&limit=200"),
            manager,
        )
        .await
        .body;
    assert_eq!(east["items"].as_array().unwrap().len(), 6);
    let at_l1 = app
        .get(
            &format!("/v1/assignments?location_id={}", plan.locations[1]),
            manager,
        )
        .await
        .body;
    assert_eq!(at_l1["items"].as_array().unwrap().len(), 3);

    // Nearest first from a position east of every location.
    let board = app
        .get(
            "/v1/job-board?latitude=52.52&longitude=14.0&limit=5",
            Some(&org.shopper.access_token),
        )
        .await
        .expect(200)
        .body;
    let codes: Vec<&str> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["assignment"]["location_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["L3", "L3", "L3", "L2", "L2"]);
    app.get(
        "/v1/job-board?latitude=52.52",
        Some(&org.shopper.access_token),
    )
    .await
    .expect_problem(422);
    let outside = app
        .get(
            "/v1/job-board?latitude=91&longitude=13.4&limit=0",
            Some(&org.shopper.access_token),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = outside.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["latitude", "limit"]);

    // A wave with problems creates nothing and names every problem.
    let phone_only = app
        .post("/v1/locations", manager, json!({"code": "PH", "name": "Phone line", "region": "East", "segment": "b2c", "latitude": 52.0, "longitude": 13.0, "time_zone": "Europe/Berlin", "channels": ["phone"]}))
        .await
        .body["id"].as_str().unwrap().to_string();
    let refused = app
        .post("/v1/waves", manager, json!({"checklist_version_id": plan.checklist_version_id, "location_ids": [plan.locations[0], phone_only, uuid::Uuid::now_v7()], "shops_per_location": 0, "window_start": end, "window_end": start}))
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    // What the contract states first (shops per location 1 to 100)…
    assert_eq!(fields, ["shops_per_location"]);
    let refused = app
        .post("/v1/waves", manager, json!({"checklist_version_id": plan.checklist_version_id, "location_ids": [plan.locations[0], phone_only, uuid::Uuid::now_v7()], "shops_per_location": 1, "window_start": end, "window_end": start}))
        .await
        .expect_problem(422)
        .body;
    // …then the window (a rule across fields)…
    assert_eq!(refused["errors"][0]["field"], "window_end");
    let refused = app
        .post("/v1/waves", manager, json!({"checklist_version_id": plan.checklist_version_id, "location_ids": [plan.locations[0], phone_only, uuid::Uuid::now_v7()], "shops_per_location": 1, "window_start": start, "window_end": end}))
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    // …and the locations, each named.
    assert_eq!(fields, ["location_ids[1]", "location_ids[2]"]);
    let all = app.get("/v1/assignments?limit=200", manager).await.body;
    assert_eq!(all["items"].as_array().unwrap().len(), 12);
}

#[actix_web::test]
async fn the_app_syncs_what_changed_and_reads_its_checklists() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org, 2).await;
    let shopper = Some(org.shopper.access_token.as_str());
    let (second, second_token) = app.new_shopper(&org, "second").await;

    let a = create(&app, &org, &plan, 0, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = create(&app, &org, &plan, 1, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(&act(&a, "accept"), shopper, json!({}))
        .await
        .expect(200);
    app.post(&act(&b, "accept"), shopper, json!({}))
        .await
        .expect(200);

    let first = app.get("/v1/me/sync", shopper).await.expect(200).body;
    assert_eq!(first["assignments"].as_array().unwrap().len(), 2);
    assert_eq!(first["held_assignment_ids"].as_array().unwrap().len(), 2);
    assert_eq!(first["more"], false);
    let versions = first["checklist_versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["id"], plan.checklist_version_id);
    assert_eq!(versions[0]["sections"][0]["items"][0]["key"], "greeted");

    // Changes older than the cursor are not sent again; recent ones are (within the overlap).
    {
        use diesel::prelude::*;
        use shopgap::db::schema::assignments;
        let mut conn = app.pool.get().unwrap();
        diesel::update(assignments::table.find(&b))
            .set(assignments::updated_at.eq(Utc::now().naive_utc() - Duration::hours(1)))
            .execute(&mut *conn)
            .unwrap();
    }
    let cursor = first["cursor"].as_str().unwrap();
    let next = app
        .get(&format!("/v1/me/sync?since={cursor}"), shopper)
        .await
        .expect(200)
        .body;
    let ids: Vec<&str> = next["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str()]);

    // Taken away: the held ids tell the app to drop it.
    app.post(
        &act(&a, "reassign"),
        Some(&org.manager.access_token),
        json!({"shopper_id": second}),
    )
    .await
    .expect(200);
    let after = app
        .get(&format!("/v1/me/sync?since={cursor}"), shopper)
        .await
        .expect(200)
        .body;
    assert_eq!(after["held_assignment_ids"], json!([b]));
    app.get("/v1/me/sync?since=not-a-cursor", shopper)
        .await
        .expect_problem(400);

    // Checklist versions: readable by a shopper who holds an assignment on them, not otherwise.
    let path = format!("/v1/checklist-versions/{}", plan.checklist_version_id);
    app.get(&path, shopper).await.expect(200);
    app.get(&path, Some(&second_token)).await.expect(200);
    let (_, third_token) = app.new_shopper(&org, "third").await;
    app.get(&path, Some(&third_token)).await.expect_problem(404);
}

#[actix_web::test]
async fn another_organizations_shopper_cannot_touch_an_assignment() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Rival").await;
    let plan = plan(&app, &org, 1).await;
    let id = create(&app, &org, &plan, 0, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs = Some(other.shopper.access_token.as_str());
    app.post(&act(&id, "accept"), theirs, json!({}))
        .await
        .expect_problem(404);
    app.get(&format!("/v1/assignments/{id}"), theirs)
        .await
        .expect_problem(404);
    assert!(
        app.get("/v1/job-board", theirs).await.expect(200).body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.post(
        &act(&id, "offer"),
        Some(&other.manager.access_token),
        json!({"shopper_id": other.shopper.id}),
    )
    .await
    .expect_problem(404);
    // And this organization cannot offer a job to the rival's shopper.
    let refused = app
        .post(
            &act(&id, "offer"),
            Some(&org.manager.access_token),
            json!({"shopper_id": other.shopper.id}),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(refused["errors"][0]["field"], "shopper_id");
}

/// Open jobs by location id.
type Counts = Vec<(String, i64)>;

/// The open jobs per location as the board's roll-up has them, and as counted from the jobs.
fn open_counts(app: &TestApp) -> (Counts, Counts) {
    use diesel::prelude::*;
    use shopgap::db::schema::{assignments, location_open_jobs};
    let mut conn = app.pool.get().unwrap();
    let kept: Counts = location_open_jobs::table
        .filter(location_open_jobs::open_jobs.gt(0))
        .order(location_open_jobs::location_id)
        .select((
            location_open_jobs::location_id,
            location_open_jobs::open_jobs,
        ))
        .load(&mut *conn)
        .unwrap();
    let counted: Counts = assignments::table
        .filter(assignments::status.eq("open"))
        .group_by(assignments::location_id)
        .order(assignments::location_id)
        .select((assignments::location_id, diesel::dsl::count_star()))
        .load(&mut *conn)
        .unwrap();
    (kept, counted)
}

#[actix_web::test]
async fn the_nearest_first_board_reads_locations_in_order_and_their_jobs_soonest_ending() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    // L0..L3 from west to east; the shopper stands east of them all: L3 is nearest.
    let plan = plan(&app, &org, 4).await;
    let manager = Some(org.manager.access_token.as_str());
    let shopper = Some(org.shopper.access_token.as_str());
    let wave = |location: usize, shops: usize, days: i64| {
        json!({"checklist_version_id": plan.checklist_version_id, "location_ids": [plan.locations[location]],
               "shops_per_location": shops, "window_start": (Utc::now() - Duration::hours(1)).to_rfc3339(),
               "window_end": (Utc::now() + Duration::days(days)).to_rfc3339(), "fee_cents": 2500})
    };
    // L3: two jobs, one whose window has already ended (open until the sweeper sees it) and one
    // another shopper holds. L2: three, ending on different days. L1: 60. L0: 5.
    let stale = create(&app, &org, &plan, 3, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let held = create(&app, &org, &plan, 3, None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    for days in [9, 5, 7] {
        app.post("/v1/waves", manager, wave(2, 1, days))
            .await
            .expect(201);
    }
    app.post("/v1/waves", manager, wave(1, 60, 6))
        .await
        .expect(201);
    app.post("/v1/waves", manager, wave(0, 5, 6))
        .await
        .expect(201);
    {
        use diesel::prelude::*;
        use shopgap::db::schema::assignments;
        let mut conn = app.pool.get().unwrap();
        diesel::update(assignments::table.find(&stale))
            .set(assignments::window_end.eq(Utc::now().naive_utc() - Duration::minutes(1)))
            .execute(&mut *conn)
            .unwrap();
    }
    let (_, other) = app.new_shopper(&org, "other").await;
    app.post(&act(&held, "accept"), Some(&other), json!({}))
        .await
        .expect(200);
    // The roll-up follows every write: 1 open at L3 (the stale one), 3, 60 and 5.
    let (kept, counted) = open_counts(&app);
    assert_eq!(kept, counted);
    assert_eq!(kept.iter().map(|(_, n)| n).sum::<i64>(), 1 + 3 + 60 + 5);

    // What the board must show: by location nearest first, then soonest-ending, then id; no
    // job whose window has ended.
    let listed = app
        .get("/v1/assignments?status=open&limit=200", manager)
        .await
        .expect(200)
        .body;
    let mut expected: Vec<(usize, chrono::DateTime<chrono::FixedOffset>, String)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"] != stale.as_str())
        .map(|a| {
            let at = plan
                .locations
                .iter()
                .position(|l| l == a["location_id"].as_str().unwrap())
                .unwrap();
            (
                3 - at,
                chrono::DateTime::parse_from_rfc3339(a["window_end"].as_str().unwrap()).unwrap(),
                a["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort();
    for limit in [2, 10, 50, 68, 100] {
        let board = app
            .get(
                &format!("/v1/job-board?latitude=52.52&longitude=14.0&limit={limit}"),
                shopper,
            )
            .await
            .expect(200)
            .body;
        let ids: Vec<&str> = board["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["assignment"]["id"].as_str().unwrap())
            .collect();
        let want: Vec<&str> = expected
            .iter()
            .take(limit)
            .map(|(_, _, id)| id.as_str())
            .collect();
        assert_eq!(ids, want, "limit {limit}");
    }
    // L2's three come first, the one ending soonest (5 days) first.
    let board = app
        .get(
            "/v1/job-board?latitude=52.52&longitude=14.0&limit=3",
            shopper,
        )
        .await
        .body;
    let ends: Vec<&str> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["assignment"]["location_code"].as_str().unwrap())
        .collect();
    assert_eq!(ends, ["L2", "L2", "L2"]);

    // Cancelling and reopening move the counts too, and a recount finds the same.
    let first = &expected[0].2;
    app.post(
        &act(first, "cancel"),
        manager,
        json!({"reason": "closed for works"}),
    )
    .await
    .expect(200);
    let (kept, counted) = open_counts(&app);
    assert_eq!(kept, counted);
    assert_eq!(kept.iter().map(|(_, n)| n).sum::<i64>(), 68);
    {
        let mut conn = app.pool.get().unwrap();
        shopgap::db::write_transaction(&mut conn, |c| {
            shopgap::assignments::repo::recount_open_jobs(c, None)
        })
        .unwrap();
    }
    assert_eq!(open_counts(&app).0, kept);
}
