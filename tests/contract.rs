//! The contract and the HTTP edges: the committed OpenAPI document matches the code, the two
//! migration folders stay in step, and malformed requests get problem+json, never a 500.

mod common;

use common::TestApp;
use serde_json::json;

#[test]
fn openapi_yaml_is_up_to_date() {
    let generated = shopgap::openapi::openapi_yaml();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .unwrap_or_default();
    assert!(
        generated == committed,
        "openapi.yaml is stale: regenerate it with `cargo run -q -- openapi > openapi.yaml`"
    );
}

#[test]
fn migration_folders_stay_in_step() {
    let names = |backend: &str| {
        let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().is_dir())
            .map(|e| {
                for file in ["up.sql", "down.sql"] {
                    assert!(
                        e.path().join(file).is_file(),
                        "{} lacks {file}",
                        e.path().display()
                    );
                }
                e.file_name().to_string_lossy().into_owned()
            })
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names("postgres"),
        "migrations/sqlite and migrations/postgres differ"
    );
}

#[actix_web::test]
async fn the_served_document_is_the_committed_one() {
    let app = TestApp::spawn().await;
    let served = app.get("/openapi.json", None).await.expect(200).body;
    let generated: serde_json::Value =
        serde_json::from_str(&shopgap::openapi::openapi().to_json().unwrap()).unwrap();
    assert_eq!(served, generated);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemes = &served["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");

    let docs = app.get("/docs", None).await;
    assert!(
        matches!(docs.status, 301 | 302 | 307 | 308),
        "{}",
        docs.status
    );
    let ui = app
        .send(app.client.get(format!("{}/docs/", app.base)))
        .await
        .expect(200);
    assert!(ui.body.as_str().unwrap().contains("swagger"));
}

#[actix_web::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/healthz", None).await.expect(200).body["status"],
        "ok"
    );
    let ready = app.get("/readyz", None).await.expect(200).body;
    assert_eq!(ready["database"], common::backend());
    app.get("/v1/me", None).await.expect_problem(401);
    let metrics = app.get("/metrics", None).await.expect(200);
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains(
            "shopgap_http_requests_total{endpoint=\"/v1/me\",method=\"GET\",status=\"401\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("shopgap_http_requests_duration_seconds_bucket"));
    assert!(text.contains("shopgap_db_pool_max_connections 8"));
    assert!(metrics.header("x-request-id").is_some());
}

#[actix_web::test]
async fn malformed_requests_get_problems() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = org.admin.access_token.as_str();
    let url = |p: &str| format!("{}{p}", app.base);

    app.get("/v1/nothing-here", None).await.expect_problem(404);
    let wrong_method = app
        .call(reqwest::Method::PUT, "/v1/users", Some(admin), None)
        .await
        .expect_problem(405);
    assert_eq!(
        wrong_method.header("allow").as_deref(),
        Some("GET, HEAD, POST")
    );
    app.call(
        reqwest::Method::DELETE,
        "/v1/organization",
        Some(admin),
        None,
    )
    .await
    .expect_problem(405);

    // Not JSON at all, JSON under the wrong content type, broken JSON, JSON of the wrong shape.
    app.send(
        app.client
            .post(url("/v1/users"))
            .bearer_auth(admin)
            .body("email=x"),
    )
    .await
    .expect_problem(415);
    app.send(
        app.client
            .post(url("/v1/users"))
            .bearer_auth(admin)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await
    .expect_problem(415);
    app.send(
        app.client
            .post(url("/v1/users"))
            .bearer_auth(admin)
            .header("content-type", "application/json")
            .body("{\"email\":"),
    )
    .await
    .expect_problem(400);
    app.post("/v1/users", Some(admin), json!([1, 2]))
        .await
        .expect_problem(422);
    app.post("/v1/users", Some(admin), json!({"email": 5}))
        .await
        .expect_problem(422);

    // Too large a body.
    let huge = "x".repeat(2 * 1024 * 1024);
    app.post(
        "/v1/users",
        Some(admin),
        json!({"email": huge, "display_name": "x", "role": "shopper"}),
    )
    .await
    .expect_problem(413);

    // Ids that are not ids name nothing.
    app.get("/v1/users/not-a-uuid", Some(admin))
        .await
        .expect_problem(404);
    app.get(&format!("/v1/users/{}", uuid::Uuid::now_v7()), Some(admin))
        .await
        .expect_problem(404);

    // A trailing slash or doubled slashes reach the same resource.
    app.get("/v1//me", Some(admin)).await.expect(200);

    // Text holding NUL is refused wherever it comes in (PostgreSQL cannot store it), with
    // the field named; the user's other data is untouched.
    let named = app
        .get("/v1/me?note=a%00b", Some(admin))
        .await
        .expect_problem(422);
    assert_eq!(named.body["errors"][0]["field"], "note");
    let named = app
        .get("/v1/locations?q=%00", Some(admin))
        .await
        .expect_problem(422);
    assert_eq!(named.body["errors"][0]["field"], "q");
    let nul = app
        .post(
            "/v1/users",
            Some(admin),
            json!({"email": "nul@example.com", "display_name": "a\u{0}b", "role": "shopper"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(nul.body["errors"][0]["field"], "display_name");

    // JSON has one number type: a whole number written as `3.0` is the integer 3.
    let patched = app
        .patch(
            "/v1/organization",
            Some(admin),
            json!({"cooldown_days": 3.0}),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["settings"]["cooldown_days"], 3);

    // Unreadable header values.
    app.send(
        app.client
            .get(url("/v1/me"))
            .header("Authorization", "Bearer \u{1F600}".as_bytes()),
    )
    .await
    .expect_problem(401);
}

#[actix_web::test]
async fn migrations_run_down_and_up_again() {
    use diesel_migrations::MigrationHarness;
    use shopgap::db::{DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    let conn: &mut DbConn = &mut conn;
    match conn {
        DbConn::Postgres(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS).unwrap();
            c.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
        }
        DbConn::Sqlite(c) => {
            c.revert_all_migrations(SQLITE_MIGRATIONS).unwrap();
            c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
        }
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn walk(value: &serde_json::Value, refs: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if k == "$ref" {
                        refs.push(v.as_str().unwrap_or_default().to_string());
                    }
                    walk(v, refs);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc: serde_json::Value =
        serde_json::from_str(&shopgap::openapi::openapi().to_json().unwrap()).unwrap();
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external reference {r}"));
        assert!(doc.pointer(pointer).is_some(), "unresolvable reference {r}");
    }
}

#[actix_web::test]
async fn an_upgrade_over_live_data_keeps_people_signed_in_and_the_data_whole() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let rival = app.seed_org("Rival").await;
    // Live data of every table the newest migrations rebuild or fill: users with sessions and
    // keys, a remembered Idempotency-Key, a shopper profile.
    let key = app.api_key(&org, &["users:read"]).await;
    app.send(
        app.client
            .post(format!("{}/v1/users", app.base))
            .bearer_auth(&org.admin.access_token)
            .header("Idempotency-Key", "before-upgrade")
            .json(&json!({"email": "new@acme.example.com", "display_name": "New", "role": "shopper", "password": common::PASSWORD})),
    )
    .await
    .expect(201);
    app.get("/v1/me/profile", Some(&org.shopper.access_token))
        .await
        .expect(200);

    common::redo_migrations_from(&app, "2026-12-02-000012").await;

    // Sessions were carried over from the refresh tokens: tokens issued before still work.
    for token in [&org.admin.access_token, &rival.shopper.access_token, &key] {
        app.get("/v1/me", Some(token)).await.expect(200);
    }
    app.post(
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": org.manager.refresh_token}),
    )
    .await
    .expect(200);
    app.login("new@acme.example.com", common::PASSWORD)
        .await
        .expect(200);
    // Every reference still resolves (SQLite rebuilt the users table with foreign keys off).
    if let shopgap::db::DbConn::Sqlite(_) = &*app.pool.get().unwrap() {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Violation {
            #[diesel(sql_type = diesel::sql_types::Text)]
            table: String,
        }
        let mut conn = app.pool.get().unwrap();
        let violations: Vec<Violation> = diesel::sql_query("PRAGMA foreign_key_check")
            .load(&mut *conn)
            .unwrap();
        let tables: Vec<&str> = violations.iter().map(|v| v.table.as_str()).collect();
        assert!(tables.is_empty(), "foreign keys broken in {tables:?}");
    }
}

/// The contract names of the types that derive `ToSchema` in `src/` (their `#[schema(as = …)]`
/// name where they have one), with the file each is in.
fn schema_names() -> Vec<(String, String)> {
    fn visit(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let (mut derive, mut in_derive, mut schema, mut alias) =
                (String::new(), false, false, None::<String>);
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[derive(") {
                    in_derive = true;
                    derive.clear();
                }
                if in_derive {
                    derive.push_str(line);
                    if line.ends_with(")]") {
                        in_derive = false;
                        schema = derive.contains("ToSchema");
                    }
                    continue;
                }
                if !schema {
                    continue;
                }
                if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                    let name = rest.trim_end_matches(")]").rsplit("::").next().unwrap();
                    alias = Some(name.to_string());
                    continue;
                }
                let item = line
                    .trim_start_matches("pub(crate) ")
                    .trim_start_matches("pub ");
                if let Some(rest) = item
                    .strip_prefix("enum ")
                    .or_else(|| item.strip_prefix("struct "))
                {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let file = path.display().to_string();
                    out.push((alias.take().unwrap_or(name), file));
                    schema = false;
                }
            }
        }
    }
    let mut out = Vec::new();
    visit(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

/// utoipa keeps one schema per name: two types of one name would silently become one in the
/// contract, and answers of the other would then violate it (the corrective actions' status
/// once did so, until the fuzzer met one). Each needs its own name (`#[schema(as = …)]`).
#[test]
fn no_two_schemas_share_a_name() {
    let names = schema_names();
    assert!(names.len() > 100, "{} schemas found", names.len());
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (name, file) in &names {
        if let Some(other) = seen.insert(name, file) {
            panic!("two schemas are named {name}: in {other} and in {file}");
        }
    }
}

#[test]
fn every_operation_id_is_unique() {
    let api = shopgap::openapi::openapi();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in api.paths.paths.iter() {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if let Some(op) = op {
                let id = op.operation_id.clone().expect("every operation has an id");
                if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                    panic!("operationId {id} names both {other} and {method} {path}");
                }
            }
        }
    }
}

#[actix_web::test]
async fn head_answers_like_get_without_the_body() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let admin = org.admin.access_token.as_str();
    for path in ["/v1/organization", "/v1/users", "/healthz", "/openapi.json"] {
        let get = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        let head = app
            .client
            .head(format!("{}{path}", app.base))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        for name in ["content-type", "etag", "content-length"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(head.headers().contains_key("x-request-id"));
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Credentials count as for GET; a resource without GET still refuses HEAD.
    let anonymous = app
        .client
        .head(format!("{}/v1/users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let no_get = app
        .client
        .head(format!("{}/v1/auth/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_get.status(), 405);
    assert_eq!(no_get.headers()["allow"], "POST");
}

#[actix_web::test]
async fn only_objects_are_read_where_the_contract_says_object() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    // A JSON array read field by field signed in before; now it is refused like any body that
    // does not fit, in the API's words.
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!([org.admin.email, common::PASSWORD]),
        )
        .await
        .expect_problem(422);
    assert_eq!(login.body["errors"][0]["field"], "body");
    assert_eq!(login.body["errors"][0]["message"], "must be an object");
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/v1/api-keys",
            json!(["k", ["users:read"]]),
        ),
        (
            reqwest::Method::PATCH,
            "/v1/organization",
            json!([1, 2, 3, 4, 5, 6]),
        ),
    ] {
        let refused = app
            .call(method, path, Some(&org.admin.access_token), Some(body))
            .await
            .expect_problem(422);
        let text = refused.body.to_string();
        assert!(text.contains("must be an object"), "{text}");
        for rust in ["struct", "Update", "Create", "elements", "variant"] {
            assert!(!text.contains(rust), "{path}: {text}");
        }
    }
    let profile = app
        .call(
            reqwest::Method::PUT,
            "/v1/me/profile",
            Some(&org.shopper.access_token),
            Some(json!(["North", ["de"], ["b2c"]])),
        )
        .await
        .expect_problem(422);
    assert_eq!(profile.body["errors"][0]["message"], "must be an object");
    // Wrong types inside an object name the field, without a word of Rust either.
    let wrong = app
        .post(
            "/v1/api-keys",
            Some(&org.admin.access_token),
            json!({"name": 7, "scopes": "users:read"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(
        wrong.body["errors"],
        json!([
            {"field": "name", "message": "must be text"},
            {"field": "scopes", "message": "must be a list"},
        ])
    );
}

#[actix_web::test]
async fn a_documented_resource_asked_with_another_method_is_405() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = Some(org.manager.access_token.as_str());
    // A path without parameters wins over a templated one: `import` is not an id.
    for (method, path, allow) in [
        (reqwest::Method::GET, "/v1/checklists/import", "POST"),
        (reqwest::Method::GET, "/v1/standards-books/import", "POST"),
        (reqwest::Method::PATCH, "/v1/locations/import", "POST"),
        (reqwest::Method::DELETE, "/v1/reports/gaps.csv", "GET, HEAD"),
    ] {
        let refused = app
            .call(method.clone(), path, token, Some(json!({})))
            .await
            .expect_problem(405);
        assert_eq!(
            refused.header("allow").as_deref(),
            Some(allow),
            "{method} {path}"
        );
    }
}
