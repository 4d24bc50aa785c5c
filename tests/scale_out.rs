//! Scale-out: two `shopgap serve` processes on one database (PostgreSQL with
//! `TEST_DATABASE_URL`, else one SQLite file), as behind a load balancer. Tokens from one are
//! good at the other, a submission sent to both at once is stored once, of two shoppers
//! taking one job through different processes exactly one wins, and the webhook workers of
//! every process together deliver each event exactly once when nothing fails.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Org, TestApp};
use serde_json::{json, Value};

/// A server process of the release binary under test; killed when dropped.
struct Process {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(app: &TestApp) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .arg("serve")
        .env("SHOPGAP_DATABASE_URL", &app.database_url)
        .env("SHOPGAP_BIND", format!("127.0.0.1:{port}"))
        .env(
            "SHOPGAP_JWT_SECRET",
            std::str::from_utf8(common::JWT_SECRET).unwrap(),
        )
        .env("SHOPGAP_DATA_DIR", data.path())
        // Processes sharing a database share the key that seals webhook secrets (the test
        // server's own, so its worker opens them too), and deliver to this machine.
        .env("SHOPGAP_SECRET_KEY", shared_secret_key())
        .env("SHOPGAP_WEBHOOK_ALLOW_HTTP", "true")
        .env("SHOPGAP_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("SHOPGAP_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("the server starts");
    let process = Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _data: data,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = app
            .client
            .get(format!("{}/healthz", process.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if up {
            return process;
        }
        assert!(
            Instant::now() < deadline,
            "the server process did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The secret key of the in-process test server, base64.
fn shared_secret_key() -> String {
    use base64::Engine;
    let config = shopgap::config::Config::with_secret(common::JWT_SECRET);
    base64::engine::general_purpose::STANDARD.encode(config.secret_key)
}

async fn post(app: &TestApp, p: &Process, path: &str, token: &str, body: Value) -> common::Resp {
    app.send(
        app.client
            .post(format!("{}{path}", p.base))
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

async fn get(app: &TestApp, p: &Process, path: &str, token: &str) -> common::Resp {
    app.send(
        app.client
            .get(format!("{}{path}", p.base))
            .bearer_auth(token),
    )
    .await
}

/// A published one-item checklist and a location; returns (checklist version, location).
async fn plan(app: &TestApp, org: &Org) -> (String, String) {
    let manager = Some(org.manager.access_token.as_str());
    let version = app
        .post("/v1/checklists/import?publish=true", manager, json!({
            "format": "shopgap.checklist/v1", "name": "Showroom", "channel": "in_person",
            "sections": [{"title": "A", "items": [{"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "GRT-01"}]}],
            "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
                "standards": [{"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]},
        }))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let location = app
        .post("/v1/locations", manager, json!({"code": "L1", "name": "Branch", "region": "East", "segment": "b2c", "latitude": 52.52, "longitude": 13.40, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    (version, location)
}

async fn open_job(app: &TestApp, org: &Org, plan: &(String, String)) -> String {
    app.post(
        "/v1/assignments",
        Some(&org.manager.access_token),
        json!({
        "location_id": plan.1, "checklist_version_id": plan.0,
        "window_start": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "window_end": (Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
    )
    .await
    .expect(201)
    .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn two_processes_share_one_database_safely() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org).await;
    let (a, b) = (start(&app).await, start(&app).await);

    // Tokens issued by one process are accepted by the other, refresh included.
    let login = app
        .send(
            app.client
                .post(format!("{}/v1/auth/login", a.base))
                .json(&json!({"email": org.manager.email, "password": common::PASSWORD})),
        )
        .await
        .expect(200)
        .body;
    let token = login["access_token"].as_str().unwrap();
    let me = get(&app, &b, "/v1/me", token).await.expect(200).body;
    assert_eq!(me["user"]["email"], org.manager.email.as_str());
    let refreshed = app
        .send(
            app.client
                .post(format!("{}/v1/auth/refresh", b.base))
                .json(&json!({"refresh_token": login["refresh_token"]})),
        )
        .await
        .expect(200)
        .body;
    get(
        &app,
        &a,
        "/v1/me",
        refreshed["access_token"].as_str().unwrap(),
    )
    .await
    .expect(200);

    // Shoppers race for open jobs through both processes: one wins each, once.
    let mut shoppers = vec![(org.shopper.id.clone(), org.shopper.access_token.clone())];
    for i in 0..5 {
        shoppers.push(app.new_shopper(&org, &format!("racer{i}")).await);
    }
    for round in 0..3 {
        let job = open_job(&app, &org, &plan).await;
        let path = format!("/v1/assignments/{job}/accept");
        let attempts = shoppers.iter().enumerate().map(|(i, (_, t))| {
            let process = if i % 2 == 0 { &a } else { &b };
            post(&app, process, &path, t, json!({}))
        });
        let statuses: Vec<u16> = futures_util::future::join_all(attempts)
            .await
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409),
            "round {round}: {statuses:?}"
        );
    }

    // The same submission sent to both processes at once (a retry through another node, with
    // and without an Idempotency-Key) is stored once, with one score and one history entry.
    for (round, key) in [None, Some("retry-key-1")].into_iter().enumerate() {
        let job = open_job(&app, &org, &plan).await;
        // A shopper of their own: the cooldown keeps one from shopping the location twice.
        let (_, shopper) = app.new_shopper(&org, &format!("field{round}")).await;
        post(
            &app,
            &a,
            &format!("/v1/assignments/{job}/accept"),
            &shopper,
            json!({}),
        )
        .await
        .expect(200);
        let id = uuid::Uuid::now_v7().to_string();
        let body = json!({
            "assignment_id": job,
            "answers": {"greeted": {"value": true}},
            "visit_start": (Utc::now() - chrono::Duration::minutes(40)).to_rfc3339(),
            "visit_end": (Utc::now() - chrono::Duration::minutes(10)).to_rfc3339(),
            "sent_at": Utc::now().to_rfc3339(),
        });
        let path = format!("/v1/submissions/{id}/submit");
        let send = |p: &Process| {
            let mut request = app
                .client
                .post(format!("{}{path}", p.base))
                .bearer_auth(&shopper)
                .json(&body);
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            app.send(request)
        };
        let sent = futures_util::future::join_all([send(&a), send(&b), send(&a), send(&b)]).await;
        let statuses: Vec<u16> = sent.iter().map(|r| r.status).collect();
        // 409 only for "the same key is being processed right now": the app retries it.
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409),
            "round {round}: {statuses:?}"
        );
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        let stored = get(
            &app,
            &b,
            &format!("/v1/submissions/{id}"),
            &org.manager.access_token,
        )
        .await
        .expect(200)
        .body;
        assert_eq!(stored["status"], "submitted");
        assert_eq!(stored["version"], 1, "one write, not one per request");
        let history = get(
            &app,
            &a,
            &format!("/v1/assignments/{job}/history"),
            &org.manager.access_token,
        )
        .await
        .expect(200)
        .body;
        let submits = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "submit")
            .count();
        assert_eq!(submits, 1, "round {round}");
        let queue = get(
            &app,
            &a,
            "/v1/submissions?status=submitted",
            &org.manager.access_token,
        )
        .await
        .expect(200)
        .body;
        let for_job = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["content"]["assignment_id"] == job.as_str())
            .count();
        assert_eq!(for_job, 1, "round {round}");
    }
}

#[actix_web::test]
async fn webhook_workers_of_several_processes_deliver_each_event_once() {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let plan = plan(&app, &org).await;
    let (a, b) = (start(&app).await, start(&app).await);
    // A receiver counting each webhook-id.
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let counter = seen.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let receiver = actix_web::HttpServer::new(move || {
        let counter = counter.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest| {
                let counter = counter.clone();
                async move {
                    let id = req
                        .headers()
                        .get("webhook-id")
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string();
                    *counter.lock().unwrap().entry(id).or_default() += 1;
                    actix_web::HttpResponse::Ok().finish()
                }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(receiver);
    post(
        &app,
        &a,
        "/v1/webhooks",
        &org.admin.access_token,
        json!({"url": format!("http://127.0.0.1:{port}/hooks"), "event_types": ["assignment.created"]}),
    )
    .await
    .expect(201);
    // Jobs planned through both processes (and the test server): three workers compete.
    let mut planned = Vec::new();
    for i in 0..45 {
        let p = [&a, &b][i % 2];
        planned.push(
            post(
                &app,
                p,
                "/v1/assignments",
                &org.manager.access_token,
                json!({
                "location_id": plan.1, "checklist_version_id": plan.0,
                "window_start": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                "window_end": (Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
            )
            .await
            .expect(201)
            .body["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().len() < planned.len() {
        assert!(
            Instant::now() < deadline,
            "only {} of {} events arrived",
            seen.lock().unwrap().len(),
            planned.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A little longer: a second delivery of anything would show now.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), planned.len());
    assert!(
        seen.values().all(|n| *n == 1),
        "an event was delivered twice: {seen:?}"
    );
}
