//! `Idempotency-Key` on the mobile app's POSTs: replays, mismatches and requests still running.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use serde_json::json;

async fn open_job(app: &TestApp, org: &common::Org) -> String {
    let manager = Some(org.manager.access_token.as_str());
    let doc = json!({
        "format": "shopgap.checklist/v1", "name": "C", "channel": "in_person",
        "sections": [{"title": "A", "items": [{"key": "a", "prompt": "?", "type": "yes_no", "standard": "S1"}]}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "B", "principles": [], "protocols": [],
            "standards": [{"code": "S1", "text": "t", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]},
    });
    let version = app
        .post("/v1/checklists/import?publish=true", manager, doc)
        .await
        .expect(201)
        .body["id"]
        .clone();
    let location = app
        .post("/v1/locations", manager, json!({"code": "L", "name": "B", "region": "E", "segment": "b2c", "latitude": 52.5, "longitude": 13.4, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
        .await
        .body["id"].clone();
    app.post("/v1/assignments", manager, json!({"location_id": location, "checklist_version_id": version,
        "window_start": (Utc::now() - Duration::hours(1)).to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339()}))
        .await
        .expect(201)
        .body["id"].as_str().unwrap().to_string()
}

async fn post_with_key(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: serde_json::Value,
) -> common::Resp {
    app.send(
        app.client
            .post(format!("{}{path}", app.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body),
    )
    .await
}

#[actix_web::test]
async fn a_retried_post_is_answered_from_memory() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let id = open_job(&app, &org).await;
    let token = org.shopper.access_token.as_str();
    let path = format!("/v1/assignments/{id}/accept");

    let first = post_with_key(&app, token, &path, "k-1", json!({}))
        .await
        .expect(200);
    let again = post_with_key(&app, token, &path, "k-1", json!({}))
        .await
        .expect(200);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(first.body, again.body);
    // Without the key the same request is a new one, and the state machine says so.
    app.post(&path, Some(token), json!({}))
        .await
        .expect_problem(409);
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

    // The same key with another request is refused.
    let check_in = format!("/v1/assignments/{id}/check-in");
    let other = post_with_key(
        &app,
        token,
        &check_in,
        "k-1",
        json!({"latitude": 52.5, "longitude": 13.4}),
    )
    .await
    .expect_problem(422);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    let mut moved = json!({"latitude": 52.5, "longitude": 13.4});
    post_with_key(&app, token, &check_in, "k-2", moved.clone())
        .await
        .expect(200);
    moved["latitude"] = json!(52.6);
    post_with_key(&app, token, &check_in, "k-2", moved)
        .await
        .expect_problem(422);

    // Keys belong to their caller: another user's identical key is their own.
    let second = app.post("/v1/users", Some(&org.admin.access_token), json!({"email": "s2@acme.example.com", "display_name": "S2", "role": "shopper", "password": common::PASSWORD})).await.expect(201);
    assert!(second.body["user"]["id"].is_string());
    let s2 = app
        .login("s2@acme.example.com", common::PASSWORD)
        .await
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs = post_with_key(&app, &s2, &path, "k-1", json!({})).await;
    assert_eq!(theirs.status, 409, "{}", theirs.body);
    assert!(theirs.header("idempotent-replayed").is_none());
}

#[actix_web::test]
async fn a_key_still_running_is_409_and_bad_keys_are_400() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let id = open_job(&app, &org).await;
    let path = format!("/v1/assignments/{id}/accept");
    let token = org.shopper.access_token.as_str();
    {
        use diesel::prelude::*;
        use shopgap::db::schema::idempotency_keys as keys;
        let mut conn = app.pool.get().unwrap();
        let fingerprint = shopgap::auth::tokens::sha256_hex(&format!("POST {path}\n{{}}"));
        diesel::insert_into(keys::table)
            .values((
                keys::scope.eq(format!("user:{}", org.shopper.id)),
                keys::key.eq("busy"),
                keys::request_hash.eq(fingerprint),
                keys::state.eq("running"),
                keys::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    post_with_key(&app, token, &path, "busy", json!({}))
        .await
        .expect_problem(409);
    post_with_key(&app, token, &path, &"x".repeat(300), json!({}))
        .await
        .expect_problem(400);
    // The job is still there to take.
    post_with_key(&app, token, &path, "fresh", json!({}))
        .await
        .expect(200);
}
