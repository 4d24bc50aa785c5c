//! The field workforce over HTTP: a month of shops with expense claims approved, reduced and
//! refused, payment batches exported and paid, claw-backs of shops rejected after payment,
//! certification quizzes gating the job board, and reputation figures checked by hand.

mod common;

use chrono::{Duration, Utc};
use common::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];

fn checklist(name: &str) -> Value {
    json!({
        "format": "shopgap.checklist/v1", "name": name, "channel": "in_person",
        "sections": [{"title": "A", "items": [
            {"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "GRT-01"},
        ]}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
            "standards": [{"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]},
    })
}

/// The organization's program: a published checklist (its version and checklist ids) and two
/// locations.
struct Program {
    version_id: String,
    checklist_id: String,
    locations: Vec<String>,
}

async fn program(app: &TestApp, org: &Org, name: &str) -> Program {
    let manager = Some(org.manager.access_token.as_str());
    let version = app
        .post(
            "/v1/checklists/import?publish=true",
            manager,
            checklist(name),
        )
        .await
        .expect(201)
        .body;
    let mut locations = Vec::new();
    for (i, code) in ["L1", "L2", "L3"].iter().enumerate() {
        let l = app
            .post("/v1/locations", manager, json!({"code": format!("{name}-{code}"), "name": "Branch", "region": "East", "segment": "b2c",
                "latitude": 52.52 + i as f64 * 0.1, "longitude": 13.40, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
            .await
            .expect(201)
            .body;
        locations.push(l["id"].as_str().unwrap().to_string());
    }
    Program {
        version_id: version["id"].as_str().unwrap().to_string(),
        checklist_id: version["checklist_id"].as_str().unwrap().to_string(),
        locations,
    }
}

/// Plans a shop (open on the board when `shopper` is `None`).
async fn plan(
    app: &TestApp,
    org: &Org,
    p: &Program,
    location: usize,
    shopper: Option<&str>,
    extra: Value,
) -> String {
    let mut body = json!({"location_id": p.locations[location], "checklist_version_id": p.version_id,
        "window_start": (Utc::now() - Duration::days(1)).to_rfc3339(), "window_end": (Utc::now() + Duration::days(2)).to_rfc3339(),
        "fee_cents": 4500});
    if let Some(s) = shopper {
        body["shopper_id"] = json!(s);
    }
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post("/v1/assignments", Some(&org.manager.access_token), body)
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A shop accepted and submitted by `token`'s shopper with `expenses`; a receipt is uploaded
/// for each expense whose key starts with `r-`. Returns the submission.
async fn shop(app: &TestApp, token: &str, assignment: &str, expenses: Value) -> Value {
    app.post(
        &format!("/v1/assignments/{assignment}/accept"),
        Some(token),
        json!({}),
    )
    .await
    .expect(200);
    let id = uuid::Uuid::new_v4().to_string();
    let mut content = json!({"assignment_id": assignment, "answers": {"greeted": {"value": true}},
        "visit_start": (Utc::now() - Duration::minutes(40)).to_rfc3339(),
        "visit_end": (Utc::now() - Duration::minutes(10)).to_rfc3339()});
    app.call(
        Method::PUT,
        &format!("/v1/submissions/{id}"),
        Some(token),
        Some(content.clone()),
    )
    .await
    .expect(200);
    let mut expenses = expenses;
    for e in expenses.as_array_mut().unwrap() {
        if e["key"].as_str().unwrap().starts_with("r-") {
            let receipt = uuid::Uuid::new_v4().to_string();
            app.send(
                app.client
                    .put(format!(
                        "{}/v1/submissions/{id}/attachments/{receipt}?kind=receipt",
                        app.base
                    ))
                    .bearer_auth(token)
                    .header("content-type", "image/png")
                    .body(PNG.to_vec()),
            )
            .await
            .expect(201);
            e["receipt_attachment_id"] = json!(receipt);
        }
    }
    content["expenses"] = expenses;
    let submitted = app
        .post(
            &format!("/v1/submissions/{id}/submit"),
            Some(token),
            content,
        )
        .await
        .expect(200)
        .body;
    // The answer (claims and receipts included) is what a read of the submission shows, but
    // for what the photo worker may have found about the receipts in between.
    let read = app
        .get(&format!("/v1/submissions/{id}"), Some(token))
        .await
        .expect(200)
        .body;
    let without_analysis = |mut submission: Value| {
        for a in submission["attachments"].as_array_mut().unwrap() {
            for field in [
                "analysis",
                "analysis_note",
                "perceptual_hash",
                "captured_at",
            ] {
                a.as_object_mut().unwrap().remove(field);
            }
        }
        submission
    };
    assert_eq!(without_analysis(read), without_analysis(submitted.clone()));
    submitted
}

async fn review(
    app: &TestApp,
    org: &Org,
    submission: &Value,
    decision: &str,
    body: Value,
) -> common::Resp {
    let id = submission["id"].as_str().unwrap();
    let current = app
        .get(
            &format!("/v1/submissions/{id}"),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200);
    let etag = current.header("etag").unwrap();
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{id}/{decision}", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", etag)
            .json(&body),
    )
    .await
}

fn money(v: &Value) -> (i64, String, String) {
    (
        v["amount_minor"].as_i64().unwrap(),
        v["currency"].as_str().unwrap().to_string(),
        v["amount"].as_str().unwrap().to_string(),
    )
}

fn kinds(v: &Value) -> Vec<String> {
    v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Today's and yesterday's dates (UTC): a batch period that holds every line earned in a test.
fn period() -> Value {
    let today = Utc::now().date_naive();
    json!({"period_from": (today - Duration::days(1)).to_string(), "period_to": today.to_string()})
}

#[actix_web::test]
async fn a_month_of_pay_claims_batches_and_a_claw_back() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let p = program(&app, &org, "Pay").await;
    let ann = org.shopper.access_token.as_str();
    // A month of shops at three branches: no cooldown between them.
    app.patch(
        "/v1/organization",
        Some(&org.admin.access_token),
        json!({"cooldown_days": 0}),
    )
    .await
    .expect(200);
    // A second shopper whose name a spreadsheet would run as a formula.
    let created = app
        .post("/v1/users", Some(&org.admin.access_token), json!({"email": "bea@acme.example.com", "display_name": "=HYPERLINK(\"http://x\")", "role": "shopper", "password": common::PASSWORD}))
        .await
        .expect(201)
        .body;
    let bea_id = created["user"]["id"].as_str().unwrap().to_string();
    let bea = app
        .login("bea@acme.example.com", common::PASSWORD)
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // The organization's default cap is copied onto a shop planned without one.
    let a1 = plan(&app, &org, &p, 0, Some(&org.shopper.id), json!({})).await;
    let planned = app
        .get(
            &format!("/v1/assignments/{a1}"),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(planned["reimbursement_cap_minor"], 5000);
    // A currency that is not ISO 4217 is refused when planning.
    let bad = app
        .post("/v1/assignments", Some(&org.manager.access_token), json!({"location_id": p.locations[0], "checklist_version_id": p.version_id,
            "window_start": Utc::now().to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339(), "currency": "ABC"}))
        .await
        .expect_problem(422)
        .body;
    assert_eq!(bad["errors"][0]["field"], "currency");

    // Shop 1: three claims over the cap, one without a receipt: flagged, not refused.
    let s1 = shop(&app, ann, &a1, json!([
        {"key": "r-meal", "category": "meal", "description": "Lunch", "amount_minor": 2500, "currency": "EUR"},
        {"key": "parking", "category": "parking", "amount_minor": 400, "currency": "EUR"},
        {"key": "r-gift", "category": "purchase", "description": "Gift card", "amount_minor": 3000, "currency": "EUR"},
    ])).await;
    assert_eq!(kinds(&s1), ["expenses_over_cap", "expense_without_receipt"]);
    let over = s1["flags"].as_array().unwrap()[0].clone();
    assert_eq!(
        (over["claimed_minor"].as_i64(), over["cap_minor"].as_i64()),
        (Some(5900), Some(5000))
    );
    assert_eq!(s1["reimbursements"].as_array().unwrap().len(), 3);
    assert_eq!(s1["reimbursements"][0]["status"], "claimed");
    assert_eq!(
        money(&s1["reimbursements"][0]["claimed"]),
        (2500, "EUR".into(), "25.00".into())
    );

    // Approving every line would exceed the cap: refused, nothing changes.
    let refused = review(&app, &org, &s1, "approve", json!({}))
        .await
        .expect_problem(422)
        .body;
    assert_eq!(refused["errors"][0]["field"], "reimbursements");
    // Refusing without a reason, and deciding with a return, are refused too.
    review(
        &app,
        &org,
        &s1,
        "approve",
        json!({"reimbursements": {"r-gift": {"decision": "refused"}}}),
    )
    .await
    .expect_problem(422);
    review(
        &app,
        &org,
        &s1,
        "return",
        json!({"reimbursements": {"r-gift": {"decision": "refused", "note": "x"}}}),
    )
    .await
    .expect_problem(422);
    let approved = review(&app, &org, &s1, "approve", json!({"grade": 4,
        "reimbursements": {"r-gift": {"decision": "refused", "note": "not in the scenario"}, "parking": {"decision": "approved", "amount_minor": 300, "note": "the receipt-less part"}}}))
        .await
        .expect(200)
        .body;
    let lines: Vec<(String, String, Option<i64>)> = approved["reimbursements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["approved"]["amount_minor"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("r-meal".to_string(), "approved".to_string(), Some(2500)),
            ("parking".to_string(), "approved".to_string(), Some(300)),
            ("r-gift".to_string(), "refused".to_string(), Some(0)),
        ]
    );
    assert_eq!(approved["grade"], 4);

    // Shop 2 (Ann, no claims) and shop 3 (Bea, a meal) are approved.
    let a2 = plan(&app, &org, &p, 1, Some(&org.shopper.id), json!({})).await;
    let s2 = shop(&app, ann, &a2, json!([])).await;
    review(&app, &org, &s2, "approve", json!({"grade": 5}))
        .await
        .expect(200);
    let a3 = plan(&app, &org, &p, 0, Some(&bea_id), json!({"fee_cents": 3000})).await;
    let s3 = shop(
        &app,
        &bea,
        &a3,
        json!([{"key": "r-meal", "category": "meal", "amount_minor": 1200, "currency": "EUR"}]),
    )
    .await;
    review(&app, &org, &s3, "approve", json!({}))
        .await
        .expect(200);
    // Shop 4 (Ann) is rejected: its claim is refused with it and nothing becomes payable.
    let a4 = plan(&app, &org, &p, 2, Some(&org.shopper.id), json!({})).await;
    // A claim in another currency than the shop's is refused (the draft is kept).
    app.post(
        &format!("/v1/assignments/{a4}/accept"),
        Some(ann),
        json!({}),
    )
    .await
    .expect(200);
    let wrong = uuid::Uuid::new_v4();
    let e = app
        .post(&format!("/v1/submissions/{wrong}/submit"), Some(ann), json!({"assignment_id": a4, "answers": {"greeted": {"value": true}},
            "visit_start": (Utc::now() - Duration::minutes(40)).to_rfc3339(), "visit_end": (Utc::now() - Duration::minutes(10)).to_rfc3339(),
            "expenses": [{"key": "meal", "category": "meal", "amount_minor": 800, "currency": "USD"}]}))
        .await
        .expect_problem(422)
        .body;
    assert_eq!(e["errors"][0]["field"], "expenses[0].currency");
    let s4 = app
        .post(&format!("/v1/submissions/{wrong}/submit"), Some(ann), json!({"assignment_id": a4, "answers": {"greeted": {"value": true}},
            "visit_start": (Utc::now() - Duration::minutes(40)).to_rfc3339(), "visit_end": (Utc::now() - Duration::minutes(10)).to_rfc3339(),
            "expenses": [{"key": "meal", "category": "meal", "amount_minor": 800, "currency": "EUR"}]}))
        .await
        .expect(200)
        .body;
    let rejected = review(
        &app,
        &org,
        &s4,
        "reject",
        json!({"comment": "not our branch"}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(rejected["reimbursements"][0]["status"], "refused");

    // Ann is owed 45.00 + 25.00 + 3.00 + 45.00; nothing is scheduled or paid yet.
    let earnings = app.get("/v1/me/earnings", Some(ann)).await.expect(200).body;
    assert_eq!(
        money(&earnings["pending"][0]),
        (11800, "EUR".into(), "118.00".into())
    );
    assert_eq!(earnings["scheduled"], json!([]));
    assert_eq!(earnings["lines"].as_array().unwrap().len(), 4);
    // A manager reads it too; a shopper reads only their own.
    let seen = app
        .get(
            &format!("/v1/shoppers/{}/earnings", org.shopper.id),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(seen["pending"], earnings["pending"]);
    app.get(
        &format!("/v1/shoppers/{}/earnings", org.shopper.id),
        Some(&bea),
    )
    .await
    .expect_problem(403);

    // The batch: managers may look, only admins pay.
    app.post(
        "/v1/payment-batches",
        Some(&org.manager.access_token),
        period(),
    )
    .await
    .expect_problem(403);
    let batch = app
        .post(
            "/v1/payment-batches",
            Some(&org.admin.access_token),
            period(),
        )
        .await
        .expect(201)
        .body;
    let batch_id = batch["batch"]["id"].as_str().unwrap().to_string();
    assert_eq!(batch["batch"]["lines"], 6);
    assert_eq!(batch["batch"]["shoppers"], 2);
    assert_eq!(
        money(&batch["batch"]["totals"][0]),
        (16000, "EUR".into(), "160.00".into())
    );
    // Nothing is batched twice.
    let again = app
        .post(
            "/v1/payment-batches",
            Some(&org.admin.access_token),
            period(),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(again["errors"][0]["field"], "period_to");

    // Shop 2 is rejected before payment: its fee drops out of the open batch.
    review(
        &app,
        &org,
        &s2,
        "reject",
        json!({"comment": "fraud found later"}),
    )
    .await
    .expect(200);
    let batch = app
        .get(
            &format!("/v1/payment-batches/{batch_id}"),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(money(&batch["batch"]["totals"][0]).0, 11500);
    let ann_total = batch["shoppers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shopper_id"] == org.shopper.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(ann_total["shops"], 1);
    assert_eq!(money(&ann_total["fees"]).2, "45.00");
    assert_eq!(money(&ann_total["reimbursements"]).2, "28.00");
    assert_eq!(money(&ann_total["total"]).2, "73.00");

    // The payroll's CSV: money as decimal text, the formula-like name neutralised.
    let csv = app
        .get_text(
            &format!("/v1/payment-batches/{batch_id}/export.csv"),
            &org.admin.access_token,
        )
        .await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "batch_id,period_from,period_to,batch_status,shopper_id,shopper_name,shopper_email,currency,shops,fees,reimbursements,clawbacks,total");
    assert_eq!(rows.len(), 3, "{csv}");
    let bea_row = rows.iter().find(|r| r.contains("bea@acme")).unwrap();
    assert!(
        bea_row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{bea_row}"
    );
    assert!(
        bea_row.ends_with(",EUR,1,30.00,12.00,0.00,42.00"),
        "{bea_row}"
    );
    let ann_row = rows
        .iter()
        .find(|r| r.contains(&org.shopper.email))
        .unwrap();
    assert!(
        ann_row.ends_with(",EUR,1,45.00,28.00,0.00,73.00"),
        "{ann_row}"
    );

    // Paid once; a second time is refused.
    let paid = app
        .post(
            &format!("/v1/payment-batches/{batch_id}/paid"),
            Some(&org.admin.access_token),
            json!({"reference": "SEPA-2026-11"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(paid["batch"]["status"], "paid");
    assert_eq!(paid["batch"]["reference"], "SEPA-2026-11");
    app.post(
        &format!("/v1/payment-batches/{batch_id}/paid"),
        Some(&org.admin.access_token),
        json!({}),
    )
    .await
    .expect_problem(409);
    app.post(
        &format!("/v1/payment-batches/{batch_id}/cancel"),
        Some(&org.admin.access_token),
        json!({}),
    )
    .await
    .expect_problem(409);

    // Shop 1 is rejected after payment: each paid line is clawed back, once.
    review(
        &app,
        &org,
        &s1,
        "reject",
        json!({"comment": "the visit never happened"}),
    )
    .await
    .expect(200);
    let earnings = app.get("/v1/me/earnings", Some(ann)).await.expect(200).body;
    assert_eq!(money(&earnings["paid"][0]).2, "73.00");
    assert_eq!(
        money(&earnings["pending"][0]),
        (-7300, "EUR".into(), "-73.00".into())
    );
    let backs: Vec<i64> = earnings["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "clawback")
        .map(|l| l["money"]["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(backs.len(), 3);
    assert_eq!(backs.iter().sum::<i64>(), -7300);

    // A new shop, then the next batch nets the claw-back against it.
    let a5 = plan(
        &app,
        &org,
        &p,
        1,
        Some(&org.shopper.id),
        json!({"fee_cents": 5000}),
    )
    .await;
    let s5 = shop(&app, ann, &a5, json!([])).await;
    review(&app, &org, &s5, "approve", json!({"grade": 3}))
        .await
        .expect(200);
    let next = app
        .post(
            "/v1/payment-batches",
            Some(&org.admin.access_token),
            period(),
        )
        .await
        .expect(201)
        .body;
    let next_id = next["batch"]["id"].as_str().unwrap().to_string();
    assert_eq!(next["batch"]["shoppers"], 1);
    let csv = app
        .get_text(
            &format!("/v1/payment-batches/{next_id}/export.csv"),
            &org.admin.access_token,
        )
        .await;
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .ends_with(",EUR,1,50.00,0.00,-73.00,-23.00"),
        "{csv}"
    );
    // Ann's statement lists the paid batch only.
    let statements = app
        .get("/v1/me/statements", Some(ann))
        .await
        .expect(200)
        .body;
    let items = statements["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["batch_id"], batch_id.as_str());
    assert_eq!(items[0]["reference"], "SEPA-2026-11");
    assert_eq!(money(&items[0]["totals"][0]).2, "73.00");
    // Cancelling the open batch makes its lines payable again.
    app.post(
        &format!("/v1/payment-batches/{next_id}/cancel"),
        Some(&org.admin.access_token),
        json!({}),
    )
    .await
    .expect(200);
    let earnings = app.get("/v1/me/earnings", Some(ann)).await.expect(200).body;
    assert_eq!(money(&earnings["pending"][0]).2, "-23.00");
    assert_eq!(earnings["scheduled"], json!([]));
    let list = app
        .get(
            "/v1/payment-batches?status=paid",
            Some(&org.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Another organization sees none of it.
    let rival = app.seed_org("Rival").await;
    app.get(
        &format!("/v1/payment-batches/{batch_id}"),
        Some(&rival.admin.access_token),
    )
    .await
    .expect_problem(404);
    app.get(
        &format!("/v1/shoppers/{}/earnings", org.shopper.id),
        Some(&rival.admin.access_token),
    )
    .await
    .expect_problem(404);
    let theirs = app
        .get("/v1/payment-batches", Some(&rival.admin.access_token))
        .await
        .expect(200)
        .body;
    assert_eq!(theirs["items"], json!([]));
}

fn quiz(name: &str, checklist_id: Option<&str>) -> Value {
    json!({"name": name, "checklist_id": checklist_id, "pass_mark_percent": 67, "max_attempts": 2,
    "introduction": "Before your first shop",
    "questions": [
        {"key": "q1", "text": "When do you take photos?", "options": [{"key": "a", "text": "Openly"}, {"key": "b", "text": "Discreetly, outside"}], "correct": ["b"]},
        {"key": "q2", "text": "What do you record?", "options": [{"key": "a", "text": "Names"}, {"key": "b", "text": "Times"}, {"key": "c", "text": "Your opinion"}], "correct": ["a", "b"]},
        {"key": "q3", "text": "May you tell staff?", "options": [{"key": "yes", "text": "Yes"}, {"key": "no", "text": "No"}], "correct": ["no"]},
    ]})
}

#[actix_web::test]
async fn certification_gates_the_job_board_and_offers() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = Some(org.manager.access_token.as_str());
    let ann = Some(org.shopper.access_token.as_str());
    let p = program(&app, &org, "Cert").await;
    let job = plan(&app, &org, &p, 0, None, json!({})).await;
    let on_board = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["assignment"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        on_board(&app.get("/v1/job-board", ann).await.expect(200).body),
        std::slice::from_ref(&job)
    );

    // A quiz naming the checklist: malformed ones are refused, a good one published.
    let mut broken = quiz("Discretion", Some(&p.checklist_id));
    broken["questions"][0]["correct"] = json!(["z"]);
    let e = app
        .post("/v1/quizzes", manager, broken)
        .await
        .expect_problem(422)
        .body;
    assert_eq!(e["errors"][0]["field"], "questions[0].correct[0]");
    let q = app
        .post(
            "/v1/quizzes?publish=true",
            manager,
            quiz("Discretion", Some(&p.checklist_id)),
        )
        .await
        .expect(201)
        .body;
    let quiz_id = q["quiz_id"].as_str().unwrap().to_string();
    assert_eq!(q["status"], "published");

    // Now the job needs the certification: off the board, refused on accept and on offer.
    assert!(on_board(&app.get("/v1/job-board", ann).await.expect(200).body).is_empty());
    let refused = app
        .post(&format!("/v1/assignments/{job}/accept"), ann, json!({}))
        .await
        .expect_problem(422)
        .body;
    assert_eq!(refused["errors"][0]["field"], "eligibility.not_certified");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Discretion"));
    let offered = app
        .post(
            &format!("/v1/assignments/{job}/offer"),
            manager,
            json!({"shopper_id": org.shopper.id}),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(offered["errors"][0]["field"], "eligibility.not_certified");

    // The shopper sees the quiz without its answers.
    let mine = app.get("/v1/me/certifications", ann).await.expect(200).body;
    let c = &mine["items"][0];
    assert_eq!(c["quiz_id"], quiz_id.as_str());
    assert_eq!(
        (c["passed"].as_bool(), c["attempts_left"].as_i64()),
        (Some(false), Some(2))
    );
    assert!(c["questions"][0].get("correct").is_none());
    assert_eq!(c["questions"][1]["choose_several"], true);

    // An answer to a question it does not ask is refused and costs no attempt.
    app.post(
        &format!("/v1/quizzes/{quiz_id}/attempts"),
        ann,
        json!({"answers": {"q9": ["a"]}}),
    )
    .await
    .expect_problem(422);
    // First attempt: q1 right, q2 half right (wrong), q3 wrong: 1 of 3, 33 %.
    let first = app
        .post(
            &format!("/v1/quizzes/{quiz_id}/attempts"),
            ann,
            json!({"answers": {"q1": ["b"], "q2": ["a"], "q3": ["yes"]}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (
            first["correct"].as_i64(),
            first["total"].as_i64(),
            first["score_percent"].as_i64(),
            first["passed"].as_bool()
        ),
        (Some(1), Some(3), Some(33), Some(false))
    );
    assert!(on_board(&app.get("/v1/job-board", ann).await.expect(200).body).is_empty());
    // Second attempt: all three right (the pass mark of 67 % needs 3 of 3: 2 × 100 < 67 × 3).
    let second = app
        .post(
            &format!("/v1/quizzes/{quiz_id}/attempts"),
            ann,
            json!({"answers": {"q1": ["b"], "q2": ["b", "a"], "q3": ["no"]}}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (second["correct"].as_i64(), second["passed"].as_bool()),
        (Some(3), Some(true))
    );
    // Passed: no more attempts, the job is back on the board and can be taken.
    app.post(
        &format!("/v1/quizzes/{quiz_id}/attempts"),
        ann,
        json!({"answers": {}}),
    )
    .await
    .expect_problem(409);
    assert_eq!(
        on_board(&app.get("/v1/job-board", ann).await.expect(200).body),
        std::slice::from_ref(&job)
    );
    app.post(&format!("/v1/assignments/{job}/accept"), ann, json!({}))
        .await
        .expect(200);

    // A shopper who fails twice has no attempts left.
    let (_, bea) = app.new_shopper(&org, "bea").await;
    for _ in 0..2 {
        let a = app
            .post(
                &format!("/v1/quizzes/{quiz_id}/attempts"),
                Some(&bea),
                json!({"answers": {"q1": ["a"]}}),
            )
            .await
            .expect(201)
            .body;
        assert_eq!(a["passed"], false);
    }
    let out = app
        .post(
            &format!("/v1/quizzes/{quiz_id}/attempts"),
            Some(&bea),
            json!({"answers": {"q1": ["b"]}}),
        )
        .await
        .expect_problem(409)
        .body;
    assert!(
        out["detail"].as_str().unwrap().contains("no attempts left"),
        "{out}"
    );
    // Managers see every attempt, a shopper their own.
    let all = app
        .get(&format!("/v1/quizzes/{quiz_id}/attempts"), manager)
        .await
        .expect(200)
        .body;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    let own = app
        .get(&format!("/v1/quizzes/{quiz_id}/attempts"), Some(&bea))
        .await
        .expect(200)
        .body;
    assert_eq!(own["items"].as_array().unwrap().len(), 2);

    // A job may require a quiz of its own; planning with an unpublished one is refused.
    let draft = app
        .post("/v1/quizzes", manager, quiz("Bank products", None))
        .await
        .expect(201)
        .body;
    let draft_id = draft["quiz_id"].as_str().unwrap().to_string();
    let e = app
        .post("/v1/assignments", manager, json!({"location_id": p.locations[1], "checklist_version_id": p.version_id,
            "window_start": Utc::now().to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339(), "required_quiz_id": draft_id}))
        .await
        .expect_problem(422)
        .body;
    assert_eq!(e["errors"][0]["field"], "required_quiz_id");
    let etag = draft["revision"].to_string();
    app.send(
        app.client
            .post(format!("{}/v1/quizzes/{draft_id}/draft/publish", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", format!("\"{}\"", etag)),
    )
    .await
    .expect(200);
    let special = plan(
        &app,
        &org,
        &p,
        1,
        None,
        json!({"required_quiz_id": draft_id}),
    )
    .await;
    let (_, cal) = app.new_shopper(&org, "cal").await;
    // Cal has passed neither quiz: the board is empty for them; a new quiz version keeps
    // Ann's pass.
    assert!(on_board(&app.get("/v1/job-board", Some(&cal)).await.expect(200).body).is_empty());
    let v2 = app
        .call(
            Method::PUT,
            &format!("/v1/quizzes/{quiz_id}/draft"),
            manager,
            Some(quiz("Discretion", Some(&p.checklist_id))),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(v2["version"], 2);
    app.send(
        app.client
            .post(format!("{}/v1/quizzes/{quiz_id}/draft/publish", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", format!("\"{}\"", v2["revision"])),
    )
    .await
    .expect(200);
    let mine = app.get("/v1/me/certifications", ann).await.expect(200).body;
    let discretion = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["quiz_id"] == quiz_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            discretion["version"].as_i64(),
            discretion["passed"].as_bool()
        ),
        (Some(2), Some(true))
    );
    // Ann holds Discretion but not Bank products: the special job stays off her board.
    let ann_board = on_board(&app.get("/v1/job-board", ann).await.expect(200).body);
    assert!(!ann_board.contains(&special), "{ann_board:?}");
    let listed = app.get("/v1/quizzes", manager).await.expect(200).body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    // Another organization cannot reach the quiz.
    let rival = app.seed_org("Rival").await;
    app.get(
        &format!("/v1/quizzes/{quiz_id}"),
        Some(&rival.admin.access_token),
    )
    .await
    .expect_problem(404);
    app.post(
        &format!("/v1/quizzes/{quiz_id}/attempts"),
        Some(&rival.shopper.access_token),
        json!({"answers": {}}),
    )
    .await
    .expect_problem(404);
}

#[actix_web::test]
async fn reputation_is_counted_from_the_work_and_ranks_candidates() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let p = program(&app, &org, "Rep").await;
    let ann = org.shopper.access_token.clone();
    let (bea_id, bea) = app.new_shopper(&org, "bea").await;

    // Ann: approved (grade 5); returned, fixed and approved (grade 3); one left to expire.
    let s = shop(
        &app,
        &ann,
        &plan(&app, &org, &p, 0, Some(&org.shopper.id), json!({})).await,
        json!([]),
    )
    .await;
    review(&app, &org, &s, "approve", json!({"grade": 5}))
        .await
        .expect(200);
    let a = plan(&app, &org, &p, 1, Some(&org.shopper.id), json!({})).await;
    let s = shop(&app, &ann, &a, json!([])).await;
    review(
        &app,
        &org,
        &s,
        "return",
        json!({"comment": "which door?", "grade": 2}),
    )
    .await
    .expect(200);
    let id = s["id"].as_str().unwrap();
    app.post(
        &format!("/v1/submissions/{id}/submit"),
        Some(&ann),
        s["content"].clone(),
    )
    .await
    .expect(200);
    // The approval's grade replaces the return's.
    review(&app, &org, &s, "approve", json!({"grade": 3}))
        .await
        .expect(200);
    let late = plan(&app, &org, &p, 2, Some(&org.shopper.id), json!({})).await;
    app.post(
        &format!("/v1/assignments/{late}/accept"),
        Some(&ann),
        json!({}),
    )
    .await
    .expect(200);
    {
        use diesel::prelude::*;
        use shopgap::db::schema::assignments;
        let mut conn = app.pool.get().unwrap();
        diesel::update(assignments::table.find(&late))
            .set(assignments::window_end.eq(Utc::now().naive_utc() - Duration::minutes(1)))
            .execute(&mut *conn)
            .unwrap();
        assert_eq!(
            shopgap::assignments::service::expire_due(&mut conn, Utc::now().naive_utc()).unwrap(),
            1
        );
    }
    // Bea: approved (grade 2); rejected.
    let s = shop(
        &app,
        &bea,
        &plan(&app, &org, &p, 0, Some(&bea_id), json!({})).await,
        json!([]),
    )
    .await;
    review(&app, &org, &s, "approve", json!({"grade": 2}))
        .await
        .expect(200);
    let s = shop(
        &app,
        &bea,
        &plan(&app, &org, &p, 1, Some(&bea_id), json!({})).await,
        json!([]),
    )
    .await;
    review(
        &app,
        &org,
        &s,
        "reject",
        json!({"comment": "photos from another branch"}),
    )
    .await
    .expect(200);

    let manager = Some(org.manager.access_token.as_str());
    let rep = |id: String| {
        let app = &app;
        async move {
            app.get(&format!("/v1/shoppers/{id}/reputation"), manager)
                .await
                .expect(200)
                .body
        }
    };
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    // Ann: 2 first submissions on time and 1 expired → 2/3; 1 return of 3 decisions; no
    // rejection; grades 5 and 3 → 4.0; score = (2/3 + 2/3 + 1 + 3/4) / 4.
    let r = rep(org.shopper.id.clone()).await;
    assert_eq!(
        (
            r["shops_done"].as_i64(),
            r["submitted"].as_i64(),
            r["expired"].as_i64(),
            r["reviews"].as_i64()
        ),
        (Some(2), Some(2), Some(1), Some(3))
    );
    assert!(close(&r["on_time_rate"], 2.0 / 3.0), "{r}");
    assert!(close(&r["return_rate"], 1.0 / 3.0), "{r}");
    assert!(close(&r["rejection_rate"], 0.0), "{r}");
    assert!(close(&r["mean_grade"], 4.0), "{r}");
    assert!(
        close(&r["score"], (2.0 / 3.0 + 2.0 / 3.0 + 1.0 + 0.75) / 4.0),
        "{r}"
    );
    // Bea: on time 2/2; no return; 1 rejection of 2; grade 2 → (1 + 1 + 0.5 + 0.25) / 4.
    let b = rep(bea_id.clone()).await;
    assert!(
        close(&b["on_time_rate"], 1.0) && close(&b["rejection_rate"], 0.5),
        "{b}"
    );
    assert!(
        close(&b["mean_grade"], 2.0) && close(&b["score"], 0.6875),
        "{b}"
    );
    // Cal has no history.
    let (cal_id, _) = app.new_shopper(&org, "cal").await;
    let c = rep(cal_id.clone()).await;
    assert_eq!(
        (c["score"].clone(), c["shops_done"].as_i64()),
        (Value::Null, Some(0))
    );

    // Whom to offer a new shop to: all three are eligible at a fresh location.
    let fresh = app
        .post("/v1/locations", manager, json!({"code": "L9", "name": "New", "region": "East", "segment": "b2c",
            "latitude": 52.9, "longitude": 13.4, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = app
        .post("/v1/assignments", manager, json!({"location_id": fresh, "checklist_version_id": p.version_id,
            "window_start": Utc::now().to_rfc3339(), "window_end": (Utc::now() + Duration::days(3)).to_rfc3339()}))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let order = |sort: &'static str| {
        let app = &app;
        let job = job.clone();
        async move {
            app.get(
                &format!("/v1/assignments/{job}/candidates?sort={sort}"),
                manager,
            )
            .await
            .expect(200)
            .body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["shopper_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let ann_id = org.shopper.id.clone();
    assert_eq!(
        order("score").await,
        [ann_id.clone(), bea_id.clone(), cal_id.clone()]
    );
    assert_eq!(
        order("on_time_rate").await,
        [bea_id.clone(), ann_id.clone(), cal_id.clone()]
    );
    assert_eq!(
        order("mean_grade").await,
        [ann_id.clone(), bea_id.clone(), cal_id.clone()]
    );
    // An exclusion takes a shopper off the list.
    app.post(
        &format!("/v1/shoppers/{bea_id}/exclusions"),
        manager,
        json!({"location_id": fresh}),
    )
    .await
    .expect(201);
    assert_eq!(order("score").await, [ann_id.clone(), cal_id.clone()]);

    // A late rejection moves an approval to the rejections.
    let before = rep(ann_id.clone()).await;
    let approved = app
        .get("/v1/submissions?status=approved", manager)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shopper_id"] == ann_id.as_str())
        .unwrap()
        .clone();
    review(
        &app,
        &org,
        &approved,
        "reject",
        json!({"comment": "late finding"}),
    )
    .await
    .expect(200);
    let after = rep(ann_id.clone()).await;
    assert_eq!(
        after["shops_done"].as_i64(),
        Some(before["shops_done"].as_i64().unwrap() - 1)
    );
    assert!(close(&after["rejection_rate"], 1.0 / 2.0), "{after}");

    // The roll-up is what a recount from the history gives.
    {
        let mut conn = app.pool.get().unwrap();
        shopgap::shoppers::reputation::rebuild(&mut conn, Utc::now().naive_utc()).unwrap();
    }
    for id in [ann_id, bea_id] {
        let recounted = rep(id.clone()).await;
        let kept = if id == org.shopper.id {
            after.clone()
        } else {
            b.clone()
        };
        assert_eq!(recounted, kept);
    }
    // Another organization's admin gets 404.
    let rival = app.seed_org("Rival").await;
    app.get(
        &format!("/v1/shoppers/{}/reputation", org.shopper.id),
        Some(&rival.admin.access_token),
    )
    .await
    .expect_problem(404);
    app.get(
        &format!("/v1/assignments/{job}/candidates"),
        Some(&rival.admin.access_token),
    )
    .await
    .expect_problem(404);
}
