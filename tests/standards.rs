//! Standards books and checklists over HTTP: create, edit, publish, re-version, export, import,
//! and proof that a published version cannot be changed by any request.

mod common;

use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

fn book(name: &str) -> Value {
    json!({
        "name": name,
        "principles": ["Every customer is greeted as a guest", "'Not my job' is never said"],
        "standards": [
            {"code": "GRT-01", "text": "Greet every visitor", "dimension": "responsiveness", "channels": ["in_person"], "target": 0.95, "weight": 2, "norm": "within 30 seconds"},
            {"code": "PHN-01", "text": "Answer within 3 rings", "dimension": "responsiveness", "channels": ["phone"], "target": 0.9},
            {"code": "BDG-01", "text": "Name badge visible", "dimension": "tangibles", "channels": ["in_person", "video"], "target": 0.98},
        ],
        "protocols": [{"name": "Greeting", "situation": "A visitor enters", "steps": [{"text": "Stand and greet", "standards": ["GRT-01", "BDG-01"]}]}],
    })
}

fn sections() -> Value {
    json!([
        {"title": "Arrival", "weight": 2, "items": [
            {"key": "greet_seconds", "prompt": "Seconds until greeted?", "type": "number", "standard": "GRT-01", "critical": true,
             "options": {"comparator": "lte", "target": 30, "unit": "seconds"}},
            {"key": "badge", "prompt": "Badge visible?", "type": "yes_no", "standard": "BDG-01", "allow_na": true},
        ]},
        {"title": "Notes", "items": [{"key": "notes", "prompt": "Anything else?", "type": "text", "required": false}]},
    ])
}

async fn with_if_match(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    etag: &str,
    body: Option<Value>,
) -> common::Resp {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("If-Match", etag);
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}

/// Creates and publishes a book; returns (book id, published version id).
async fn published_book(app: &TestApp, token: &str) -> (String, String) {
    let created = app
        .post("/v1/standards-books", Some(token), book("Service book"))
        .await
        .expect(201)
        .body;
    let id = created["book_id"].as_str().unwrap().to_string();
    let published = app
        .post(
            &format!("/v1/standards-books/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    (id, published["id"].as_str().unwrap().to_string())
}

#[actix_web::test]
async fn a_book_is_drafted_published_and_versioned() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();

    let created = app
        .post("/v1/standards-books", Some(token), book("Service book"))
        .await
        .expect(201);
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    let draft = created.body;
    let id = draft["book_id"].as_str().unwrap().to_string();
    assert_eq!(draft["version"], 1);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["standards"][0]["norm"], "within 30 seconds");
    assert_eq!(draft["standards"][1]["weight"], 1.0, "weight defaults to 1");
    assert_eq!(
        draft["warnings"].as_array().unwrap().len(),
        1,
        "two principles draw a warning"
    );

    // Drafts are edited in place, guarded by their revision.
    let mut edited = book("Service book");
    edited["principles"] = json!((1..=9)
        .map(|i| format!("Principle {i}"))
        .collect::<Vec<_>>());
    let saved = with_if_match(
        &app,
        Method::PUT,
        &format!("/v1/standards-books/{id}/draft"),
        token,
        "\"1\"",
        Some(edited.clone()),
    )
    .await
    .expect(200);
    assert_eq!(saved.body["version"], 1);
    assert_eq!(saved.body["revision"], 2);
    assert!(saved.body["warnings"].as_array().unwrap().is_empty());
    with_if_match(
        &app,
        Method::PUT,
        &format!("/v1/standards-books/{id}/draft"),
        token,
        "\"1\"",
        Some(book("Lost")),
    )
    .await
    .expect_problem(412);
    with_if_match(
        &app,
        Method::POST,
        &format!("/v1/standards-books/{id}/draft/publish"),
        token,
        "\"1\"",
        None,
    )
    .await
    .expect_problem(412);

    let published = with_if_match(
        &app,
        Method::POST,
        &format!("/v1/standards-books/{id}/draft/publish"),
        token,
        "\"2\"",
        None,
    )
    .await
    .expect(200)
    .body;
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    // Nothing left to publish.
    app.post(
        &format!("/v1/standards-books/{id}/draft/publish"),
        Some(token),
        json!({}),
    )
    .await
    .expect_problem(409);

    // Editing now starts version 2; version 1 stays as it was.
    let mut second = edited.clone();
    second["standards"][0]["target"] = json!(0.99);
    let v2 = app
        .call(
            Method::PUT,
            &format!("/v1/standards-books/{id}/draft"),
            Some(token),
            Some(second),
        )
        .await
        .expect(201);
    assert_eq!(
        v2.header("location").unwrap(),
        format!("/v1/standards-books/{id}/versions/2")
    );
    assert_eq!(v2.body["version"], 2);
    assert_eq!(v2.body["status"], "draft");
    let v1 = app
        .get(&format!("/v1/standards-books/{id}/versions/1"), Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(v1["standards"][0]["target"], 0.95);
    assert_eq!(v1["status"], "published");
    app.post(
        &format!("/v1/standards-books/{id}/draft/publish"),
        Some(token),
        json!({}),
    )
    .await
    .expect(200);

    let listed = app
        .get(&format!("/v1/standards-books/{id}"), Some(token))
        .await
        .expect(200)
        .body;
    let versions: Vec<(i64, &str)> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, [(2, "published"), (1, "published")]);
    app.get(&format!("/v1/standards-books/{id}/versions/3"), Some(token))
        .await
        .expect_problem(404);
    app.get(
        &format!("/v1/standards-books/{id}/versions/zero"),
        Some(token),
    )
    .await
    .expect_problem(404);
}

#[actix_web::test]
async fn a_published_version_cannot_be_changed_by_any_request() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.admin.access_token.as_str();
    let (id, _) = published_book(&app, token).await;
    let v1 = format!("/v1/standards-books/{id}/versions/1");
    let before = app.get(&v1, Some(token)).await.expect(200).body;
    let export_before = app
        .get(&format!("{v1}/export"), Some(token))
        .await
        .expect(200)
        .body;

    for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
        app.call(method.clone(), &v1, Some(token), Some(book("Changed")))
            .await
            .expect_problem(405);
        app.call(
            method,
            &format!("{v1}/export"),
            Some(token),
            Some(book("Changed")),
        )
        .await
        .expect_problem(405);
    }
    app.call(
        Method::DELETE,
        &format!("/v1/standards-books/{id}"),
        Some(token),
        None,
    )
    .await
    .expect_problem(405);
    // Publishing again, or saving a draft, never touches version 1.
    app.post(
        &format!("/v1/standards-books/{id}/draft/publish"),
        Some(token),
        json!({}),
    )
    .await
    .expect_problem(409);
    with_if_match(
        &app,
        Method::PUT,
        &format!("/v1/standards-books/{id}/draft"),
        token,
        "\"2\"",
        Some(book("Changed")),
    )
    .await
    .expect(201);
    app.call(
        Method::PUT,
        &format!("/v1/standards-books/{id}/draft"),
        Some(token),
        Some(book("Changed again")),
    )
    .await
    .expect(200);

    let after = app.get(&v1, Some(token)).await.expect(200).body;
    assert_eq!(before, after);
    assert_eq!(
        export_before,
        app.get(&format!("{v1}/export"), Some(token))
            .await
            .expect(200)
            .body
    );
    assert_eq!(after["name"], "Service book");
}

#[actix_web::test]
async fn invalid_books_list_every_problem() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let bad = json!({
        "name": "",
        "principles": [" "],
        "standards": [
            {"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9},
            {"code": "GRT-01", "text": "", "dimension": "empathy", "channels": [], "target": 1.5, "weight": 0},
        ],
        "protocols": [{"name": "P", "situation": "S", "steps": [{"text": "x", "standards": ["NOPE"]}]}],
    });
    let problem = app
        .post("/v1/standards-books", Some(token), bad)
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    // Every field that breaks the contract, at once.
    assert_eq!(
        fields,
        [
            "name",
            "principles[0]",
            "standards[1].channels",
            "standards[1].target",
            "standards[1].text",
            "standards[1].weight",
        ]
    );
    // Then, once it fits, the rules across the book: codes unique, links to its standards.
    let across = json!({
        "name": "Book",
        "standards": [
            {"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9},
            {"code": "GRT-01", "text": "Again", "dimension": "empathy", "channels": ["phone"], "target": 0.5},
        ],
        "protocols": [{"name": "P", "situation": "S", "steps": [{"text": "x", "standards": ["NOPE"]}]}],
    });
    let problem = app
        .post("/v1/standards-books", Some(token), across)
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["standards[1].code", "protocols[0].steps[0].standards[0]"]
    );
    // Unknown dimensions and channels are named too.
    let mut wrong = book("B");
    wrong["standards"][0]["dimension"] = json!("speed");
    let problem = app
        .post("/v1/standards-books", Some(token), wrong)
        .await
        .expect_problem(422)
        .body;
    assert_eq!(problem["errors"][0]["field"], "standards[0].dimension");
    // A book without standards saves as a draft but does not publish.
    let empty = app
        .post("/v1/standards-books", Some(token), json!({"name": "Empty"}))
        .await
        .expect(201)
        .body;
    let problem = app
        .post(
            &format!(
                "/v1/standards-books/{}/draft/publish",
                empty["book_id"].as_str().unwrap()
            ),
            Some(token),
            json!({}),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(problem["errors"][0]["field"], "standards");
}

#[actix_web::test]
async fn a_checklist_is_checked_against_its_book_when_published() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let (book_id, book_version) = published_book(&app, token).await;

    // A draft may be incomplete; it says what publishing would refuse.
    let broken = json!([
        {"title": "Arrival", "items": [
            {"key": "greet", "prompt": "Greeted?", "type": "yes_no"},
            {"key": "greet", "prompt": "Phone answered?", "type": "yes_no", "standard": "PHN-01"},
            {"key": "scale", "prompt": "Friendly?", "type": "scale", "standard": "GRT-01", "options": {"min": 5, "max": 1}},
            {"key": "choice", "prompt": "Info?", "type": "choice", "standard": "GRT-01", "options": {"choices": []}},
            {"key": "photo", "prompt": "Photo", "type": "evidence", "standard": "GRT-01"},
        ]},
    ]);
    let created = app
        .post("/v1/checklists", Some(token), json!({"name": "Showroom", "channel": "in_person", "standards_book_version_id": book_version, "sections": broken}))
        .await
        .expect(201)
        .body;
    let id = created["checklist_id"].as_str().unwrap().to_string();
    let expected = [
        "sections[0].items[0].standard",
        "sections[0].items[1].key",
        "sections[0].items[1].standard",
        "sections[0].items[2].options.max",
        "sections[0].items[3].options.choices",
        "sections[0].items[4].standard",
        "sections[0].items[4].options.evidence_kinds",
    ];
    let listed: Vec<&str> = created["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(listed, expected);
    let refused = app
        .post(
            &format!("/v1/checklists/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, expected);

    let fixed = json!({"name": "Showroom", "channel": "in_person", "standards_book_version_id": book_version, "sections": sections()});
    let saved = with_if_match(
        &app,
        Method::PUT,
        &format!("/v1/checklists/{id}/draft"),
        token,
        "\"1\"",
        Some(fixed.clone()),
    )
    .await
    .expect(200)
    .body;
    assert!(saved["problems"].as_array().unwrap().is_empty());
    let published = app
        .post(
            &format!("/v1/checklists/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(published["status"], "published");
    assert_eq!(
        published["sections"][0]["items"][0]["options"]["comparator"],
        "lte"
    );
    assert_eq!(
        published["sections"][0]["items"][1]["required"], true,
        "required defaults to true"
    );

    // Re-versioning a checklist works as for books.
    let v2 = app
        .call(
            Method::PUT,
            &format!("/v1/checklists/{id}/draft"),
            Some(token),
            Some(fixed),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(v2["version"], 2);
    let v1 = app
        .get(&format!("/v1/checklists/{id}/versions/1"), Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(v1["status"], "published");

    // The pinned book must be a published version of this organization.
    let draft_book = app.put_book_draft(&book_id, token).await;
    app.post("/v1/checklists", Some(token), json!({"name": "X", "channel": "in_person", "standards_book_version_id": draft_book, "sections": []}))
        .await
        .expect_problem(422);
    app.post("/v1/checklists", Some(token), json!({"name": "X", "channel": "in_person", "standards_book_version_id": uuid::Uuid::now_v7(), "sections": []}))
        .await
        .expect_problem(422);
    // A standard of the book that does not serve the checklist's channel is refused at publish.
    let phone = app
        .post("/v1/checklists", Some(token), json!({"name": "Phone", "channel": "phone", "standards_book_version_id": book_version, "sections": sections()}))
        .await
        .expect(201)
        .body;
    let problem = app
        .post(
            &format!(
                "/v1/checklists/{}/draft/publish",
                phone["checklist_id"].as_str().unwrap()
            ),
            Some(token),
            json!({}),
        )
        .await
        .expect_problem(422)
        .body;
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("phone channel"));
}

trait BookDrafts {
    async fn put_book_draft(&self, book_id: &str, token: &str) -> String;
}

impl BookDrafts for TestApp {
    /// Starts a new draft version of the book and returns its version id.
    async fn put_book_draft(&self, book_id: &str, token: &str) -> String {
        let draft = self
            .call(
                Method::PUT,
                &format!("/v1/standards-books/{book_id}/draft"),
                Some(token),
                Some(book("Service book")),
            )
            .await;
        assert!(draft.status == 200 || draft.status == 201, "{}", draft.body);
        draft.body["id"].as_str().unwrap().to_string()
    }
}

#[actix_web::test]
async fn books_and_checklists_move_between_organizations_as_documents() {
    let app = TestApp::spawn().await;
    let acme = app.seed_org("Acme").await;
    let other = app.seed_org("Other").await;
    let token = acme.manager.access_token.as_str();
    let (book_id, book_version) = published_book(&app, token).await;
    let created = app
        .post("/v1/checklists", Some(token), json!({"name": "Showroom", "channel": "in_person", "standards_book_version_id": book_version, "sections": sections()}))
        .await
        .expect(201)
        .body;
    let checklist_id = created["checklist_id"].as_str().unwrap().to_string();
    app.post(
        &format!("/v1/checklists/{checklist_id}/draft/publish"),
        Some(token),
        json!({}),
    )
    .await
    .expect(200);

    // A book as YAML, imported into another organization, published at once.
    let yaml = app
        .send(
            app.client
                .get(format!(
                    "{}/v1/standards-books/{book_id}/versions/1/export.yaml",
                    app.base
                ))
                .bearer_auth(token),
        )
        .await
        .expect(200);
    assert_eq!(
        yaml.header("content-type").as_deref(),
        Some("application/yaml")
    );
    let yaml_text = yaml.body.as_str().unwrap().to_string();
    assert!(yaml_text.contains("format: shopgap.standards_book/v1"));
    // The JSON operation gives the same YAML to a request that prefers it.
    let negotiated = app
        .send(
            app.client
                .get(format!(
                    "{}/v1/standards-books/{book_id}/versions/1/export",
                    app.base
                ))
                .bearer_auth(token)
                .header("accept", "application/yaml"),
        )
        .await
        .expect(200);
    assert_eq!(negotiated.body.as_str(), Some(yaml_text.as_str()));
    let their_token = other.manager.access_token.as_str();
    let imported = app
        .send(
            app.client
                .post(format!(
                    "{}/v1/standards-books/import?publish=true",
                    app.base
                ))
                .bearer_auth(their_token)
                .header("content-type", "application/yaml")
                .body(yaml_text),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(imported["status"], "published");
    let original = app
        .get(
            &format!("/v1/standards-books/{book_id}/versions/1"),
            Some(token),
        )
        .await
        .body;
    for field in ["name", "principles", "standards", "protocols"] {
        assert_eq!(imported[field], original[field], "{field}");
    }

    // A checklist as JSON carries its book; importing it twice creates two checklists and reuses
    // the identical published book.
    let document = app
        .get(
            &format!("/v1/checklists/{checklist_id}/versions/1/export"),
            Some(token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(document["format"], "shopgap.checklist/v1");
    assert_eq!(
        document["standards_book"]["standards"],
        original["standards"]
    );
    let first = app
        .post(
            "/v1/checklists/import?publish=true",
            Some(their_token),
            document.clone(),
        )
        .await
        .expect(201)
        .body;
    let second = app
        .post("/v1/checklists/import", Some(their_token), document.clone())
        .await
        .expect(201)
        .body;
    assert_eq!(first["status"], "published");
    assert_eq!(second["status"], "draft");
    assert_eq!(first["sections"], created["sections"]);
    assert_eq!(
        first["standards_book_version_id"], imported["id"],
        "the identical imported book is reused"
    );
    assert_eq!(second["standards_book_version_id"], imported["id"]);
    let their_books = app
        .get("/v1/standards-books", Some(their_token))
        .await
        .expect(200)
        .body;
    assert_eq!(their_books["items"].as_array().unwrap().len(), 1);

    // Documents of another format or with invalid content are refused with the field named.
    let mut wrong = document.clone();
    wrong["format"] = json!("something/v9");
    assert_eq!(
        app.post("/v1/checklists/import", Some(their_token), wrong)
            .await
            .expect_problem(422)
            .body["errors"][0]["field"],
        "format"
    );
    let mut invalid_book = document.clone();
    invalid_book["standards_book"]["standards"][0]["target"] = json!(2);
    let problem = app
        .post("/v1/checklists/import", Some(their_token), invalid_book)
        .await
        .expect_problem(422)
        .body;
    assert_eq!(
        problem["errors"][0]["field"],
        "standards_book.standards[0].target"
    );
    app.send(
        app.client
            .post(format!("{}/v1/standards-books/import", app.base))
            .bearer_auth(their_token)
            .header("content-type", "application/yaml")
            .body("name: [unclosed"),
    )
    .await
    .expect_problem(422);
    app.send(
        app.client
            .post(format!("{}/v1/standards-books/import", app.base))
            .bearer_auth(their_token)
            .header("content-type", "text/csv")
            .body("a,b"),
    )
    .await
    .expect_problem(415);
}
