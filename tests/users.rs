//! User, organization-settings and API-key management, as an admin, a manager and an integrator.

mod common;

use common::{TestApp, PASSWORD};
use serde_json::json;

#[actix_web::test]
async fn admins_create_users_who_can_sign_in() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());

    let created = app
        .post("/v1/users", admin, json!({"email": "New.Shopper@Acme.example.com", "display_name": "New Shopper", "role": "shopper"}))
        .await
        .expect(201);
    let user = &created.body["user"];
    assert_eq!(user["email"], "new.shopper@acme.example.com");
    assert_eq!(user["role"], "shopper");
    assert_eq!(user["active"], true);
    assert_eq!(user["organization_id"], org.id);
    assert_eq!(
        created.header("location").unwrap(),
        format!("/v1/users/{}", user["id"].as_str().unwrap())
    );
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let generated = created.body["initial_password"].as_str().unwrap();
    assert_eq!(generated.len(), 20);
    app.login("new.shopper@acme.example.com", generated)
        .await
        .expect(200);

    // A chosen password is not echoed back.
    let chosen = app
        .post("/v1/users", admin, json!({"email": "m2@acme.example.com", "display_name": "M2", "role": "manager", "password": "chosen by the admin"}))
        .await
        .expect(201);
    assert!(chosen.body["initial_password"].is_null());
    app.login("m2@acme.example.com", "chosen by the admin")
        .await
        .expect(200);

    // The same email again, in any case, is a conflict.
    app.post(
        "/v1/users",
        admin,
        json!({"email": "NEW.shopper@acme.example.com", "display_name": "Dup", "role": "shopper"}),
    )
    .await
    .expect_problem(409);
}

#[actix_web::test]
async fn invalid_users_list_every_problem() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let problem = app
        .post("/v1/users", admin, json!({"email": "not-an-email", "display_name": "", "role": "shopper", "password": "short"}))
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["display_name", "email", "password"]);

    let unknown_role = app
        .post(
            "/v1/users",
            admin,
            json!({"email": "a@acme.example.com", "display_name": "A", "role": "owner"}),
        )
        .await
        .expect_problem(422);
    assert!(unknown_role.body["detail"]
        .as_str()
        .unwrap()
        .contains("owner"));
    app.post(
        "/v1/users",
        admin,
        json!({"email": "a@acme.example.com", "display_name": "A", "role": "shopper", "extra": 1}),
    )
    .await
    .expect_problem(422);
}

#[actix_web::test]
async fn lists_page_with_cursors_and_filter() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    for i in 0..5 {
        app.post("/v1/users", admin, json!({"email": format!("s{i}@acme.example.com"), "display_name": format!("S{i}"), "role": "shopper"}))
            .await
            .expect(201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?role=shopper&limit=2&cursor={c}"),
            None => "/v1/users?role=shopper&limit=2".to_string(),
        };
        let page = app
            .get(&path, Some(&org.manager.access_token))
            .await
            .expect(200)
            .body;
        for user in page["items"].as_array().unwrap() {
            assert_eq!(user["role"], "shopper");
            seen.push(user["email"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        6,
        "the seeded shopper and five new ones: {seen:?}"
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6);

    let all = app
        .get("/v1/users", Some(&org.admin.access_token))
        .await
        .expect(200)
        .body;
    assert_eq!(all["items"].as_array().unwrap().len(), 8);
    assert!(all["next_cursor"].is_null());

    // Values a parameter's schema refuses are named (422); a cursor the server never issued is
    // not a value a schema can judge (400).
    for (bad, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("role=owner", "role"),
        ("active=maybe", "active"),
    ] {
        let problem = app
            .get(&format!("/v1/users?{bad}"), admin)
            .await
            .expect_problem(422);
        assert_eq!(problem.body["errors"][0]["field"], field, "{bad}");
    }
    app.get("/v1/users?cursor=garbage", admin)
        .await
        .expect_problem(400);
}

#[actix_web::test]
async fn updates_honour_if_match() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let path = format!("/v1/users/{}", org.shopper.id);
    let current = app.get(&path, admin).await.expect(200);
    let etag = current.header("etag").unwrap();
    assert_eq!(etag, "\"1\"");

    let request = |tag: &str, name: &str| {
        app.client
            .patch(format!("{}{path}", app.base))
            .bearer_auth(&org.admin.access_token)
            .header("If-Match", tag)
            .json(&json!({"display_name": name}))
    };
    let updated = app.send(request(&etag, "Renamed")).await.expect(200);
    assert_eq!(updated.body["display_name"], "Renamed");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag").as_deref(), Some("\"2\""));
    // A second writer still holding version 1 is refused and changes nothing.
    app.send(request(&etag, "Lost update"))
        .await
        .expect_problem(412);
    assert_eq!(app.get(&path, admin).await.body["display_name"], "Renamed");
    // Without If-Match the write goes through (last writer wins, by the client's choice).
    app.patch(&path, admin, json!({"role": "manager"}))
        .await
        .expect(200);
    assert_eq!(app.get(&path, admin).await.body["role"], "manager");
}

#[actix_web::test]
async fn the_organization_keeps_an_active_admin() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let own = format!("/v1/users/{}", org.admin.id);
    app.patch(&own, admin, json!({"role": "manager"}))
        .await
        .expect_problem(409);
    app.delete(&own, admin).await.expect_problem(409);

    // With a second admin, the first can be demoted by the second, but not the last one left.
    app.patch(
        &format!("/v1/users/{}", org.manager.id),
        admin,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    let second = Some(org.manager.access_token.as_str());
    app.patch(&own, second, json!({"active": false}))
        .await
        .expect(200);
    app.patch(
        &format!("/v1/users/{}", org.manager.id),
        second,
        json!({"role": "shopper"}),
    )
    .await
    .expect_problem(409);
}

#[actix_web::test]
async fn deactivated_users_can_be_reactivated() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let path = format!("/v1/users/{}", org.shopper.id);
    app.delete(&path, admin).await.expect(204);
    app.delete(&path, admin).await.expect(204);
    assert_eq!(app.get(&path, admin).await.body["active"], false);
    let inactive = app
        .get("/v1/users?active=false", admin)
        .await
        .expect(200)
        .body;
    assert_eq!(inactive["items"].as_array().unwrap().len(), 1);
    app.login(&org.shopper.email, PASSWORD)
        .await
        .expect_problem(401);
    app.patch(&path, admin, json!({"active": true}))
        .await
        .expect(200);
    app.login(&org.shopper.email, PASSWORD).await.expect(200);
}

#[actix_web::test]
async fn password_reset_gives_a_new_password_once() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let reset = app
        .post(
            &format!("/v1/users/{}/password-reset", org.shopper.id),
            Some(&org.admin.access_token),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    let password = reset["password"].as_str().unwrap();
    app.login(&org.shopper.email, PASSWORD)
        .await
        .expect_problem(401);
    app.login(&org.shopper.email, password).await.expect(200);
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": org.shopper.refresh_token}),
    )
    .await
    .expect_problem(401);
}

#[actix_web::test]
async fn organization_settings_read_and_change() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let current = app
        .get("/v1/organization", Some(&org.manager.access_token))
        .await
        .expect(200);
    let settings = &current.body["settings"];
    assert_eq!(settings["cooldown_days"], 30);
    assert_eq!(settings["max_active_assignments"], 5);
    assert_eq!(settings["min_sample_size"], 5);
    assert_eq!(settings["geofence_radius_m"], 150);
    assert_eq!(settings["shoppers_see_scores"], false);
    let etag = current.header("etag").unwrap();

    let changed = app
        .send(
            app.client
                .patch(format!("{}/v1/organization", app.base))
                .bearer_auth(&org.admin.access_token)
                .header("If-Match", &etag)
                .json(&json!({"cooldown_days": 45, "min_sample_size": 8, "name": "Acme Retail"})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(changed["settings"]["cooldown_days"], 45);
    assert_eq!(changed["settings"]["min_sample_size"], 8);
    assert_eq!(changed["settings"]["max_active_assignments"], 5);
    assert_eq!(changed["name"], "Acme Retail");
    assert_eq!(changed["version"], 2);

    let stale = app
        .send(
            app.client
                .patch(format!("{}/v1/organization", app.base))
                .bearer_auth(&org.admin.access_token)
                .header("If-Match", &etag)
                .json(&json!({"cooldown_days": 1})),
        )
        .await;
    stale.expect_problem(412);

    let invalid = app
        .patch(
            "/v1/organization",
            admin,
            json!({"cooldown_days": -1, "max_active_assignments": 0, "geofence_radius_m": 1}),
        )
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = invalid["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "cooldown_days",
            "geofence_radius_m",
            "max_active_assignments"
        ]
    );
    assert_eq!(
        app.get("/v1/organization", admin).await.body["settings"]["cooldown_days"],
        45
    );
}

#[actix_web::test]
async fn api_keys_are_shown_once_scoped_and_revocable() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let created = app
        .post("/v1/api-keys", admin, json!({"name": "BI export", "scopes": ["users:read", "organization:read", "users:read"]}))
        .await
        .expect(201)
        .body;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("sgk_"));
    assert_eq!(
        created["api_key"]["scopes"],
        json!(["organization:read", "users:read"])
    );
    let key_id = created["api_key"]["id"].as_str().unwrap().to_string();

    // The secret is never listed; last use is recorded.
    let listed = app.get("/v1/api-keys", admin).await.expect(200).body;
    assert!(!listed.to_string().contains(&secret));
    assert!(listed["items"][0]["last_used_at"].is_null());

    let me = app.get("/v1/me", Some(&secret)).await.expect(200).body;
    assert_eq!(me["api_key"]["id"], key_id);
    assert!(me["user"].is_null());
    app.get("/v1/users", Some(&secret)).await.expect(200);
    let bearer = app
        .send(
            app.client
                .get(format!("{}/v1/organization", app.base))
                .bearer_auth(&secret),
        )
        .await;
    bearer.expect(200);
    // Scopes bound what a key reaches; keys never administer.
    app.patch(
        "/v1/organization",
        Some(&secret),
        json!({"cooldown_days": 3}),
    )
    .await
    .expect_problem(403);
    app.post(
        "/v1/api-keys",
        Some(&secret),
        json!({"name": "x", "scopes": ["users:read"]}),
    )
    .await
    .expect_problem(403);
    let listed = app.get("/v1/api-keys", admin).await.expect(200).body;
    assert!(listed["items"][0]["last_used_at"].is_string());

    // A wrong secret with a real lookup id is refused.
    let mut forged = secret.clone();
    forged.pop();
    forged.push(if secret.ends_with('x') { 'y' } else { 'x' });
    app.get("/v1/me", Some(&forged)).await.expect_problem(401);

    app.delete(&format!("/v1/api-keys/{key_id}"), admin)
        .await
        .expect(204);
    app.delete(&format!("/v1/api-keys/{key_id}"), admin)
        .await
        .expect(204);
    app.get("/v1/me", Some(&secret)).await.expect_problem(401);
    let listed = app.get("/v1/api-keys", admin).await.expect(200).body;
    assert!(listed["items"][0]["revoked_at"].is_string());

    let invalid = app
        .post(
            "/v1/api-keys",
            admin,
            json!({"name": "", "scopes": [], "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = invalid["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    // What the contract states is checked first; the rules it cannot state (a time that must
    // lie in the future) once the body fits it.
    assert_eq!(fields, ["name", "scopes"]);
    let past = app
        .post(
            "/v1/api-keys",
            admin,
            json!({"name": "x", "scopes": ["users:read"], "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(past["errors"][0]["field"], "expires_at");
    app.post(
        "/v1/api-keys",
        admin,
        json!({"name": "x", "scopes": ["everything"]}),
    )
    .await
    .expect_problem(422);
}

#[actix_web::test]
async fn expired_api_keys_stop_working() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let expires = (chrono::Utc::now() + chrono::TimeDelta::seconds(1)).to_rfc3339();
    let created = app
        .post(
            "/v1/api-keys",
            Some(&org.admin.access_token),
            json!({"name": "short", "scopes": ["users:read"], "expires_at": expires}),
        )
        .await
        .expect(201)
        .body;
    let secret = created["secret"].as_str().unwrap();
    app.get("/v1/users", Some(secret)).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.get("/v1/users", Some(secret)).await.expect_problem(401);
}

#[actix_web::test]
async fn concurrent_writes_all_land() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = org.admin.access_token.as_str();
    let requests = (0..24).map(|i| {
        app.post(
            "/v1/users",
            Some(admin),
            json!({"email": format!("c{i}@acme.example.com"), "display_name": "C", "role": "shopper", "password": "a long enough password"}),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    for r in responses {
        r.expect(201);
    }
    let users = app
        .get("/v1/users?limit=200", Some(admin))
        .await
        .expect(200)
        .body;
    assert_eq!(users["items"].as_array().unwrap().len(), 27);
}

#[actix_web::test]
async fn an_email_is_unique_within_an_organization_only() {
    let app = TestApp::spawn().await;
    let acme = app.seed_org("Acme").await;
    let rival = app.seed_org("Rival").await;
    let person = json!({"email": "lee@example.com", "display_name": "Lee", "role": "shopper", "password": PASSWORD});

    // Rival adds lee@ first; Acme can still add the same person (no 409 telling it that the
    // address is registered elsewhere), but not twice.
    let in_rival = app
        .post("/v1/users", Some(&rival.admin.access_token), person.clone())
        .await
        .expect(201)
        .body;
    let in_acme = app
        .post("/v1/users", Some(&acme.admin.access_token), person.clone())
        .await
        .expect(201)
        .body;
    app.post("/v1/users", Some(&acme.admin.access_token), person)
        .await
        .expect_problem(409);

    // The same password opens both accounts: the sign-in names the organizations to choose
    // from, and signs in to the chosen one.
    let choose = app
        .login("lee@example.com", PASSWORD)
        .await
        .expect_problem(422);
    assert_eq!(choose.body["errors"][0]["field"], "organization_id");
    let mut offered: Vec<String> = choose.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}={}",
                o["name"].as_str().unwrap(),
                o["id"].as_str().unwrap()
            )
        })
        .collect();
    offered.sort();
    assert_eq!(
        offered,
        vec![format!("Acme={}", acme.id), format!("Rival={}", rival.id)]
    );
    for (org, user) in [(&acme, &in_acme), (&rival, &in_rival)] {
        let tokens = app
            .post(
                "/v1/auth/login",
                None,
                json!({"email": "LEE@example.com", "password": PASSWORD, "organization_id": org.id}),
            )
            .await
            .expect(200)
            .body;
        let me = app
            .get("/v1/me", tokens["access_token"].as_str())
            .await
            .expect(200)
            .body;
        assert_eq!(me["user"]["id"], user["user"]["id"]);
        assert_eq!(me["organization"]["id"], org.id.as_str());
    }

    // With different passwords, each password opens its own account with no choice to make.
    let lee_at_rival = app.login("lee@example.com", PASSWORD).await;
    assert_eq!(lee_at_rival.status, 422);
    let tokens = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "lee@example.com", "password": PASSWORD, "organization_id": rival.id}),
        )
        .await
        .expect(200)
        .body;
    app.post(
        "/v1/me/password",
        tokens["access_token"].as_str(),
        json!({"current_password": PASSWORD, "new_password": "rival's own password"}),
    )
    .await
    .expect(204);
    let me = |tokens: serde_json::Value| {
        let app = &app;
        async move {
            app.get("/v1/me", tokens["access_token"].as_str())
                .await
                .expect(200)
                .body
        }
    };
    let acme_tokens = app
        .login("lee@example.com", PASSWORD)
        .await
        .expect(200)
        .body;
    assert_eq!(
        me(acme_tokens).await["organization"]["id"],
        acme.id.as_str()
    );
    let rival_tokens = app
        .login("lee@example.com", "rival's own password")
        .await
        .expect(200)
        .body;
    assert_eq!(
        me(rival_tokens).await["organization"]["id"],
        rival.id.as_str()
    );
    // A wrong password, or an organization the address has no account in, is the usual 401.
    app.login("lee@example.com", "wrong password")
        .await
        .expect_problem(401);
    let nowhere = app.seed_org("Nowhere").await;
    app.post(
        "/v1/auth/login",
        None,
        json!({"email": "lee@example.com", "password": PASSWORD, "organization_id": nowhere.id}),
    )
    .await
    .expect_problem(401);
}
