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
        let fingerprint =
            shopgap::idempotency::fingerprint("POST", &path, "", "application/json", b"{}");
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

/// A POST with an `Idempotency-Key` and any credential (an `sgk_` key goes as `X-API-Key`).
async fn post_as(
    app: &TestApp,
    credential: &str,
    path: &str,
    key: &str,
    body: serde_json::Value,
) -> common::Resp {
    let request = app
        .client
        .post(format!("{}{path}", app.base))
        .header("Idempotency-Key", key)
        .json(&body);
    let request = if credential.starts_with("sgk_") {
        request.header("X-API-Key", credential)
    } else {
        request.bearer_auth(credential)
    };
    app.send(request).await
}

fn location(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "Branch", "region": "E", "segment": "b2c", "latitude": 52.5,
           "longitude": 13.4, "time_zone": "Europe/Berlin", "channels": ["in_person"]})
}

/// The API key with its secret part replaced: the right public prefix, a made-up secret.
fn forged(key: &str) -> String {
    let cut = key.rfind('_').unwrap();
    format!("{}_{}", &key[..cut], "A".repeat(43))
}

#[actix_web::test]
async fn replays_answer_only_the_principal_that_has_just_authenticated() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let key = app
        .api_key(&org, &["locations:write", "locations:read"])
        .await;
    let fake = forged(&key);

    // The integrator's answer is not replayed to a forged key with the same public prefix.
    let made = post_as(&app, &key, "/v1/locations", "k-1", location("A"))
        .await
        .expect(201);
    let refused = post_as(&app, &fake, "/v1/locations", "k-1", location("A"))
        .await
        .expect_problem(401);
    assert!(refused.header("idempotent-replayed").is_none());
    assert!(!refused
        .body
        .to_string()
        .contains(made.body["id"].as_str().unwrap()));

    // A forged key cannot plant a 401 under a key the integrator will use: the real request
    // runs.
    post_as(&app, &fake, "/v1/locations", "k-2", location("B"))
        .await
        .expect_problem(401);
    let real = post_as(&app, &key, "/v1/locations", "k-2", location("B"))
        .await
        .expect(201);
    assert!(real.header("idempotent-replayed").is_none());
    // And it is replayed to the integrator itself.
    let again = post_as(&app, &key, "/v1/locations", "k-2", location("B"))
        .await
        .expect(201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.body, real.body);

    // A revoked key gets no replays.
    let key_id = app
        .get("/v1/api-keys", Some(&org.admin.access_token))
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| key.contains(k["prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.delete(
        &format!("/v1/api-keys/{key_id}"),
        Some(&org.admin.access_token),
    )
    .await
    .expect(204);
    let revoked = post_as(&app, &key, "/v1/locations", "k-2", location("B"))
        .await
        .expect_problem(401);
    assert!(revoked.header("idempotent-replayed").is_none());

    // Nor does a deactivated user's token, nor one whose session ended.
    let manager = org.manager.access_token.as_str();
    post_as(&app, manager, "/v1/locations", "m-1", location("C"))
        .await
        .expect(201);
    post_as(&app, manager, "/v1/locations", "m-1", location("C"))
        .await
        .expect(201);
    app.delete(
        &format!("/v1/users/{}", org.manager.id),
        Some(&org.admin.access_token),
    )
    .await
    .expect(204);
    let gone = post_as(&app, manager, "/v1/locations", "m-1", location("C"))
        .await
        .expect_problem(401);
    assert!(gone.header("idempotent-replayed").is_none());
}

#[actix_web::test]
async fn the_query_string_is_part_of_the_request() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let csv = "code,name,region,segment,latitude,longitude,time_zone,channels\n\
               A,Branch,E,b2c,52.5,13.4,Europe/Berlin,in_person\n\
               B,Branch,E,b2c,95,13.4,Europe/Berlin,in_person\n";
    let import = |query: &'static str| {
        app.client
            .post(format!("{}/v1/locations/import{query}", app.base))
            .bearer_auth(token)
            .header("Idempotency-Key", "import-1")
            .header("content-type", "text/csv")
            .body(csv)
    };
    // All or nothing refuses the bad row; the same key with `partial=true` is another request,
    // not a replay of the refusal.
    app.send(import("?partial=false")).await.expect_problem(422);
    let other = app.send(import("?partial=true")).await.expect_problem(422);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    assert!(other.header("idempotent-replayed").is_none());
    let imported = app
        .send(
            app.client
                .post(format!("{}/v1/locations/import?partial=true", app.base))
                .bearer_auth(token)
                .header("Idempotency-Key", "import-2")
                .header("content-type", "text/csv")
                .body(csv),
        )
        .await
        .expect(201);
    assert_eq!(imported.body["created"], 1, "{}", imported.body);
}

/// Every response body kept for replay, as stored.
fn stored_bodies(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    use shopgap::db::schema::idempotency_keys as keys;
    let mut conn = app.pool.get().unwrap();
    keys::table
        .select(keys::body)
        .load::<Option<String>>(&mut *conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

#[actix_web::test]
async fn secrets_shown_once_are_never_stored_nor_shown_twice() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = org.admin.access_token.as_str();
    let mut secrets = Vec::new();

    // A new API key's secret.
    let body = json!({"name": "BI", "scopes": ["users:read"]});
    let created = post_as(&app, admin, "/v1/api-keys", "key-1", body.clone())
        .await
        .expect(201);
    secrets.push(created.body["secret"].as_str().unwrap().to_string());
    let resent = post_as(&app, admin, "/v1/api-keys", "key-1", body)
        .await
        .expect_problem(409);
    assert!(resent.body["detail"]
        .as_str()
        .unwrap()
        .contains("shown only once"));
    assert!(resent.body["detail"]
        .as_str()
        .unwrap()
        .contains("/v1/api-keys/"));

    // A generated initial password, and a reset one.
    let body = json!({"email": "new@acme.example.com", "display_name": "New", "role": "shopper"});
    let user = post_as(&app, admin, "/v1/users", "user-1", body.clone())
        .await
        .expect(201);
    secrets.push(user.body["initial_password"].as_str().unwrap().to_string());
    post_as(&app, admin, "/v1/users", "user-1", body)
        .await
        .expect_problem(409);
    let reset_path = format!(
        "/v1/users/{}/password-reset",
        user.body["user"]["id"].as_str().unwrap()
    );
    let reset = post_as(&app, admin, &reset_path, "reset-1", json!({}))
        .await
        .expect(200);
    secrets.push(reset.body["password"].as_str().unwrap().to_string());
    post_as(&app, admin, &reset_path, "reset-1", json!({}))
        .await
        .expect_problem(409);

    // Token pairs, even when a signed-in caller sends the login with a key.
    let login = json!({"email": org.manager.email, "password": common::PASSWORD});
    let tokens = post_as(&app, admin, "/v1/auth/login", "login-1", login)
        .await
        .expect(200);
    secrets.push(tokens.body["refresh_token"].as_str().unwrap().to_string());
    secrets.push(tokens.body["access_token"].as_str().unwrap().to_string());

    // An ordinary answer is still kept, so the check below is not vacuous.
    post_as(&app, admin, "/v1/locations", "loc-1", location("A"))
        .await
        .expect(201);
    let bodies = stored_bodies(&app);
    assert!(
        bodies.iter().any(|b| b.contains("\"code\":\"A\"")),
        "{bodies:?}"
    );
    for secret in &secrets {
        assert!(
            !bodies.iter().any(|b| b.contains(secret.as_str())),
            "a secret is stored in clear"
        );
    }
}
