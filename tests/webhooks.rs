//! Events and webhooks over HTTP (PRODUCT.md section 10): the outbox feed read with a cursor
//! while writers commit concurrently, and deliveries to a real receiver on a loopback port,
//! each verified with the Standard Webhooks project's own library: signatures, the same id on
//! every attempt, retries after receiver errors, the delivery log, test events, redelivery,
//! secret rotation, disabling after continuous failure, and tenancy.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::Utc;
use common::{Org, TestApp, JWT_SECRET};
use serde_json::{json, Value};
use shopgap::config::Config;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Verifies the delivery as an integrator does, with the Standard Webhooks library.
    fn verifies_with(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret)
            .unwrap()
            .verify(&self.body, &self.headers)
            .is_ok()
    }
}

/// A webhook receiver on a loopback port: it records every request and fails the first
/// `fail_first` attempts of each webhook id with 503 (all of them while `fail_first` is huge).
#[derive(Clone)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let fail = Arc::new(AtomicUsize::new(fail_first));
        let (g, f) = (got.clone(), fail.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let (g, f) = (g.clone(), f.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, f) = (g.clone(), f.clone());
                async move {
                    let mut headers = reqwest::header::HeaderMap::new();
                    for (name, value) in req.headers() {
                        headers.insert(
                            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes())
                                .unwrap(),
                            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                        );
                    }
                    let received = Received {
                        path: req.path().to_string(),
                        headers,
                        body: body.to_vec(),
                    };
                    let id = received.id();
                    let mut got = g.lock().unwrap();
                    let seen = got.iter().filter(|r| r.id() == id).count();
                    got.push(received);
                    if seen < f.load(Ordering::SeqCst) {
                        HttpResponse::ServiceUnavailable().body("try later")
                    } else {
                        HttpResponse::Ok().body("thanks")
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            got,
            fail_first: fail,
        }
    }

    fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn of(&self, id: &str) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.id() == id).collect()
    }

    /// Waits (up to 20 s) until `done` holds for what was received.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..200 {
            let all = self.all();
            if done(&all) {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver never got {what}: {:#?}", self.all());
    }
}

/// Test settings: deliveries to this machine, three days of retries shrunk to about 3 s and
/// five days of failure to about 4 s.
fn quick_config() -> Config {
    let mut config = Config::with_secret(JWT_SECRET);
    config.webhooks.time_scale = 0.00001;
    config
}

/// A published checklist and a location: (checklist version id, location id).
async fn shop_setup(app: &TestApp, org: &Org) -> (String, String) {
    let manager = Some(org.manager.access_token.as_str());
    let version = app
        .post(
            "/v1/checklists/import?publish=true",
            manager,
            json!({
                "format": "shopgap.checklist/v1", "name": "Visit", "channel": "in_person",
                "sections": [{"title": "All", "items": [
                    {"key": "greeted", "prompt": "Greeted?", "type": "yes_no", "standard": "S1"}]}],
                "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
                    "standards": [{"code": "S1", "text": "Greet warmly", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]},
            }),
        )
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

async fn plan(app: &TestApp, org: &Org, (version, location): &(String, String)) -> String {
    app.post(
        "/v1/assignments",
        Some(&org.manager.access_token),
        json!({"location_id": location, "checklist_version_id": version,
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

/// Every event of the feed, read page by page from the start.
async fn whole_feed(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut cursor = String::new();
    let mut out = Vec::new();
    loop {
        let page = app
            .get(
                &format!("/v1/events?limit=7&after={cursor}{query}"),
                Some(token),
            )
            .await
            .expect(200)
            .body;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if page["more"] == false {
            return out;
        }
    }
}

/// The feed, read from the start until `done` holds (up to 20 s). On PostgreSQL an event shows
/// once every older transaction of the whole cluster has ended, and tests run side by side.
async fn feed_until(
    app: &TestApp,
    token: &str,
    query: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let feed = whole_feed(app, token, query).await;
        if done(&feed) || std::time::Instant::now() > deadline {
            return feed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn the_feed_lists_every_change_once_in_order_while_writers_commit_concurrently() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Other").await;
    let setup = shop_setup(&app, &org).await;
    let key = app.api_key(&org, &["events:read"]).await;

    // Eight writers plan assignments at once while a reader follows the feed with its cursor.
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (base, token, setup) = (
                app.base.clone(),
                org.manager.access_token.clone(),
                setup.clone(),
            );
            actix_web::rt::spawn(async move {
                let client = reqwest::Client::new();
                let mut ids = Vec::new();
                for _ in 0..6 {
                    let created: Value = client
                        .post(format!("{base}/v1/assignments"))
                        .bearer_auth(&token)
                        .json(
                            &json!({"location_id": setup.1, "checklist_version_id": setup.0,
                            "window_start": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                            "window_end": (Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
                        )
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    ids.push(created["id"].as_str().unwrap().to_string());
                }
                ids
            })
        })
        .collect();
    let mut cursor = String::new();
    let mut read: Vec<Value> = Vec::new();
    let mut planned: Vec<String> = Vec::new();
    let mut writers = writers;
    loop {
        let page = app
            .get(&format!("/v1/events?after={cursor}&limit=5"), Some(&key))
            .await
            .expect(200)
            .body;
        read.extend(page["items"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if writers.iter().all(|w| w.is_finished()) && page["more"] == false {
            for w in writers.drain(..) {
                planned.extend(w.await.unwrap());
            }
            // Read on from the cursor until every planned job's event has shown (PostgreSQL
            // shows an event once every older transaction of the cluster has ended).
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            loop {
                let created = read
                    .iter()
                    .filter(|e| e["type"] == "assignment.created")
                    .count();
                if created >= planned.len() || std::time::Instant::now() > deadline {
                    break;
                }
                let page = app
                    .get(&format!("/v1/events?after={cursor}&limit=500"), Some(&key))
                    .await
                    .expect(200)
                    .body;
                read.extend(page["items"].as_array().unwrap().iter().cloned());
                cursor = page["next_cursor"].as_str().unwrap().to_string();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            break;
        }
    }
    assert_eq!(planned.len(), 48);
    let ids: Vec<&str> = read.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no event is read twice");
    let created: HashSet<&str> = read
        .iter()
        .filter(|e| e["type"] == "assignment.created")
        .map(|e| e["data"]["assignment_id"].as_str().unwrap())
        .collect();
    let planned: HashSet<&str> = planned.iter().map(String::as_str).collect();
    assert_eq!(created, planned, "every change has its event, none skipped");
    // The same feed read again from the start is the same sequence.
    let again = whole_feed(&app, &key, "").await;
    assert_eq!(again, read);
    // Filtered by type; another organization's feed is its own.
    let only = whole_feed(&app, &key, "&types=assignment.cancelled").await;
    assert!(only.is_empty());
    let theirs = whole_feed(&app, &other.admin.access_token, "").await;
    assert!(theirs.is_empty());
    app.get("/v1/events?types=nope", Some(&key))
        .await
        .expect_problem(422);
    app.get("/v1/events?after=garbage", Some(&key))
        .await
        .expect_problem(400);
    app.get("/v1/events", Some(&org.shopper.access_token))
        .await
        .expect_problem(403);
}

/// PostgreSQL hands out `seq` at insert, not at commit: an event of a transaction that started
/// first and commits last must not be skipped by a reader that already saw a later one.
/// A transaction can hold several events (a wave plans its shops in one). A page may end inside
/// it: the next page takes up at the next event of that transaction, then goes on to the later
/// ones, skipping none and repeating none.
#[actix_web::test]
async fn a_page_ending_inside_a_transaction_is_taken_up_where_it_ended() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let setup = shop_setup(&app, &org).await;
    let key = app.api_key(&org, &["events:read"]).await;
    let wave = app
        .post(
            "/v1/waves",
            Some(&org.manager.access_token),
            json!({"checklist_version_id": setup.0, "location_ids": [setup.1], "shops_per_location": 4,
                   "window_start": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                   "window_end": (Utc::now() + chrono::Duration::days(2)).to_rfc3339(), "fee_cents": 3000}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let single = plan(&app, &org, &setup).await;

    // Pages of two: the first two pages end inside the wave's transaction.
    let mut cursor = String::new();
    let mut read: Vec<Value> = Vec::new();
    let mut pages = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while read.len() < 5 && std::time::Instant::now() < deadline {
        let page = app
            .get(
                &format!("/v1/events?types=assignment.created&limit=2&after={cursor}"),
                Some(&key),
            )
            .await
            .expect(200)
            .body;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        pages += usize::from(!items.is_empty());
        read.extend(items.iter().cloned());
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if items.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let ids: HashSet<&str> = read.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!((read.len(), ids.len()), (5, 5), "{read:#?}");
    assert!(pages >= 3);
    for event in &read[..4] {
        assert_eq!(event["data"]["wave_id"], wave.as_str(), "{read:#?}");
    }
    assert_eq!(read[4]["data"]["assignment_id"], single.as_str());
    let more = app
        .get(
            &format!("/v1/events?types=assignment.created&after={cursor}"),
            Some(&key),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(more["items"], json!([]));
}

#[actix_web::test]
async fn an_event_committed_late_is_not_skipped() {
    use shopgap::events::dto::{EventType, TestEventData};
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let data = |n: u8| TestEventData {
        endpoint_id: uuid::Uuid::from_bytes([n; 16]),
        message: format!("event {n}"),
    };
    let record = |conn: &mut shopgap::db::DbConn, n: u8| {
        shopgap::events::outbox::record(
            conn,
            &org.id,
            EventType::SubmissionEdited,
            &data(n),
            Utc::now().naive_utc(),
        )
        .unwrap()
    };
    let read_from = |after: &str| {
        let path = format!("/v1/events?after={after}");
        let app = &app;
        let token = org.admin.access_token.clone();
        async move {
            let page = app.get(&path, Some(&token)).await.expect(200).body;
            let ids: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect();
            (ids, page["next_cursor"].as_str().unwrap().to_string())
        }
    };
    let first_id;
    let second_id;
    let cursor;
    if common::backend() == "postgres" {
        use diesel::connection::Connection;
        // T1 writes first and stays open; T2 writes and commits; a reader looks; T1 commits.
        let (to_commit, wait) = std::sync::mpsc::channel::<()>();
        let (written, written_rx) = std::sync::mpsc::channel::<String>();
        let pool = app.pool.clone();
        let org_id = org.id.clone();
        let t1 = std::thread::spawn(move || {
            let mut conn = pool.get().unwrap();
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                let id = shopgap::events::outbox::record(
                    c,
                    &org_id,
                    EventType::SubmissionEdited,
                    &TestEventData {
                        endpoint_id: uuid::Uuid::from_bytes([1; 16]),
                        message: "event 1".into(),
                    },
                    Utc::now().naive_utc(),
                )
                .unwrap();
                written.send(id).unwrap();
                wait.recv().unwrap();
                Ok(())
            })
            .unwrap();
        });
        first_id = written_rx.recv().unwrap();
        second_id = record(&mut app.pool.get().unwrap(), 2);
        let (seen, next) = read_from("").await;
        assert!(
            seen.is_empty(),
            "nothing is visible while an older transaction may still commit: {seen:?}"
        );
        cursor = next;
        to_commit.send(()).unwrap();
        t1.join().unwrap();
    } else {
        // SQLite: one writer at a time; commit order is the order.
        first_id = record(&mut app.pool.get().unwrap(), 1);
        let (seen, next) = read_from("").await;
        assert_eq!(seen, vec![first_id.clone()]);
        cursor = next;
        second_id = record(&mut app.pool.get().unwrap(), 2);
    }
    let expected = if common::backend() == "postgres" {
        2
    } else {
        1
    };
    let mut rest = Vec::new();
    for _ in 0..200 {
        rest = read_from(&cursor).await.0;
        if rest.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut all: Vec<String> = Vec::new();
    if common::backend() != "postgres" {
        all.push(first_id.clone());
    }
    all.extend(rest);
    assert_eq!(all, vec![first_id, second_id], "both read, once, in order");
}

#[actix_web::test]
async fn deliveries_are_signed_retried_logged_redelivered_and_rotated() {
    let app = TestApp::spawn_with(quick_config()).await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Other").await;
    let setup = shop_setup(&app, &org).await;
    let admin = Some(org.admin.access_token.as_str());
    // Every id fails twice with 503, then succeeds.
    let receiver = Receiver::start(2).await;
    let created = app
        .post(
            "/v1/webhooks",
            admin,
            json!({"url": format!("{}/hooks/acme", receiver.base), "description": "ERP",
                   "event_types": ["assignment.created", "assignment.cancelled"]}),
        )
        .await
        .expect(201);
    assert!(created.header("location").is_some());
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let endpoint = created.body["endpoint"]["id"].as_str().unwrap().to_string();
    // The secret is never shown again, nor kept in clear.
    let shown = app
        .get(&format!("/v1/webhooks/{endpoint}"), admin)
        .await
        .expect(200);
    assert!(!shown.body.to_string().contains(&secret[6..]));
    {
        use diesel::prelude::*;
        use shopgap::db::schema::webhook_endpoints;
        let sealed: String = webhook_endpoints::table
            .select(webhook_endpoints::secret_sealed)
            .first(&mut app.pool.get().unwrap())
            .unwrap();
        assert!(!sealed.contains(&secret[6..]));
    }
    // Another organization's endpoint hears nothing of Acme.
    let theirs = Receiver::start(0).await;
    app.post(
        "/v1/webhooks",
        Some(&other.admin.access_token),
        json!({"url": format!("{}/hooks/other", theirs.base)}),
    )
    .await
    .expect(201);

    // A change: the assignment's event is delivered three times (two 503s, then 200) with the
    // same id, each signed.
    let assignment = plan(&app, &org, &setup).await;
    let got = receiver
        .wait_for("three attempts", |all| all.len() >= 3)
        .await;
    let id = got[0].id();
    assert!(got.iter().all(|r| r.id() == id && r.path == "/hooks/acme"));
    assert!(got.iter().all(|r| r.verifies_with(&secret)));
    assert!(!got[0].verifies_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    let body = got[2].json();
    assert_eq!(body["type"], "assignment.created");
    assert_eq!(body["data"]["assignment_id"], assignment.as_str());
    assert_eq!(body["data"]["status"], "open");
    // The feed holds the very same event.
    let feed = feed_until(&app, &org.admin.access_token, "", |f| f.contains(&body)).await;
    assert!(feed.contains(&body));
    assert_eq!(body["id"], id.as_str());

    // The delivery log: newest first, with status, latency and the receiver's answer.
    let log = app
        .get(&format!("/v1/webhooks/{endpoint}/attempts"), admin)
        .await
        .expect(200)
        .body;
    let attempts = log["items"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    let statuses: Vec<i64> = attempts
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200, 503, 503]);
    assert_eq!(attempts[0]["attempt"], 3);
    assert_eq!(attempts[0]["response_excerpt"], "thanks");
    assert_eq!(attempts[0]["delivery_state"], "delivered");
    assert_eq!(attempts[0]["event_type"], "assignment.created");

    // An offer is not among the endpoint's types: never sent. A test event goes to this
    // endpoint only and is in no feed.
    let test = app
        .post(&format!("/v1/webhooks/{endpoint}/test"), admin, json!({}))
        .await
        .expect(202)
        .body;
    let test_id = test["event_id"].as_str().unwrap().to_string();
    let got = receiver
        .wait_for("the test event", |all| {
            all.iter().filter(|r| r.id() == test_id).count() >= 3
        })
        .await;
    let test_body = got.iter().find(|r| r.id() == test_id).unwrap().json();
    assert_eq!(test_body["type"], "webhook.test");
    assert_eq!(test_body["data"]["endpoint_id"], endpoint.as_str());
    assert!(!whole_feed(&app, &org.admin.access_token, "")
        .await
        .iter()
        .any(|e| e["id"] == test_id.as_str()));

    // Redelivery: the same id again.
    receiver.fail_first.store(0, Ordering::SeqCst);
    app.post(
        &format!("/v1/webhooks/{endpoint}/redeliver"),
        admin,
        json!({"event_id": id}),
    )
    .await
    .expect(202);
    receiver
        .wait_for("the redelivery", |all| {
            all.iter().filter(|r| r.id() == id).count() >= 4
        })
        .await;
    app.post(
        &format!("/v1/webhooks/{endpoint}/redeliver"),
        admin,
        json!({"event_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect_problem(422);

    // Rotation: while the old secret overlaps, each delivery carries both signatures.
    let rotated = app
        .post(
            &format!("/v1/webhooks/{endpoint}/rotate-secret"),
            admin,
            json!({"overlap_hours": 1}),
        )
        .await
        .expect(200)
        .body;
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert!(rotated["endpoint"]["previous_secret_expires_at"].is_string());
    app.post(
        &format!("/v1/assignments/{assignment}/cancel"),
        Some(&org.manager.access_token),
        json!({"reason": "closed for works"}),
    )
    .await
    .expect(200);
    let got = receiver
        .wait_for("the cancellation", |all| {
            all.iter()
                .any(|r| r.json()["type"] == "assignment.cancelled")
        })
        .await;
    let cancelled = got
        .iter()
        .find(|r| r.json()["type"] == "assignment.cancelled")
        .unwrap();
    assert_eq!(
        cancelled.headers["webhook-signature"]
            .to_str()
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    assert!(cancelled.verifies_with(&new_secret));
    assert!(cancelled.verifies_with(&secret));
    assert_eq!(cancelled.json()["data"]["previous_status"], "open");
    // Rotation without overlap: only the new secret signs.
    let sharp = app
        .post(
            &format!("/v1/webhooks/{endpoint}/rotate-secret"),
            admin,
            json!({"overlap_hours": 0}),
        )
        .await
        .expect(200)
        .body["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let test = app
        .post(&format!("/v1/webhooks/{endpoint}/test"), admin, json!({}))
        .await
        .expect(202)
        .body;
    let test_id = test["event_id"].as_str().unwrap().to_string();
    let got = receiver
        .wait_for("a test after rotation", |all| {
            all.iter().any(|r| r.id() == test_id)
        })
        .await;
    let last = got.iter().find(|r| r.id() == test_id).unwrap();
    assert!(last.verifies_with(&sharp));
    assert!(!last.verifies_with(&new_secret));

    // Nothing of Acme reached the other organization's endpoint.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(theirs.all().is_empty(), "{:?}", theirs.all());
    // Another organization's endpoint is not found from here.
    let their_id = app
        .get("/v1/webhooks", Some(&other.admin.access_token))
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!("/v1/webhooks/{their_id}"), admin)
        .await
        .expect_problem(404);
}

#[actix_web::test]
async fn an_endpoint_failing_continuously_is_disabled_and_can_be_turned_on_again() {
    let app = TestApp::spawn_with(quick_config()).await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    let receiver = Receiver::start(usize::MAX).await;
    let endpoint = app
        .post(
            "/v1/webhooks",
            admin,
            json!({"url": format!("{}/down", receiver.base)}),
        )
        .await
        .expect(201)
        .body["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = app
        .post(&format!("/v1/webhooks/{endpoint}/test"), admin, json!({}))
        .await
        .expect(202)
        .body["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Eleven attempts over the (shrunk) three days, then the delivery gives up.
    receiver
        .wait_for("eleven attempts", |all| all.len() >= 11)
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.of(&first).len(), 11, "no twelfth attempt");
    let log = app
        .get(
            &format!("/v1/webhooks/{endpoint}/attempts?limit=200&event_id={first}"),
            admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(log["items"].as_array().unwrap().len(), 11);
    assert_eq!(log["items"][0]["delivery_state"], "failed");
    let shown = app
        .get(&format!("/v1/webhooks/{endpoint}"), admin)
        .await
        .expect(200)
        .body;
    assert_eq!(
        shown["active"], true,
        "failing for less than the (shrunk) five days"
    );
    assert!(shown["failing_since"].is_string());
    // Still failing after the (shrunk) five days: the next failure disables it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    app.post(&format!("/v1/webhooks/{endpoint}/test"), admin, json!({}))
        .await
        .expect(202);
    let mut disabled = Value::Null;
    for _ in 0..100 {
        let now = app
            .get(&format!("/v1/webhooks/{endpoint}"), admin)
            .await
            .expect(200);
        if now.body["active"] == false {
            disabled = now.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(disabled["active"], false, "the endpoint was disabled");
    assert!(disabled["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("failed"));
    // Disabled: nothing more is sent.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let count = receiver.all().len();
    app.post(&format!("/v1/webhooks/{endpoint}/test"), admin, json!({}))
        .await
        .expect(202);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.all().len(), count);
    // The receiver works again; an admin turns the endpoint on (If-Match) and what waited goes
    // out, with what gave up redelivered on request.
    receiver.fail_first.store(0, Ordering::SeqCst);
    let revision = disabled["revision"].to_string();
    app.send(
        app.client
            .put(format!("{}/v1/webhooks/{endpoint}", app.base))
            .bearer_auth(&org.admin.access_token)
            .header("If-Match", "\"999\"")
            .json(&json!({"url": format!("{}/down", receiver.base), "active": true})),
    )
    .await
    .expect_problem(412);
    let on = app
        .send(
            app.client
                .put(format!("{}/v1/webhooks/{endpoint}", app.base))
                .bearer_auth(&org.admin.access_token)
                .header("If-Match", format!("\"{revision}\""))
                .json(&json!({"url": format!("{}/down", receiver.base), "active": true})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(on["active"], true);
    assert_eq!(on["disabled_reason"], Value::Null);
    receiver
        .wait_for("the waiting test event", |all| {
            all.len() > count && all.last().is_some_and(|r| r.id() != first)
        })
        .await;
    app.post(
        &format!("/v1/webhooks/{endpoint}/redeliver"),
        admin,
        json!({"event_id": first}),
    )
    .await
    .expect(202);
    receiver
        .wait_for("the redelivered first event", |all| {
            all.iter().filter(|r| r.id() == first).count() == 12
        })
        .await;
    // The receiver has answered; the worker records the outcome just after (in a batch), so
    // the log is read until it shows it (up to 10 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let states = loop {
        let states: HashMap<String, Value> = app
            .get(
                &format!("/v1/webhooks/{endpoint}/attempts?limit=1&event_id={first}"),
                admin,
            )
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["event_id"].as_str().unwrap().to_string(),
                    a["delivery_state"].clone(),
                )
            })
            .collect();
        if states[&first] == "delivered" || std::time::Instant::now() > deadline {
            break states;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(states[&first], "delivered");
    // Deleting the endpoint removes it and its log.
    app.delete(&format!("/v1/webhooks/{endpoint}"), admin)
        .await
        .expect(204);
    app.get(&format!("/v1/webhooks/{endpoint}"), admin)
        .await
        .expect_problem(404);
}

#[actix_web::test]
async fn webhook_urls_must_be_public_https_by_default() {
    let mut config = Config::with_secret(JWT_SECRET);
    config.webhooks = Default::default();
    let app = TestApp::spawn_with(config).await;
    let org = app.seed_org("Acme").await;
    let admin = Some(org.admin.access_token.as_str());
    for url in [
        "http://hooks.example.com/in",
        "https://127.0.0.1/in",
        "https://10.0.0.8/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://localhost/in",
        "https://user:secret@hooks.example.com/in",
    ] {
        let refused = app
            .post("/v1/webhooks", admin, json!({"url": url}))
            .await
            .expect_problem(422);
        assert_eq!(refused.body["errors"][0]["field"], "url", "{url}");
    }
    app.post(
        "/v1/webhooks",
        admin,
        json!({"url": "https://hooks.example.com/in", "event_types": ["webhook.test"]}),
    )
    .await
    .expect_problem(422);
    app.post(
        "/v1/webhooks",
        admin,
        json!({"url": "https://hooks.example.com/in", "event_types": ["submission.approved"]}),
    )
    .await
    .expect(201);
    // Managers read the feed but never manage webhooks; keys need the scope.
    app.get("/v1/webhooks", Some(&org.manager.access_token))
        .await
        .expect_problem(403);
    let reader = app.api_key(&org, &["events:read"]).await;
    app.get("/v1/webhooks", Some(&reader))
        .await
        .expect_problem(403);
    let manager_key = app.api_key(&org, &["webhooks:manage"]).await;
    app.get("/v1/webhooks", Some(&manager_key))
        .await
        .expect(200);
}

/// Plans, accepts, submits and approves one visit answering `greeted`; returns the submission.
async fn approved_visit(
    app: &TestApp,
    org: &Org,
    (version, location): &(String, String),
    greeted: bool,
) -> String {
    let assignment = app
        .post(
            "/v1/assignments",
            Some(&org.manager.access_token),
            json!({"location_id": location, "checklist_version_id": version, "shopper_id": org.shopper.id,
                   "window_start": (Utc::now() - chrono::Duration::days(1)).to_rfc3339(),
                   "window_end": (Utc::now() + chrono::Duration::days(1)).to_rfc3339()}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &format!("/v1/assignments/{assignment}/accept"),
        Some(&org.shopper.access_token),
        json!({}),
    )
    .await
    .expect(200);
    let id = uuid::Uuid::new_v4().to_string();
    app.post(
        &format!("/v1/submissions/{id}/submit"),
        Some(&org.shopper.access_token),
        json!({"assignment_id": assignment, "answers": {"greeted": {"value": greeted}},
               "visit_start": (Utc::now() - chrono::Duration::minutes(40)).to_rfc3339(),
               "visit_end": (Utc::now() - chrono::Duration::minutes(10)).to_rfc3339()}),
    )
    .await
    .expect(200);
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{id}/approve", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", "\"1\"")
            .json(&json!({})),
    )
    .await
    .expect(200);
    id
}

#[actix_web::test]
async fn a_gap_becoming_significant_and_reliable_is_an_event_once() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let setup = shop_setup(&app, &org).await;
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
    // Target 0.9, minimum sample 3. A good visit, then failures: after the third visit the
    // delivered 1/3 has a Wilson interval [0.06, 0.79], below 0.9, over 3 visits: the gap is
    // significant and reliable from that approval on, and only that one says so.
    approved_visit(&app, &org, &setup, true).await;
    approved_visit(&app, &org, &setup, false).await;
    let tipping = approved_visit(&app, &org, &setup, false).await;
    approved_visit(&app, &org, &setup, false).await;
    let approved = feed_until(
        &app,
        &org.admin.access_token,
        "&types=submission.approved",
        |f| f.len() >= 4,
    )
    .await;
    let gaps = whole_feed(&app, &org.admin.access_token, "&types=gap.significant").await;
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    let data = &gaps[0]["data"];
    assert_eq!(data["submission_id"], tipping.as_str());
    assert_eq!(data["standard"], "S1");
    assert_eq!(data["location_id"], setup.1.as_str());
    assert_eq!(data["n"], 3);
    let (low, high) = shopgap::reports::rules::wilson(1.0 / 3.0, 3);
    assert!((data["delivered"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert!((data["ci_low"].as_f64().unwrap() - low).abs() < 1e-9);
    assert!((data["ci_high"].as_f64().unwrap() - high).abs() < 1e-9);
    assert!((data["gap"].as_f64().unwrap() - (0.9 - 1.0 / 3.0)).abs() < 1e-9);
    // The approvals' other events are there too, in order.
    assert_eq!(approved.len(), 4);
    assert_eq!(approved[2]["data"]["submission_id"], tipping.as_str());
    assert_eq!(approved[2]["data"]["visit_score"], 0.0);
}

/// A submission's own event is written with its assignment's, in the same statement: the feed
/// has them side by side, the assignment's first, at the submit and at the review alike.
#[actix_web::test]
async fn a_submission_step_and_its_assignment_step_are_neighbours_in_the_feed() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let setup = shop_setup(&app, &org).await;
    let submission = approved_visit(&app, &org, &setup, true).await;
    let feed = feed_until(&app, &org.admin.access_token, "", |f| {
        f.iter().any(|e| e["type"] == "submission.approved")
    })
    .await;
    let types: Vec<&str> = feed.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for (assignment_step, submission_step) in [
        ("assignment.submitted", "submission.submitted"),
        ("assignment.approved", "submission.approved"),
    ] {
        let at = types
            .iter()
            .position(|t| *t == assignment_step)
            .unwrap_or_else(|| panic!("no {assignment_step} in {types:?}"));
        assert_eq!(types.get(at + 1), Some(&submission_step), "{types:?}");
        let (first, second) = (&feed[at]["data"], &feed[at + 1]["data"]);
        assert_eq!(first["assignment_id"], second["assignment_id"]);
        assert_eq!(second["submission_id"], submission.as_str());
        assert_eq!(feed[at]["timestamp"], feed[at + 1]["timestamp"]);
    }
    assert!(
        types.iter().position(|t| *t == "submission.submitted")
            < types.iter().position(|t| *t == "assignment.approved"),
        "{types:?}"
    );
}
