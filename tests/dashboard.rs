//! The dashboard's files as the server serves them, and its promise to be a client of the public
//! API only: every API path its code calls is an operation of `openapi.yaml`. (The pages
//! themselves run in a real browser in `tests/dashboard_browser.py`, from `.ci/run`.)

mod common;

use common::TestApp;
use reqwest::header;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[actix_web::test]
async fn the_dashboard_is_served_with_a_strict_policy_and_revalidated() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    for path in ["/", "/app"] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302, "{path}");
        assert_eq!(res.headers()[header::LOCATION], "/app/", "{path}");
    }
    let page = client
        .get(format!("{}/app/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for rule in [
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(rule), "{policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="js/app.js">"#));
    assert!(!html.contains("<script>"), "no inline script");

    // The ETag revalidates: the same file is 304 without a body.
    let etag = headers[header::ETAG].clone();
    let again = client
        .get(format!("{}/app/index.html", app.base))
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()[header::ETAG], etag);

    // Every file the page and its modules load is there, with its type.
    for (path, kind) in [
        ("/app/app.css", "text/css"),
        ("/app/js/app.js", "text/javascript"),
        ("/app/vendor/chart.umd.js", "text/javascript"),
        ("/app/vendor/preact-htm.module.js", "text/javascript"),
        ("/app/icon.svg", "image/svg+xml"),
    ] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}"
        );
    }
    // Anything else is a problem, not a page; no path escapes the dashboard's folder.
    for path in [
        "/app/nothing.js",
        "/app/../Cargo.toml",
        "/app/%2e%2e/Cargo.toml",
        "/app/js/../../src/main.rs",
    ] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "{path}"
        );
    }
}

/// The API paths the dashboard's code names: `'/v1/…'`, `"/v1/…"` and `` `/v1/…/${id}/…` ``
/// literals, with each `${…}` as a path parameter.
fn called_paths() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboard/js");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("/v1/") {
            let quote = rest[..at].chars().last();
            let tail = &rest[at..];
            rest = &tail[4..];
            if !matches!(quote, Some('\'') | Some('`') | Some('"')) {
                continue;
            }
            let end = tail
                .find(|c: char| "'`\"?".contains(c) || c.is_whitespace())
                .unwrap();
            let mut literal = tail[..end].to_string();
            while let Some(open) = literal.find("${") {
                let close = open + literal[open..].find('}').unwrap();
                literal.replace_range(open..=close, "{}");
            }
            found.push((name.clone(), literal));
        }
    }
    found
}

fn same_shape(called: &str, documented: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) =
        (called.split('/').collect(), documented.split('/').collect());
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (*x == "{}" && y.starts_with('{') && y.ends_with('}')))
}

#[test]
fn the_dashboard_calls_only_documented_operations() {
    let contract: serde_json::Value =
        yaml_serde::from_str(&shopgap::openapi::openapi_yaml()).unwrap();
    let documented: Vec<&String> = contract["paths"].as_object().unwrap().keys().collect();
    let called = called_paths();
    for expected in [
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/reports/gaps",
        "/v1/reports/gaps.csv",
        "/v1/submissions/{}/approve",
        "/v1/attachments/{}",
    ] {
        assert!(
            called.iter().any(|(_, path)| path == expected),
            "{expected} is not among {called:?}"
        );
    }
    for (file, path) in &called {
        assert!(
            documented.iter().any(|d| same_shape(path, d)),
            "{file} calls {path}, which openapi.yaml does not document"
        );
    }
}
