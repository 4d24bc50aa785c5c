//! Sign-in, token rotation, sign-out and the JWT negative suite, over HTTP.

mod common;

use common::{TestApp, JWT_SECRET, PASSWORD};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

#[actix_web::test]
async fn login_gives_tokens_that_open_me() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;

    let tokens = app
        .login(&org.manager.email, PASSWORD)
        .await
        .expect(200)
        .body;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("sgr_"));

    let me = app
        .get("/v1/me", tokens["access_token"].as_str())
        .await
        .expect(200)
        .body;
    assert_eq!(me["user"]["email"], org.manager.email);
    assert_eq!(me["user"]["role"], "manager");
    assert_eq!(me["organization"]["id"], org.id);
    assert_eq!(me["organization"]["name"], "Acme");
    assert!(me["user"].get("password_hash").is_none());
    assert!(me["user"]["last_login_at"].is_string());
}

#[actix_web::test]
async fn emails_are_case_insensitive() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    app.login(&org.admin.email.to_uppercase(), PASSWORD)
        .await
        .expect(200);
}

#[actix_web::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let wrong = app
        .login(&org.admin.email, "not the password")
        .await
        .expect_problem(401)
        .body;
    let unknown = app
        .login("nobody@acme.example.com", PASSWORD)
        .await
        .expect_problem(401)
        .body;
    assert_eq!(wrong, unknown);
}

#[actix_web::test]
async fn failed_logins_are_throttled_with_growing_delays() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    for _ in 0..4 {
        app.login(&org.shopper.email, "wrong password!")
            .await
            .expect_problem(401);
    }
    // The fifth failure is still answered, then the email is held off.
    app.login(&org.shopper.email, "wrong password!")
        .await
        .expect_problem(401);
    let blocked = app
        .login(&org.shopper.email, PASSWORD)
        .await
        .expect_problem(429);
    let first_wait: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&first_wait), "first delay {first_wait}");

    // An unknown email is throttled the same way, so throttling reveals no accounts.
    for _ in 0..5 {
        app.login("ghost@acme.example.com", "wrong password!")
            .await
            .expect_problem(401);
    }
    app.login("ghost@acme.example.com", "wrong password!")
        .await
        .expect_problem(429);

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    app.login(&org.shopper.email, "wrong again!!")
        .await
        .expect_problem(401);
    let second_wait: u64 = app
        .login(&org.shopper.email, PASSWORD)
        .await
        .expect_problem(429)
        .header("retry-after")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        second_wait > first_wait,
        "{second_wait} should exceed {first_wait}"
    );

    // Other accounts are not affected.
    app.login(&org.manager.email, PASSWORD).await.expect(200);
}

#[actix_web::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    for _ in 0..4 {
        app.login(&org.admin.email, "wrong password!")
            .await
            .expect_problem(401);
    }
    app.login(&org.admin.email, PASSWORD).await.expect(200);
    for _ in 0..4 {
        app.login(&org.admin.email, "wrong password!")
            .await
            .expect_problem(401);
    }
    app.login(&org.admin.email, PASSWORD).await.expect(200);
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn_with({
        let mut c = shopgap::config::Config::with_secret(JWT_SECRET);
        c.refresh_grace = std::time::Duration::ZERO;
        c
    })
    .await;
    let org = app.seed_org("Acme").await;
    let first = org.shopper.refresh_token.clone();

    let second = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": first}))
        .await
        .expect(200)
        .body;
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first);
    app.get("/v1/me", second["access_token"].as_str())
        .await
        .expect(200);

    let third = app
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": second_refresh}),
        )
        .await
        .expect(200)
        .body;
    let third_refresh = third["refresh_token"].as_str().unwrap().to_string();

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The first token is spent: presenting it again revokes every token of the family…
    app.post("/v1/auth/refresh", None, json!({"refresh_token": first}))
        .await
        .expect_problem(401);
    // …including the newest one, which was never used.
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": third_refresh}),
    )
    .await
    .expect_problem(401);
    // Another session of the same user is untouched.
    let other = app
        .login(&org.shopper.email, PASSWORD)
        .await
        .expect(200)
        .body;
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": other["refresh_token"]}),
    )
    .await
    .expect(200);
}

#[actix_web::test]
async fn a_retried_refresh_within_the_grace_window_still_works() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.shopper.refresh_token.clone();
    let lost = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": token}))
        .await
        .expect(200)
        .body;
    // The phone never got `lost` and sends the same request again.
    let retried = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": token}))
        .await
        .expect(200)
        .body;
    let retried_refresh = retried["refresh_token"].as_str().unwrap();
    // Only the newest successor stays valid; the lost one is revoked.
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": lost["refresh_token"]}),
    )
    .await
    .expect_problem(401);
    let next = app
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": retried_refresh}),
        )
        .await
        .expect(200)
        .body;
    // Once the successor has been used, the old token again counts as reuse.
    app.post("/v1/auth/refresh", None, json!({"refresh_token": token}))
        .await
        .expect_problem(401);
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": next["refresh_token"]}),
    )
    .await
    .expect_problem(401);
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.refresh_token.clone();
    app.post("/v1/auth/logout", None, json!({"refresh_token": token}))
        .await
        .expect(204);
    app.post("/v1/auth/refresh", None, json!({"refresh_token": token}))
        .await
        .expect_problem(401);
    // Logging out again, or with a token that never existed, says the same.
    app.post("/v1/auth/logout", None, json!({"refresh_token": token}))
        .await
        .expect(204);
    app.post(
        "/v1/auth/logout",
        None,
        json!({"refresh_token": "sgr_nothing"}),
    )
    .await
    .expect(204);
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": "sgr_nothing"}),
    )
    .await
    .expect_problem(401);
}

#[actix_web::test]
async fn deactivated_users_lose_access_at_once() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    app.delete(
        &format!("/v1/users/{}", org.shopper.id),
        Some(&org.admin.access_token),
    )
    .await
    .expect(204);
    app.get("/v1/me", Some(&org.shopper.access_token))
        .await
        .expect_problem(401);
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": org.shopper.refresh_token}),
    )
    .await
    .expect_problem(401);
    app.login(&org.shopper.email, PASSWORD)
        .await
        .expect_problem(401);
}

/// A session's identity is kept in memory for a moment (`auth::identities`); every change that
/// matters still applies to the very next request, on the session that was just used.
#[actix_web::test]
async fn a_session_used_a_moment_ago_sees_every_change_to_it_at_once() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let manager = Some(org.manager.access_token.as_str());
    let me = |token: Option<&str>| {
        let token = token.map(str::to_string);
        let app = &app;
        async move { app.get("/v1/me", token.as_deref()).await }
    };
    let users_list = "/v1/users";

    // Warm: the manager's identity is now known.
    for _ in 0..3 {
        me(manager).await.expect(200);
        app.get(users_list, manager).await.expect(200);
    }
    // Their name, as the admin renames them, and the organization's.
    app.patch(
        &format!("/v1/users/{}", org.manager.id),
        admin,
        json!({"display_name": "Renamed Manager"}),
    )
    .await
    .expect(200);
    assert_eq!(
        me(manager).await.expect(200).body["user"]["display_name"],
        "Renamed Manager"
    );
    app.patch("/v1/organization", admin, json!({"name": "Acme Renamed"}))
        .await
        .expect(200);
    assert_eq!(
        me(manager).await.expect(200).body["organization"]["name"],
        "Acme Renamed"
    );

    // A sign-in elsewhere shows in this session's `last_login_at`.
    let before = me(manager).await.expect(200).body["user"]["last_login_at"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let other = app
        .login(&org.manager.email, PASSWORD)
        .await
        .expect(200)
        .body;
    let after = me(manager).await.expect(200).body["user"]["last_login_at"].clone();
    assert_ne!(before, after, "last_login_at moves with the new sign-in");

    // A role change: the manager, demoted, may no longer list users.
    app.patch(
        &format!("/v1/users/{}", org.manager.id),
        admin,
        json!({"role": "shopper"}),
    )
    .await
    .expect(200);
    assert_eq!(
        me(manager).await.expect(200).body["user"]["role"],
        "shopper"
    );
    app.get(users_list, manager).await.expect_problem(403);

    // Signing out one session ends its access token at once, and not the other's.
    let other_access = other["access_token"].as_str().unwrap().to_string();
    me(Some(&other_access)).await.expect(200);
    app.post(
        "/v1/auth/logout",
        None,
        json!({"refresh_token": org.manager.refresh_token}),
    )
    .await
    .expect(204);
    me(manager).await.expect_problem(401);
    me(Some(&other_access)).await.expect(200);

    // Deactivation ends the remaining one.
    app.delete(&format!("/v1/users/{}", org.manager.id), admin)
        .await
        .expect(204);
    me(Some(&other_access)).await.expect_problem(401);
    app.get(users_list, Some(&other_access))
        .await
        .expect_problem(401);

    // A password change ends the admin's sessions, the one used a moment ago included.
    let second_admin = app.login(&org.admin.email, PASSWORD).await.expect(200).body;
    let second_admin = second_admin["access_token"].as_str().unwrap().to_string();
    me(Some(&second_admin)).await.expect(200);
    app.post(
        "/v1/me/password",
        admin,
        json!({"current_password": PASSWORD, "new_password": "a much longer password"}),
    )
    .await
    .expect(204);
    me(Some(&second_admin)).await.expect_problem(401);
    me(admin).await.expect_problem(401);
}

#[actix_web::test]
async fn changing_the_password_ends_sessions_and_needs_the_current_one() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = Some(org.manager.access_token.as_str());
    let bad = app
        .post(
            "/v1/me/password",
            token,
            json!({"current_password": "nope", "new_password": "short"}),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(bad["errors"][0]["field"], "new_password");
    app.post(
        "/v1/me/password",
        token,
        json!({"current_password": "nope", "new_password": "a much longer password"}),
    )
    .await
    .expect_problem(422);
    app.post(
        "/v1/me/password",
        token,
        json!({"current_password": PASSWORD, "new_password": "a much longer password"}),
    )
    .await
    .expect(204);
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": org.manager.refresh_token}),
    )
    .await
    .expect_problem(401);
    app.login(&org.manager.email, PASSWORD)
        .await
        .expect_problem(401);
    app.login(&org.manager.email, "a much longer password")
        .await
        .expect(200);
}

fn claims(org: &common::Org, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": "shopgap", "aud": "shopgap-api", "sub": org.admin.id, "org": org.id,
        "role": "admin", "typ": "access", "iat": now, "nbf": now, "exp": now + 600,
        "jti": "test", "sid": sid_of(&org.admin.access_token),
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

/// The session id (`sid` claim) inside an access token.
fn sid_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sid"].as_str().unwrap().to_string()
}

fn sign(alg: Algorithm, typ: &str, claims: &Value, secret: &[u8]) -> String {
    let mut header = Header::new(alg);
    header.typ = Some(typ.into());
    encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn b64(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[actix_web::test]
async fn forged_and_malformed_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let now = chrono::Utc::now().timestamp();
    let good = sign(
        Algorithm::HS256,
        "at+jwt",
        &claims(&org, json!({})),
        JWT_SECRET,
    );
    app.get("/v1/me", Some(&good)).await.expect(200);

    let valid_claims = claims(&org, json!({}));
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt"})),
        b64(&valid_claims)
    );
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });

    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, "at+jwt", &valid_claims, JWT_SECRET),
        ),
        (
            "HS384 with the right secret",
            sign(Algorithm::HS384, "at+jwt", &valid_claims, JWT_SECRET),
        ),
        (
            "another secret",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &valid_claims,
                b"another-secret-another-secret-0123456789",
            ),
        ),
        ("tampered signature", tampered),
        (
            "wrong audience",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"aud": "other-api"})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong issuer",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"iss": "someone-else"})),
                JWT_SECRET,
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(
                    &org,
                    json!({"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200}),
                ),
                JWT_SECRET,
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"nbf": now + 3600})),
                JWT_SECRET,
            ),
        ),
        (
            "exp as a string",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"exp": (now + 600).to_string()})),
                JWT_SECRET,
            ),
        ),
        (
            "no exp",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"exp": null})),
                JWT_SECRET,
            ),
        ),
        (
            "refresh typ claim",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"typ": "refresh"})),
                JWT_SECRET,
            ),
        ),
        (
            "plain JWT typ header",
            sign(Algorithm::HS256, "JWT", &valid_claims, JWT_SECRET),
        ),
        (
            "another organization",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"org": uuid::Uuid::now_v7().to_string()})),
                JWT_SECRET,
            ),
        ),
        (
            "unknown user",
            sign(
                Algorithm::HS256,
                "at+jwt",
                &claims(&org, json!({"sub": uuid::Uuid::now_v7().to_string()})),
                JWT_SECRET,
            ),
        ),
        ("garbage", "not-a-jwt".to_string()),
        ("empty", String::new()),
    ];
    for (case, token) in cases {
        let response = app.get("/v1/me", Some(&token)).await;
        assert_eq!(
            response.status, 401,
            "{case} must be refused: {}",
            response.body
        );
        assert_eq!(
            response.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert!(response.header("www-authenticate").is_some(), "{case}");
    }

    // Other schemes and a missing header are refused too.
    let basic = app
        .send(
            app.client
                .get(format!("{}/v1/me", app.base))
                .header("Authorization", "Basic YTpi"),
        )
        .await;
    basic.expect_problem(401);
    app.get("/v1/me", None).await.expect_problem(401);
}

#[actix_web::test]
async fn the_role_comes_from_the_database_not_the_token() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    // A shopper who forges "role": "admin" into a correctly signed token still acts as a shopper,
    // because the role is read from the user row on every request.
    let mut forged = claims(&org, json!({"role": "admin"}));
    forged["sub"] = json!(org.shopper.id);
    forged["sid"] = json!(sid_of(&org.shopper.access_token));
    let token = sign(Algorithm::HS256, "at+jwt", &forged, JWT_SECRET);
    app.get("/v1/users", Some(&token)).await.expect_problem(403);
}

#[actix_web::test]
async fn a_refresh_sent_twice_at_once_leaves_one_working_token() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let body = json!({"refresh_token": org.shopper.refresh_token});
    let both = futures_util::future::join_all([
        app.post("/v1/auth/refresh", None, body.clone()),
        app.post("/v1/auth/refresh", None, body.clone()),
    ])
    .await;
    for r in &both {
        // The loser of a race is told to retry; never a server error.
        assert!(
            r.status == 200 || r.status == 409,
            "{} {}",
            r.status,
            r.body
        );
    }
    let ok: Vec<_> = both.into_iter().filter(|r| r.status == 200).collect();
    assert!(!ok.is_empty(), "at least one of the two succeeds");
    // Exactly the newest successor works afterwards.
    let working: Vec<_> = futures_util::future::join_all(ok.iter().map(|r| {
        app.post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": r.body["refresh_token"]}),
        )
    }))
    .await
    .into_iter()
    .filter(|r| r.status == 200)
    .collect();
    assert_eq!(working.len(), 1);
}

#[actix_web::test]
async fn access_tokens_end_with_their_session() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let me = |token: String| {
        let app = &app;
        async move { app.get("/v1/me", Some(&token)).await }
    };

    // Logout ends that session's access token at once, and only that session's.
    let other_device = app
        .login(&org.manager.email, PASSWORD)
        .await
        .expect(200)
        .body;
    app.post(
        "/v1/auth/logout",
        None,
        json!({"refresh_token": org.manager.refresh_token}),
    )
    .await
    .expect(204);
    me(org.manager.access_token.clone())
        .await
        .expect_problem(401);
    me(other_device["access_token"].as_str().unwrap().into())
        .await
        .expect(200);

    // A password change ends every session, the one it was made in included.
    let second = app
        .login(&org.manager.email, PASSWORD)
        .await
        .expect(200)
        .body;
    let second_token = second["access_token"].as_str().unwrap().to_string();
    app.post(
        "/v1/me/password",
        Some(&second_token),
        json!({"current_password": PASSWORD, "new_password": "a much longer password"}),
    )
    .await
    .expect(204);
    me(second_token).await.expect_problem(401);
    me(other_device["access_token"].as_str().unwrap().into())
        .await
        .expect_problem(401);

    // A reset by an admin too.
    let shopper = org.shopper.access_token.clone();
    me(shopper.clone()).await.expect(200);
    app.post(
        &format!("/v1/users/{}/password-reset", org.shopper.id),
        Some(&org.admin.access_token),
        json!({}),
    )
    .await
    .expect(200);
    me(shopper).await.expect_problem(401);

    // Deactivation ends sessions for good: reactivating the user does not revive a token
    // issued before.
    let second_admin = app
        .post(
            "/v1/users",
            Some(&org.admin.access_token),
            json!({"email": "boss@acme.example.com", "display_name": "Boss", "role": "manager", "password": PASSWORD}),
        )
        .await
        .expect(201)
        .body;
    let id = second_admin["user"]["id"].as_str().unwrap().to_string();
    let token = app
        .login("boss@acme.example.com", PASSWORD)
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    me(token.clone()).await.expect(200);
    let path = format!("/v1/users/{id}");
    app.delete(&path, Some(&org.admin.access_token))
        .await
        .expect(204);
    me(token.clone()).await.expect_problem(401);
    app.patch(
        &path,
        Some(&org.admin.access_token),
        json!({"active": true}),
    )
    .await
    .expect(200);
    me(token).await.expect_problem(401);
    app.login("boss@acme.example.com", PASSWORD)
        .await
        .expect(200);
}
