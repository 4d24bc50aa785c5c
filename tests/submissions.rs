//! Submissions from the field: drafts, idempotent final submission, validation, flags, scores
//! and the review paths.

mod common;

use chrono::{Duration, Utc};
use common::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

struct Shop {
    assignment: String,
}

fn checklist() -> Value {
    json!({
        "format": "shopgap.checklist/v1", "name": "Showroom", "channel": "in_person",
        "sections": [{"title": "A", "items": [
            {"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "GRT-01", "critical": true},
            {"key": "friendly", "prompt": "Friendly?", "type": "scale", "standard": "GRT-01", "weight": 3, "options": {"min": 1, "max": 5}},
            {"key": "door", "prompt": "Door held?", "type": "yes_no", "standard": "GRT-01", "allow_na": true},
            {"key": "notes", "prompt": "Notes", "type": "text", "required": false},
        ]}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
            "standards": [{"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]},
    })
}

async fn setup(app: &TestApp, org: &Org, shops: usize) -> Vec<Shop> {
    let manager = Some(org.manager.access_token.as_str());
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
    let mut out = Vec::new();
    for _ in 0..shops {
        let a = app
            .post("/v1/assignments", manager, json!({"location_id": location, "checklist_version_id": version, "shopper_id": org.shopper.id,
                "window_start": (Utc::now() - Duration::days(1)).to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339()}))
            .await
            .expect(201)
            .body["id"].as_str().unwrap().to_string();
        app.post(
            &format!("/v1/assignments/{a}/accept"),
            Some(&org.shopper.access_token),
            json!({}),
        )
        .await
        .expect(200);
        out.push(Shop { assignment: a });
    }
    out
}

fn content(assignment: &str) -> Value {
    json!({
        "assignment_id": assignment,
        "answers": {"greeted": {"value": true}, "friendly": {"value": 4, "comment": "warm"}, "door": {"na": true}},
        "visit_start": (Utc::now() - Duration::minutes(40)).to_rfc3339(),
        "visit_end": (Utc::now() - Duration::minutes(10)).to_rfc3339(),
        "position": {"latitude": 52.5201, "longitude": 13.4001, "accuracy_m": 8},
        "sent_at": Utc::now().to_rfc3339(),
        "device": "Pixel 9", "app_version": "1.4.2",
    })
}

fn flag_kinds(submission: &Value) -> Vec<String> {
    submission["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_shop_is_drafted_submitted_once_scored_and_approved() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shop = &setup(&app, &org, 1).await[0];
    let shopper = Some(org.shopper.access_token.as_str());
    let id = uuid::Uuid::new_v4().to_string();
    let path = format!("/v1/submissions/{id}");

    // Drafts: partial, repeatable.
    let draft = json!({"assignment_id": shop.assignment, "answers": {"greeted": {"value": true}}});
    for _ in 0..2 {
        let saved = app
            .call(Method::PUT, &path, shopper, Some(draft.clone()))
            .await
            .expect(200)
            .body;
        assert_eq!(saved["status"], "draft");
    }
    // An incomplete submission lists every problem and keeps the draft as it was.
    let refused = app.post(&format!("{path}/submit"), shopper, json!({"assignment_id": shop.assignment, "answers": {"friendly": {"value": 9}, "door": {"value": true, "na": true}, "ghost": {"value": 1}}})).await.expect_problem(422).body;
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "answers.ghost",
            "answers.greeted",
            "answers.friendly.value",
            "answers.door",
            "visit_start",
            "visit_end"
        ]
    );
    let kept = app.get(&path, shopper).await.expect(200).body;
    assert_eq!(kept["status"], "draft");
    assert_eq!(
        kept["content"]["answers"],
        json!({"greeted": {"value": true}})
    );

    // The real thing, sent three times at once: one submission, one score, the same answer.
    let body = content(&shop.assignment);
    let submit_path = format!("{path}/submit");
    let sent = futures_util::future::join_all(
        (0..3).map(|_| app.post(&submit_path, shopper, body.clone())),
    )
    .await;
    for r in &sent {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["version"], sent[0].body["version"]);
        assert_eq!(r.body["status"], "submitted");
    }
    assert!(
        sent[0].body["scores"].is_null(),
        "shoppers do not see scores by default"
    );
    assert!(
        flag_kinds(&sent[0].body).is_empty(),
        "{}",
        sent[0].body["flags"]
    );
    // The same id with other content is refused; so is a second submission for the assignment.
    let mut changed = body.clone();
    changed["answers"]["greeted"] = json!({"value": false});
    app.post(&format!("{path}/submit"), shopper, changed.clone())
        .await
        .expect_problem(409);
    app.call(Method::PUT, &path, shopper, Some(changed))
        .await
        .expect_problem(409);
    app.post(
        &format!("/v1/submissions/{}/submit", uuid::Uuid::new_v4()),
        shopper,
        body.clone(),
    )
    .await
    .expect_problem(409);

    // The reviewer sees scores worked out by hand: greeted 1 (w1), friendly .75 (w3), door N/A.
    let manager = org.manager.access_token.as_str();
    let queue = app
        .get("/v1/submissions?status=submitted", Some(manager))
        .await
        .expect(200)
        .body;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let seen = app.get(&path, Some(manager)).await.expect(200);
    let scores = &seen.body["scores"];
    assert!(
        (scores["raw_score"].as_f64().unwrap() - 81.25).abs() < 1e-9,
        "{scores}"
    );
    assert_eq!(scores["critical_failure"], false);
    assert!((scores["standards"]["GRT-01"]["value"].as_f64().unwrap() - 0.8125).abs() < 1e-9);
    let assignment = app
        .get(
            &format!("/v1/assignments/{}", shop.assignment),
            Some(manager),
        )
        .await
        .body;
    assert_eq!(assignment["status"], "submitted");

    // Review: If-Match is required and checked.
    app.post(&format!("{path}/approve"), Some(manager), json!({}))
        .await
        .expect_problem(428);
    let stale = app
        .send(
            app.client
                .post(format!("{}{path}/approve", app.base))
                .bearer_auth(manager)
                .header("If-Match", "\"1\""),
        )
        .await;
    stale.expect_problem(412);
    let etag = seen.header("etag").unwrap();
    let approved = app
        .send(
            app.client
                .post(format!("{}{path}/approve", app.base))
                .bearer_auth(manager)
                .header("If-Match", &etag),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(approved["status"], "approved");
    let assignment = app
        .get(
            &format!("/v1/assignments/{}", shop.assignment),
            Some(manager),
        )
        .await
        .body;
    assert_eq!(assignment["status"], "approved");
    // Approved work is not reviewed again: approving or returning it is 409.
    for action in ["approve", "return"] {
        let again = app
            .send(
                app.client
                    .post(format!("{}{path}/{action}", app.base))
                    .bearer_auth(manager)
                    .header("If-Match", format!("\"{}\"", approved["version"]))
                    .json(&json!({"comment": "x"})),
            )
            .await;
        assert_eq!(again.expect_problem(409).body["current_state"], "approved");
    }
    // It can still be rejected when fraud comes to light, with a reason; the assignment follows.
    let rejected = app
        .send(
            app.client
                .post(format!("{}{path}/reject", app.base))
                .bearer_auth(manager)
                .header("If-Match", format!("\"{}\"", approved["version"]))
                .json(&json!({"comment": "the receipt is from another branch"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(rejected["status"], "rejected");
    let assignment = app
        .get(
            &format!("/v1/assignments/{}", shop.assignment),
            Some(manager),
        )
        .await
        .body;
    assert_eq!(assignment["status"], "rejected");
}

#[actix_web::test]
async fn returned_work_is_fixed_and_submitted_again_and_rejection_needs_a_reason() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shops = setup(&app, &org, 2).await;
    let shopper = Some(org.shopper.access_token.as_str());
    let manager = org.manager.access_token.as_str();
    let review = |path: String, action: &'static str, etag: String, body: Value| {
        app.client
            .post(format!("{}{path}/{action}", app.base))
            .bearer_auth(manager)
            .header("If-Match", etag)
            .json(&body)
    };

    let id = uuid::Uuid::new_v4().to_string();
    let path = format!("/v1/submissions/{id}");
    let submitted = app
        .post(
            &format!("{path}/submit"),
            shopper,
            content(&shops[0].assignment),
        )
        .await
        .expect(200)
        .body;
    let returned = app
        .send(review(
            path.clone(),
            "return",
            format!("\"{}\"", submitted["version"]),
            json!({"comment": "check the scale", "item_comments": {"friendly": "really a 4?"}}),
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(returned["status"], "returned");
    let mine = app.get(&path, shopper).await.expect(200).body;
    assert_eq!(mine["review"]["item_comments"]["friendly"], "really a 4?");
    let mut fixed = content(&shops[0].assignment);
    fixed["answers"]["friendly"] = json!({"value": 3});
    app.call(Method::PUT, &path, shopper, Some(fixed.clone()))
        .await
        .expect(200);
    let resubmitted = app
        .post(&format!("{path}/submit"), shopper, fixed)
        .await
        .expect(200)
        .body;
    assert_eq!(resubmitted["status"], "submitted");
    let assignment = app
        .get(
            &format!("/v1/assignments/{}", shops[0].assignment),
            Some(manager),
        )
        .await
        .body;
    assert_eq!(assignment["status"], "submitted");
    let history = app
        .get(
            &format!("/v1/assignments/{}/history", shops[0].assignment),
            Some(manager),
        )
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
        ["create", "offer", "accept", "submit", "return", "submit"]
    );

    let other = uuid::Uuid::new_v4().to_string();
    let other_path = format!("/v1/submissions/{other}");
    let sent = app
        .post(
            &format!("{other_path}/submit"),
            shopper,
            content(&shops[1].assignment),
        )
        .await
        .expect(200)
        .body;
    let etag = format!("\"{}\"", sent["version"]);
    app.send(review(
        other_path.clone(),
        "reject",
        etag.clone(),
        json!({}),
    ))
    .await
    .expect_problem(422);
    let rejected = app
        .send(review(
            other_path.clone(),
            "reject",
            etag,
            json!({"comment": "visited the wrong branch"}),
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(rejected["status"], "rejected");
    let assignment = app
        .get(
            &format!("/v1/assignments/{}", shops[1].assignment),
            Some(manager),
        )
        .await
        .body;
    assert_eq!(assignment["status"], "rejected");
}

#[actix_web::test]
async fn doubtful_data_is_flagged_never_refused() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shops = setup(&app, &org, 2).await;
    let shopper = Some(org.shopper.access_token.as_str());

    let first = app
        .post(
            &format!("/v1/submissions/{}/submit", uuid::Uuid::new_v4()),
            shopper,
            content(&shops[0].assignment),
        )
        .await
        .expect(200)
        .body;
    assert!(flag_kinds(&first).is_empty());
    // The answer to a first submission (built from what the write knew) is what a read shows.
    let read = app
        .get(
            &format!("/v1/submissions/{}", first["id"].as_str().unwrap()),
            shopper,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(read, first);

    let mut doubtful = content(&shops[1].assignment);
    doubtful["position"] = json!({"latitude": 52.60, "longitude": 13.40});
    doubtful["sent_at"] = json!((Utc::now() - Duration::hours(2)).to_rfc3339());
    doubtful["visit_start"] = json!((Utc::now() - Duration::minutes(12)).to_rfc3339());
    doubtful["visit_end"] = json!((Utc::now() - Duration::minutes(10)).to_rfc3339());
    let second = app
        .post(
            &format!("/v1/submissions/{}/submit", uuid::Uuid::new_v4()),
            shopper,
            doubtful,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        flag_kinds(&second),
        [
            "outside_geofence",
            "clock_skew",
            "short_visit",
            "identical_to_previous"
        ]
    );
    assert_eq!(second["flags"][3]["previous_submission_id"], first["id"]);
    assert!(second["clock_skew_seconds"].as_i64().unwrap() >= 7199);
}

#[actix_web::test]
async fn nobody_else_reaches_a_shoppers_submission() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Rival").await;
    let shops = setup(&app, &org, 1).await;
    let id = uuid::Uuid::new_v4().to_string();
    app.post(
        &format!("/v1/submissions/{id}/submit"),
        Some(&org.shopper.access_token),
        content(&shops[0].assignment),
    )
    .await
    .expect(200);
    let created = app
        .post("/v1/users", Some(&org.admin.access_token), json!({"email": "b@acme.example.com", "display_name": "B", "role": "shopper", "password": common::PASSWORD}))
        .await
        .expect(201);
    assert!(created.body["user"]["id"].is_string());
    let b = app.login("b@acme.example.com", common::PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!("/v1/submissions/{id}"), Some(&b))
        .await
        .expect_problem(404);
    app.get(
        &format!("/v1/submissions/{id}"),
        Some(&other.manager.access_token),
    )
    .await
    .expect_problem(404);
    app.get(
        &format!("/v1/submissions/{id}"),
        Some(&other.shopper.access_token),
    )
    .await
    .expect_problem(404);
    // Someone else's assignment cannot carry your submission.
    app.post(
        &format!("/v1/submissions/{}/submit", uuid::Uuid::new_v4()),
        Some(&b),
        content(&shops[0].assignment),
    )
    .await
    .expect_problem(422);
    assert!(
        app.get("/v1/submissions", Some(&b)).await.expect(200).body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn reviewers_edit_answers_with_a_reason_and_the_scores_follow() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shop = &setup(&app, &org, 1).await[0];
    let id = uuid::Uuid::new_v4().to_string();
    let path = format!("/v1/submissions/{id}");
    let submitted = app
        .post(
            &format!("{path}/submit"),
            Some(&org.shopper.access_token),
            content(&shop.assignment),
        )
        .await
        .expect(200)
        .body;
    let manager = org.manager.access_token.as_str();
    let edit = |etag: String, body: Value| {
        app.client
            .post(format!("{}{path}/edits", app.base))
            .bearer_auth(manager)
            .header("If-Match", etag)
            .json(&body)
    };
    let change = json!({"item_key": "friendly", "answer": {"value": 2}, "reason": "the recording shows a curt greeting"});

    app.post(&format!("{path}/edits"), Some(manager), change.clone())
        .await
        .expect_problem(428);
    app.send(edit("\"9\"".into(), change.clone()))
        .await
        .expect_problem(412);
    let etag = format!("\"{}\"", submitted["version"]);
    for (bad, field) in [
        (
            json!({"item_key": "friendly", "answer": {"value": 7}, "reason": "x"}),
            "answer.value",
        ),
        (
            json!({"item_key": "ghost", "answer": {"value": 1}, "reason": "x"}),
            "item_key",
        ),
        (
            json!({"item_key": "friendly", "answer": {"value": 2}, "reason": " "}),
            "reason",
        ),
        (
            json!({"item_key": "greeted", "answer": {"na": true}, "reason": "x"}),
            "answer",
        ),
    ] {
        let problem = app
            .send(edit(etag.clone(), bad))
            .await
            .expect_problem(422)
            .body;
        assert_eq!(problem["errors"][0]["field"], field);
    }
    app.post(
        &format!("{path}/edits"),
        Some(&org.shopper.access_token),
        change.clone(),
    )
    .await
    .expect_problem(403);

    let edited = app.send(edit(etag, change)).await.expect(200).body;
    // greeted 1 (w1) and friendly (2-1)/4 = .25 (w3): 100 × 1.75 / 4.
    assert!(
        (edited["scores"]["raw_score"].as_f64().unwrap() - 43.75).abs() < 1e-9,
        "{}",
        edited["scores"]
    );
    assert_eq!(
        edited["content"]["answers"]["friendly"]["value"], 4,
        "the shopper's original is kept"
    );
    assert_eq!(edited["effective_answers"]["friendly"]["value"], 2);
    let audit = &edited["edits"][0];
    assert_eq!(audit["old_answer"]["value"], 4);
    assert_eq!(audit["new_answer"]["value"], 2);
    assert_eq!(audit["edited_by"], org.manager.id);
    assert_eq!(audit["reason"], "the recording shows a curt greeting");
    assert_eq!(
        edited["version"],
        submitted["version"].as_i64().unwrap() + 1
    );
}

#[actix_web::test]
async fn the_review_queue_is_oldest_first_across_pages() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shops = setup(&app, &org, 3).await;
    let mut order = Vec::new();
    // Random (v4) ids, so id order and submission order differ.
    for shop in &shops {
        let id = uuid::Uuid::new_v4().to_string();
        app.post(
            &format!("/v1/submissions/{id}/submit"),
            Some(&org.shopper.access_token),
            content(&shop.assignment),
        )
        .await
        .expect(200);
        order.push(id);
    }
    let manager = Some(org.manager.access_token.as_str());
    let first = app
        .get("/v1/submissions?status=submitted&limit=2", manager)
        .await
        .expect(200)
        .body;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/v1/submissions?status=submitted&limit=2&cursor={cursor}"),
            manager,
        )
        .await
        .expect(200)
        .body;
    let seen: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, order);
    assert!(second["next_cursor"].is_null());
}

#[actix_web::test]
async fn every_kind_of_invalid_answer_is_named_and_the_draft_kept() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shop = &setup(&app, &org, 1).await[0];
    let shopper = Some(org.shopper.access_token.as_str());
    let path = format!("/v1/submissions/{}", uuid::Uuid::new_v4());
    app.call(Method::PUT, &path, shopper, Some(content(&shop.assignment)))
        .await
        .expect(200);
    let late = Utc::now() + Duration::days(3);
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        // The wrong type, N/A where the item does not allow it, a value beside N/A.
        (
            json!({"greeted": {"value": "yes"}, "friendly": {"na": true}, "door": {"value": true, "na": true}}),
            vec![
                ("answers.greeted.value", "true or false"),
                ("answers.friendly", "N/A"),
                ("answers.door", ""),
            ],
        ),
        // Out of range, a fraction on a scale, text on a scale, an item the checklist lacks.
        (
            json!({"greeted": {"value": true}, "friendly": {"value": 0}, "door": {"na": true}, "ghost": {"value": 1}}),
            vec![("answers.ghost", ""), ("answers.friendly.value", "")],
        ),
        (
            json!({"greeted": {"value": true}, "friendly": {"value": 2.5}, "door": {"na": true}}),
            vec![("answers.friendly.value", "")],
        ),
        (
            json!({"greeted": {"value": true}, "friendly": {"value": "4"}, "door": {"na": true}}),
            vec![("answers.friendly.value", "")],
        ),
        // A required item left out.
        (
            json!({"friendly": {"value": 4}, "door": {"na": true}}),
            vec![("answers.greeted", "")],
        ),
    ];
    for (answers, expected) in cases {
        let mut body = content(&shop.assignment);
        body["answers"] = answers.clone();
        let problem = app
            .post(&format!("{path}/submit"), shopper, body)
            .await
            .expect_problem(422)
            .body;
        let errors = problem["errors"].as_array().unwrap();
        assert_eq!(errors.len(), expected.len(), "{answers}: {problem}");
        for (error, (field, words)) in errors.iter().zip(expected) {
            assert_eq!(error["field"], field, "{answers}: {problem}");
            assert!(
                error["message"].as_str().unwrap().contains(words),
                "{answers}: {problem}"
            );
        }
    }
    // A visit outside the assignment's window, and one that ends before it starts.
    let mut outside = content(&shop.assignment);
    outside["visit_start"] = json!((Utc::now() - Duration::days(3)).to_rfc3339());
    outside["visit_end"] = json!(late.to_rfc3339());
    let problem = app
        .post(&format!("{path}/submit"), shopper, outside)
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["visit_start", "visit_end"]);
    let mut backwards = content(&shop.assignment);
    backwards["visit_start"] = json!((Utc::now() - Duration::minutes(5)).to_rfc3339());
    backwards["visit_end"] = json!((Utc::now() - Duration::minutes(30)).to_rfc3339());
    let problem = app
        .post(&format!("{path}/submit"), shopper, backwards)
        .await
        .expect_problem(422)
        .body;
    assert_eq!(problem["errors"][0]["field"], "visit_end");
    // The draft cannot move to another assignment, and an unknown one is named.
    let mut moved = content(&shop.assignment);
    moved["assignment_id"] = json!(uuid::Uuid::new_v4());
    app.post(&format!("{path}/submit"), shopper, moved.clone())
        .await
        .expect_problem(409);
    let problem = app
        .post(
            &format!("/v1/submissions/{}/submit", uuid::Uuid::new_v4()),
            shopper,
            moved,
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(problem["errors"][0]["field"], "assignment_id");

    // None of that touched the draft.
    let kept = app.get(&path, shopper).await.expect(200).body;
    assert_eq!(kept["status"], "draft");
    assert_eq!(
        kept["content"]["answers"],
        content(&shop.assignment)["answers"]
    );
}

#[actix_web::test]
async fn a_resubmission_supersedes_earlier_edits_of_the_items_answered_again() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let shop = &setup(&app, &org, 1).await[0];
    let id = uuid::Uuid::new_v4().to_string();
    let path = format!("/v1/submissions/{id}");
    let (shopper, manager) = (
        org.shopper.access_token.as_str(),
        org.manager.access_token.as_str(),
    );
    let with_etag = |action: &str, version: &Value, body: Value| {
        app.client
            .post(format!("{}{path}/{action}", app.base))
            .bearer_auth(manager)
            .header("If-Match", format!("\"{version}\""))
            .json(&body)
    };
    let first = app
        .post(
            &format!("{path}/submit"),
            Some(shopper),
            content(&shop.assignment),
        )
        .await
        .expect(200)
        .body;
    // The reviewer edits `friendly` (4 → 2), then returns the shop.
    let edited = app
        .send(with_etag(
            "edits",
            &first["version"],
            json!({"item_key": "friendly", "answer": {"value": 2}, "reason": "curt"}),
        ))
        .await
        .expect(200)
        .body;
    let returned = app
        .send(with_etag(
            "return",
            &edited["version"],
            json!({"item_comments": {"friendly": "was it really a 4?"}}),
        ))
        .await
        .expect(200)
        .body;
    // The shopper answers `friendly` again (5) and submits.
    let mut again = content(&shop.assignment);
    again["answers"]["friendly"] = json!({"value": 5});
    let resubmitted = app
        .post(&format!("{path}/submit"), Some(shopper), again)
        .await
        .expect(200)
        .body;
    let view = app.get(&path, Some(manager)).await.expect(200).body;
    // greeted 1 (w1), friendly (5-1)/4 = 1 (w3): 100, from the shopper's new answer.
    assert_eq!(view["scores"]["raw_score"], 100.0, "{}", view["scores"]);
    assert!(
        view["effective_answers"].is_null(),
        "{}",
        view["effective_answers"]
    );
    let history = &view["edits"][0];
    assert_eq!(
        history["new_answer"]["value"], 2,
        "the edit stays in the history"
    );
    assert!(history["superseded_at"].is_string(), "{history}");
    assert!(returned["version"].as_i64() < resubmitted["version"].as_i64());

    // Approved; a later, unrelated edit rescores from the answers as they stand: the
    // superseded edit does not come back and quietly lower the approved score.
    let approved = app
        .send(with_etag("approve", &view["version"], json!({})))
        .await
        .expect(200)
        .body;
    let later = app
        .send(with_etag(
            "edits",
            &approved["version"],
            json!({"item_key": "notes", "answer": {"value": "spoke to Ana"}, "reason": "from the recording"}),
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(later["scores"]["raw_score"], 100.0, "{}", later["scores"]);
    assert_eq!(later["effective_answers"]["friendly"]["value"], 5);
    assert_eq!(later["effective_answers"]["notes"]["value"], "spoke to Ana");

    // The reports and the export agree with the stored score.
    let report = app
        .get("/v1/reports/gaps", Some(manager))
        .await
        .expect(200)
        .body;
    assert_eq!(report["rows"][0]["delivered"], 1.0, "{report}");
    let text = app.get_text("/v1/exports/submissions", manager).await;
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let lines: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let line = |key: &str| {
        lines
            .iter()
            .find(|l| &l[column("item_key")] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(&line("friendly")[column("value")], "5");
    assert_eq!(&line("friendly")[column("edited")], "false");
    assert_eq!(&line("notes")[column("edited")], "true");
    assert_eq!(&line("friendly")[column("raw_score")], "100.0");

    // A database holding such an edit from before the rule (in force, and an approved score
    // computed with it) is mended by the migration and the rescoring after it.
    let stale_score = {
        use diesel::prelude::*;
        use shopgap::db::schema::{submission_edits, submissions};
        let mut conn = app.pool.get().unwrap();
        diesel::update(submission_edits::table.filter(submission_edits::item_key.eq("friendly")))
            .set(submission_edits::superseded_at.eq(None::<chrono::NaiveDateTime>))
            .execute(&mut *conn)
            .unwrap();
        // The scores as the edit made them (friendly 2): what a later edit used to store.
        assert_eq!(edited["scores"]["raw_score"], 43.75);
        diesel::update(submissions::table.find(&id))
            .set((
                submissions::raw_score.eq(Some(43.75)),
                submissions::visit_score.eq(Some(43.75)),
                submissions::scores.eq(Some(edited["scores"].to_string())),
            ))
            .execute(&mut *conn)
            .unwrap();
        submissions::table
            .find(&id)
            .select(submissions::raw_score)
            .get_result::<Option<f64>>(&mut *conn)
            .unwrap()
    };
    assert_eq!(stale_score, Some(43.75));
    // Roll-ups as they were then: agreeing with the stale score.
    let rollups = |rebuild: bool| {
        let (pool, org) = (app.pool.clone(), org.id.clone());
        actix_web::web::block(move || {
            let mut conn = pool.get().unwrap();
            if rebuild {
                shopgap::db::write_transaction(&mut conn, |c| {
                    shopgap::reports::rollups::rebuild(c, Some(&org))
                })
                .unwrap();
            }
            shopgap::reports::rollups::all(&mut conn, &org).unwrap()
        })
    };
    let stale_cells = rollups(true).await.unwrap();
    common::redo_migrations_from(&app, "2026-12-02-000017").await;
    let mended_cells = rollups(false).await.unwrap();
    assert_ne!(mended_cells, stale_cells);
    assert_eq!(mended_cells, rollups(true).await.unwrap());
    let mended = app.get(&path, Some(manager)).await.expect(200).body;
    assert_eq!(mended["scores"]["raw_score"], 100.0);
    let export = app.get_text("/v1/exports/submissions", manager).await;
    assert!(
        !export.contains("43.75") && export.contains(",100.0,"),
        "{export}"
    );
    assert!(mended["edits"][0]["superseded_at"].is_string());
    assert!(mended["edits"][1]["superseded_at"].is_null());
}
