//! Evidence uploads: required evidence, idempotent ids, spoofed types, size limits, access.

mod common;

use chrono::{Duration, Utc};
use common::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use shopgap::attachments::storage::{S3Settings, Storage};

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 3,
];
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];

async fn shop(app: &TestApp, org: &Org) -> String {
    let manager = Some(org.manager.access_token.as_str());
    let doc = json!({
        "format": "shopgap.checklist/v1", "name": "C", "channel": "in_person",
        "sections": [{"title": "A", "items": [
            {"key": "greeted", "prompt": "?", "type": "yes_no", "standard": "S1"},
            {"key": "photo", "prompt": "Entrance", "type": "evidence", "options": {"evidence_kinds": ["photo"], "min_count": 1}},
        ]}],
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
    let id = app
        .post("/v1/assignments", manager, json!({"location_id": location, "checklist_version_id": version, "shopper_id": org.shopper.id,
            "window_start": (Utc::now() - Duration::days(1)).to_rfc3339(), "window_end": (Utc::now() + Duration::days(1)).to_rfc3339()}))
        .await
        .expect(201)
        .body["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/v1/assignments/{id}/accept"),
        Some(&org.shopper.access_token),
        json!({}),
    )
    .await
    .expect(200);
    id
}

fn content(assignment: &str) -> Value {
    json!({"assignment_id": assignment, "answers": {"greeted": {"value": true}},
           "visit_start": (Utc::now() - Duration::minutes(30)).to_rfc3339(), "visit_end": (Utc::now() - Duration::minutes(5)).to_rfc3339()})
}

async fn upload(
    app: &TestApp,
    token: &str,
    submission: &str,
    id: &str,
    content_type: &str,
    bytes: &[u8],
    query: &str,
) -> common::Resp {
    app.send(
        app.client
            .put(format!(
                "{}/v1/submissions/{submission}/attachments/{id}{query}",
                app.base
            ))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(bytes.to_vec()),
    )
    .await
}

#[actix_web::test]
async fn required_evidence_is_uploaded_once_and_checked() {
    let app = TestApp::spawn_with({
        let mut c = shopgap::config::Config::with_secret(common::JWT_SECRET);
        c.max_attachment_bytes = 4096;
        c
    })
    .await;
    let org = app.seed_org("Acme").await;
    let assignment = shop(&app, &org).await;
    let token = org.shopper.access_token.as_str();
    let submission = uuid::Uuid::new_v4().to_string();
    app.call(
        Method::PUT,
        &format!("/v1/submissions/{submission}"),
        Some(token),
        Some(content(&assignment)),
    )
    .await
    .expect(200);

    // Without the photo the submission is refused, naming the item.
    let refused = app
        .post(
            &format!("/v1/submissions/{submission}/submit"),
            Some(token),
            content(&assignment),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(refused["errors"][0]["field"], "answers.photo");

    // Spoofed, unknown and oversized files are refused.
    let photo = uuid::Uuid::new_v4().to_string();
    upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        PNG,
        "?item_key=photo",
    )
    .await
    .expect_problem(415);
    upload(
        &app,
        token,
        &submission,
        &photo,
        "application/pdf",
        b"MZ\x90\0 not a pdf",
        "?item_key=photo",
    )
    .await
    .expect_problem(415);
    upload(
        &app,
        token,
        &submission,
        &photo,
        "text/html",
        b"<script>",
        "?item_key=photo",
    )
    .await
    .expect_problem(415);
    let mut big = JPEG.to_vec();
    big.resize(5000, 0);
    upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        &big,
        "?item_key=photo",
    )
    .await
    .expect_problem(413);
    upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        JPEG,
        "?item_key=photo&kind=audio",
    )
    .await
    .expect_problem(422);

    // The real photo; sending it again is harmless, other bytes under the same id are not.
    let stored = upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        JPEG,
        "?item_key=photo",
    )
    .await
    .expect(201)
    .body;
    assert_eq!(stored["kind"], "photo");
    assert_eq!(stored["size_bytes"], JPEG.len());
    let sha: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(JPEG)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(stored["sha256"], sha);
    let again = upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        JPEG,
        "?item_key=photo",
    )
    .await
    .expect(201)
    .body;
    assert_eq!(again["id"], stored["id"]);
    upload(
        &app,
        token,
        &submission,
        &photo,
        "image/png",
        PNG,
        "?item_key=photo",
    )
    .await
    .expect_problem(409);

    app.post(
        &format!("/v1/submissions/{submission}/submit"),
        Some(token),
        content(&assignment),
    )
    .await
    .expect(200);
    // Final work takes no more evidence.
    upload(
        &app,
        token,
        &submission,
        &uuid::Uuid::new_v4().to_string(),
        "image/jpeg",
        JPEG,
        "",
    )
    .await
    .expect_problem(409);

    // Downloads: the shopper and reviewers; nobody else.
    let path = format!("/v1/attachments/{photo}");
    let own = app
        .send(
            app.client
                .get(format!("{}{path}", app.base))
                .bearer_auth(token),
        )
        .await
        .expect(200);
    assert_eq!(own.header("content-type").as_deref(), Some("image/jpeg"));
    let digest = {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(JPEG))
    };
    assert_eq!(
        own.header("repr-digest"),
        Some(format!("sha-256=:{digest}:"))
    );
    assert_eq!(own.header("digest"), Some(format!("sha-256={digest}")));
    let bytes = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(&org.manager.access_token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], JPEG);
    let created = app.post("/v1/users", Some(&org.admin.access_token), json!({"email": "b@acme.example.com", "display_name": "B", "role": "shopper", "password": common::PASSWORD})).await.expect(201);
    assert!(created.body["user"]["id"].is_string());
    let other_shopper = app.login("b@acme.example.com", common::PASSWORD).await.body
        ["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&path, Some(&other_shopper))
        .await
        .expect_problem(404);
    let rival = app.seed_org("Rival").await;
    app.get(&path, Some(&rival.manager.access_token))
        .await
        .expect_problem(404);
    upload(
        &app,
        &other_shopper,
        &submission,
        &uuid::Uuid::new_v4().to_string(),
        "image/jpeg",
        JPEG,
        "",
    )
    .await
    .expect_problem(404);
}

/// An S3-compatible server (s3s-fs) on a real port, keeping buckets as directories under `root`.
async fn s3_server(root: &std::path::Path, access_key: &str, secret_key: &str) -> String {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    let mut service = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(root).unwrap());
    service.set_auth(s3s::auth::SimpleAuth::from_single(access_key, secret_key));
    let service = service.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    format!("http://{address}")
}

fn s3_config(endpoint: String) -> shopgap::config::Config {
    let mut config = shopgap::config::Config::with_secret(common::JWT_SECRET);
    config.attachments = Storage::S3(S3Settings {
        url: "s3://evidence/shopgap".into(),
        endpoint: Some(endpoint),
        region: Some("eu-central-1".into()),
        access_key_id: Some("shopgap-test".into()),
        secret_access_key: Some("shopgap-test-secret".into()),
    });
    config
}

#[actix_web::test]
async fn evidence_goes_to_an_s3_compatible_bucket_by_configuration() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("evidence")).unwrap();
    let endpoint = s3_server(root.path(), "shopgap-test", "shopgap-test-secret").await;
    let app = TestApp::spawn_with(s3_config(endpoint)).await;
    let org = app.seed_org("Acme").await;
    let assignment = shop(&app, &org).await;
    let token = org.shopper.access_token.as_str();
    let submission = uuid::Uuid::new_v4().to_string();
    app.call(
        Method::PUT,
        &format!("/v1/submissions/{submission}"),
        Some(token),
        Some(content(&assignment)),
    )
    .await
    .expect(200);
    let photo = uuid::Uuid::new_v4().to_string();
    upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        JPEG,
        "?item_key=photo",
    )
    .await
    .expect(201);
    // A retry of the same file is answered from the record, not stored twice.
    upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        JPEG,
        "?item_key=photo",
    )
    .await
    .expect(201);

    // The bytes are in the bucket, under the configured prefix (the attachment id, then the
    // upload's own suffix), and nowhere else.
    let folder = root
        .path()
        .join("evidence/shopgap")
        .join(&org.id)
        .join(&submission);
    let objects: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(&format!("{photo}-")));
    assert_eq!(std::fs::read(&objects[0]).unwrap(), JPEG);

    app.post(
        &format!("/v1/submissions/{submission}/submit"),
        Some(token),
        content(&assignment),
    )
    .await
    .expect(200);
    let downloaded = app
        .client
        .get(format!("{}/v1/attachments/{photo}", app.base))
        .bearer_auth(&org.manager.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), 200);
    assert_eq!(&downloaded.bytes().await.unwrap()[..], JPEG);
    // The bucket's access rules are the API's: another tenant still sees nothing.
    let rival = app.seed_org("Rival").await;
    app.get(
        &format!("/v1/attachments/{photo}"),
        Some(&rival.manager.access_token),
    )
    .await
    .expect_problem(404);
}

#[actix_web::test]
async fn unreachable_storage_answers_503_and_keeps_the_draft() {
    // Nothing listens on this port once the listener is dropped.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(s3_config(endpoint)).await;
    let org = app.seed_org("Acme").await;
    let assignment = shop(&app, &org).await;
    let token = org.shopper.access_token.as_str();
    let submission = uuid::Uuid::new_v4().to_string();
    app.call(
        Method::PUT,
        &format!("/v1/submissions/{submission}"),
        Some(token),
        Some(content(&assignment)),
    )
    .await
    .expect(200);
    let photo = uuid::Uuid::new_v4().to_string();
    let refused = upload(
        &app,
        token,
        &submission,
        &photo,
        "image/jpeg",
        JPEG,
        "?item_key=photo",
    )
    .await
    .expect_problem(503);
    assert!(refused.header("retry-after").is_some());
    // No record points at bytes that were never stored, and the draft is as it was.
    app.get(&format!("/v1/attachments/{photo}"), Some(token))
        .await
        .expect_problem(404);
    let draft = app
        .get(&format!("/v1/submissions/{submission}"), Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(draft["content"]["answers"]["greeted"]["value"], true);
}

#[actix_web::test]
async fn evidence_downloads_as_a_sandboxed_file_and_ids_are_per_organization() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let rival = app.seed_org("Rival").await;
    let (mine, theirs) = (shop(&app, &org).await, shop(&app, &rival).await);
    let (me, them) = (
        org.shopper.access_token.as_str(),
        rival.shopper.access_token.as_str(),
    );
    let (my_draft, their_draft) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    for (token, draft, assignment) in [(me, &my_draft, &mine), (them, &their_draft, &theirs)] {
        app.call(
            Method::PUT,
            &format!("/v1/submissions/{draft}"),
            Some(token),
            Some(content(assignment)),
        )
        .await
        .expect(200);
    }

    // Acme's shopper stores a photo; Rival's shopper then uses the very same attachment id for
    // another file: it is stored like any unknown id (no 409 that would reveal Acme's).
    let shared_id = uuid::Uuid::new_v4().to_string();
    upload(
        &app,
        me,
        &my_draft,
        &shared_id,
        "image/jpeg",
        JPEG,
        "?item_key=photo",
    )
    .await
    .expect(201);
    let stored = upload(
        &app,
        them,
        &their_draft,
        &shared_id,
        "image/png",
        PNG,
        "?item_key=photo",
    )
    .await
    .expect(201)
    .body;
    assert_eq!(stored["content_type"], "image/png");
    assert_eq!(stored["submission_id"], their_draft.as_str());
    // Each organization reads its own file under that id.
    let read = |token: &str| {
        app.client
            .get(format!("{}/v1/attachments/{shared_id}", app.base))
            .bearer_auth(token.to_string())
            .send()
    };
    let acme = read(&org.manager.access_token).await.unwrap();
    assert_eq!(acme.headers()["content-type"], "image/jpeg");
    assert_eq!(
        acme.headers()["content-disposition"],
        format!("attachment; filename=\"evidence-{shared_id}.jpg\"").as_str()
    );
    let csp = acme.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(acme.headers()["x-content-type-options"], "nosniff");
    assert_eq!(&acme.bytes().await.unwrap()[..], JPEG);
    let rivals = read(&rival.manager.access_token).await.unwrap();
    assert_eq!(rivals.headers()["content-type"], "image/png");
    assert_eq!(&rivals.bytes().await.unwrap()[..], PNG);
    assert_eq!(app.stored_files().len(), 2);

    // Generic bytes (what generated clients send for a file) take the type of their signature.
    let generic = uuid::Uuid::new_v4().to_string();
    let sniffed = upload(
        &app,
        me,
        &my_draft,
        &generic,
        "application/octet-stream",
        PNG,
        "",
    )
    .await
    .expect(201)
    .body;
    assert_eq!(sniffed["content_type"], "image/png");
    assert_eq!(sniffed["kind"], "photo");
    upload(
        &app,
        me,
        &my_draft,
        &uuid::Uuid::new_v4().to_string(),
        "application/octet-stream",
        b"MZ\x90\0 a program",
        "",
    )
    .await
    .expect_problem(415);
    assert_eq!(app.stored_files().len(), 3);

    // Within one organization, other bytes under a taken id stay a conflict, and a failed
    // upload leaves nothing in storage, also when several race for one id.
    upload(&app, me, &my_draft, &shared_id, "image/png", PNG, "")
        .await
        .expect_problem(409);
    let racing = uuid::Uuid::new_v4().to_string();
    let files: Vec<Vec<u8>> = (0..6u8)
        .map(|i| {
            let mut f = JPEG.to_vec();
            f.push(i);
            f
        })
        .collect();
    let results = futures_util::future::join_all(
        files
            .iter()
            .map(|f| upload(&app, me, &my_draft, &racing, "image/jpeg", f, "")),
    )
    .await;
    let won: Vec<&common::Resp> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.status == 201 || r.status == 409));
    // The stored bytes are the winner's, and nothing else was left behind (removal of a
    // loser's bytes may finish just after its answer).
    let winner = app
        .client
        .get(format!("{}/v1/attachments/{racing}", app.base))
        .bearer_auth(me)
        .send()
        .await
        .unwrap();
    let stored = winner.bytes().await.unwrap();
    let sha: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&stored)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(sha, won[0].body["sha256"].as_str().unwrap());

    let mut left = app.stored_files().len();
    for _ in 0..50 {
        if left == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        left = app.stored_files().len();
    }
    assert_eq!(left, 4, "{:?}", app.stored_files());
}

#[actix_web::test]
async fn every_response_refuses_to_be_framed() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/docs/", "/v1/me", "/openapi.json"] {
        let response = app.get(path, None).await;
        assert_eq!(
            response.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        assert_eq!(
            response.header("content-security-policy").as_deref(),
            Some("frame-ancestors 'none'"),
            "{path}"
        );
    }
}
