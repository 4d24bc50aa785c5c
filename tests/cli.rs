//! The `shopgap` binary's administrative commands, run for real against the test database.

mod common;

use std::process::Command;

use common::TestApp;
use serde_json::Value;

fn shopgap(app: &TestApp, args: &[&str]) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .args(args)
        .env("SHOPGAP_DATABASE_URL", &app.database_url)
        .env("SHOPGAP_DATA_DIR", data.path())
        .env("SHOPGAP_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// The password column of the credential lines the CLI prints.
fn printed_password(stdout: &str, email: &str) -> String {
    stdout
        .lines()
        .find(|l| l.contains(email))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no credential for {email} in:\n{stdout}"))
        .to_string()
}

#[actix_web::test]
async fn create_org_prints_an_admin_password_that_signs_in() {
    let app = TestApp::spawn().await;
    let out = shopgap(
        &app,
        &[
            "admin",
            "create-org",
            "--name",
            "Northwind",
            "--admin-email",
            "Boss@Northwind.example.com",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let password = printed_password(&stdout, "boss@northwind.example.com");
    let tokens = app
        .login("boss@northwind.example.com", &password)
        .await
        .expect(200)
        .body;
    let me = app
        .get("/v1/me", tokens["access_token"].as_str())
        .await
        .expect(200)
        .body;
    assert_eq!(me["organization"]["name"], "Northwind");
    assert_eq!(me["user"]["role"], "admin");

    // Emails are unique within an organization only: the same person can run another one,
    // and each password opens its own organization.
    let again = shopgap(
        &app,
        &[
            "admin",
            "create-org",
            "--name",
            "Other",
            "--admin-email",
            "boss@northwind.example.com",
        ],
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let other_password = printed_password(
        &String::from_utf8(again.stdout).unwrap(),
        "boss@northwind.example.com",
    );
    for (password, organization) in [(&password, "Northwind"), (&other_password, "Other")] {
        let tokens = app
            .login("boss@northwind.example.com", password)
            .await
            .expect(200)
            .body;
        let me = app
            .get("/v1/me", tokens["access_token"].as_str())
            .await
            .expect(200)
            .body;
        assert_eq!(me["organization"]["name"], organization);
    }
}

#[actix_web::test]
async fn the_demo_organization_is_created_and_refreshed() {
    let app = TestApp::spawn().await;
    let mut passwords = Vec::new();
    for _ in 0..2 {
        let mut conn = app.pool.get().unwrap();
        let credentials = shopgap::demo::ensure_demo(&mut conn).unwrap();
        assert_eq!(credentials.len(), 4);
        passwords.push(credentials);
    }
    // The second run issued new passwords; those work, the first ones no longer do.
    for (old, new) in passwords[0].iter().zip(&passwords[1]) {
        assert_eq!(old.email, new.email);
        app.login(&new.email, &new.password).await.expect(200);
        app.login(&old.email, &old.password)
            .await
            .expect_problem(401);
    }
    let admin = app
        .login("admin@demo-motors.example.com", &passwords[1][0].password)
        .await
        .body;
    let users = app
        .get("/v1/users", admin["access_token"].as_str())
        .await
        .expect(200)
        .body;
    assert_eq!(users["items"].as_array().unwrap().len(), 4);
    // The five gaps' instruments: a customer survey in English and Arabic (right to left) and
    // a management one, published once; marketing's promises.
    let token = admin["access_token"].as_str();
    let surveys = app
        .get("/v1/survey-instruments", token)
        .await
        .expect(200)
        .body;
    let surveys = surveys["items"].as_array().unwrap();
    assert_eq!(surveys.len(), 2);
    let mut audiences = Vec::new();
    for survey in surveys {
        let version = app
            .get(
                &format!(
                    "/v1/survey-instruments/{}/versions/1",
                    survey["id"].as_str().unwrap()
                ),
                token,
            )
            .await
            .expect(200)
            .body;
        assert_eq!(version["status"], "published");
        assert_eq!(version["text_directions"]["ar"], "rtl");
        audiences.push(version["audience"].as_str().unwrap().to_string());
    }
    audiences.sort();
    assert_eq!(audiences, ["customer", "management"]);
    let promises = app.get("/v1/promises", token).await.expect(200).body;
    assert_eq!(promises["items"].as_array().unwrap().len(), 3);
}

#[test]
fn openapi_command_prints_the_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        shopgap::openapi::openapi_yaml()
    );
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .args(["serve", "--jwt-secret", "too-short", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 bytes"));
    let out = Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .args(["migrate", "--database-url", "mysql://localhost/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
    let out = Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .args(["serve", "--attachments-url", "gs://bucket", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be an s3:// URL"));
}

#[test]
fn unreachable_s3_storage_stops_the_server_at_start() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shopgap"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("SHOPGAP_ATTACHMENTS_URL", "s3://evidence")
        .env("SHOPGAP_S3_ENDPOINT", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "k")
        .env("AWS_SECRET_ACCESS_KEY", "s")
        .env("SHOPGAP_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the server must not start");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("evidence storage is not usable"),
        "stderr: {stderr}"
    );
}

#[actix_web::test]
async fn import_reads_exported_documents() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let created = app
        .post(
            "/v1/standards-books",
            Some(token),
            serde_json::json!({"name": "Book", "standards": [{"code": "S1", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]}),
        )
        .await
        .expect(201)
        .body;
    let book_id = created["book_id"].as_str().unwrap();
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
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), yaml.body.as_str().unwrap()).unwrap();

    let out = shopgap(
        &app,
        &[
            "import",
            "--org-id",
            &org.id,
            "--publish",
            file.path().to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(published) Book"));
    let books = app
        .get("/v1/standards-books", Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(books["items"].as_array().unwrap().len(), 2);

    // A document with problems is refused with every field named, and nothing is created.
    std::fs::write(file.path(), "format: shopgap.standards_book/v1\nname: ''\nprinciples: []\nstandards: []\nprotocols: []\n").unwrap();
    let out = shopgap(
        &app,
        &[
            "import",
            "--org-id",
            &org.id,
            "--publish",
            file.path().to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("name: must not be empty"), "{stderr}");
    let books = app
        .get("/v1/standards-books", Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(books["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn rebuild_rollups_runs_against_the_database() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let out = shopgap(&app, &["rebuild-rollups", "--org-id", &org.id]);
    assert!(
        out.status.success(),
        "{:?}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rebuilt from 0 approved visits"));
    let all = shopgap(&app, &["rebuild-rollups"]);
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
}

/// The report rows that do not depend on generated ids.
async fn gap_figures(app: &TestApp, token: &str) -> Vec<(String, i64, String)> {
    let report = app
        .get("/v1/reports/gaps?group_by=standard", Some(token))
        .await
        .expect(200)
        .body;
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["standard"].as_str().unwrap().to_string(),
                r["n"].as_i64().unwrap(),
                format!("{:.9}", r["delivered"].as_f64().unwrap()),
            )
        })
        .collect()
}

/// Approved visits counted by the ranking (every visit counts at its location).
async fn approved_visits(app: &TestApp, token: &str) -> i64 {
    let ranking = app
        .get("/v1/reports/ranking", Some(token))
        .await
        .expect(200)
        .body;
    ranking["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["n"].as_i64().unwrap())
        .sum()
}

/// `serve --demo` on an empty database: the organization gets a history whose reports show
/// real gaps at once, and a review queue to work.
#[actix_web::test]
async fn the_first_demo_start_shows_real_gaps_and_a_review_queue() {
    let app = TestApp::spawn().await;
    let credentials = shopgap::demo::ensure_demo(&mut app.pool.get().unwrap()).unwrap();
    let summary = shopgap::demo::first_start(&app.pool)
        .unwrap()
        .expect("the first start fills the organization");
    let plan = shopgap::demo::first_start_plan();
    assert_eq!(summary.locations, plan.locations);
    assert_eq!(summary.visits, plan.visits);
    assert!(summary.corrective_actions >= 3 && summary.self_assessments >= 12);
    // A later start leaves the data alone.
    assert!(shopgap::demo::first_start(&app.pool).unwrap().is_none());
    let manager = app
        .login("manager@demo-motors.example.com", &credentials[1].password)
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let token = Some(manager.as_str());

    // The heatmap's data over the dashboard's default 90 days: every location, significant
    // shortfalls; over the last 30 days, cells still too thin to rely on. (How many cells of
    // the 90 days are thin depends on the draw, which depends on the time of day.)
    let mut since = Vec::new();
    for days in [90, 30] {
        let from = chrono::Utc::now().date_naive() - chrono::Days::new(days);
        let path = format!("/v1/reports/gaps?group_by=standard,location&from={from}");
        since.push(app.get(&path, token).await.expect(200).body);
    }
    let (cells, month) = (&since[0], &since[1]);
    let rows = cells["rows"].as_array().unwrap();
    let located: std::collections::HashSet<&str> = rows
        .iter()
        .map(|r| r["location_id"].as_str().unwrap())
        .collect();
    assert_eq!(located.len(), plan.locations);
    let significant = rows
        .iter()
        .filter(|r| r["significant"] == true && r["gap"].as_f64() > Some(0.0))
        .count();
    let unreliable = month["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reliable"] == false)
        .count();
    assert!(significant >= 5, "{significant} significant shortfalls");
    assert!(unreliable >= 5, "{unreliable} unreliable cells");

    // The review queue: the latest 12 visits are not approved. Seven wait for review and two
    // more after a return and a correction; three are back with their shoppers. Of those
    // waiting, two carry a flag on purpose (checked in far away, a short visit).
    let waiting = app
        .get("/v1/submissions?status=submitted&limit=200", token)
        .await
        .expect(200)
        .body;
    let waiting = waiting["items"].as_array().unwrap();
    assert_eq!(waiting.len(), 9);
    let kinds: std::collections::BTreeSet<&str> = waiting
        .iter()
        .flat_map(|s| s["flags"].as_array().unwrap())
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains("outside_geofence") && kinds.contains("short_visit"),
        "{kinds:?}"
    );
    let returned = app
        .get("/v1/submissions?status=returned&limit=200", token)
        .await
        .expect(200)
        .body;
    let returned = returned["items"].as_array().unwrap();
    assert_eq!(returned.len(), 3);
    assert!(returned
        .iter()
        .all(|s| s["review"]["item_comments"].as_object().unwrap().len() == 1));

    // Managers believe more than was delivered; the trend carries its intervals.
    let beliefs = app
        .get("/v1/reports/self-assessment", token)
        .await
        .expect(200)
        .body;
    assert!(
        beliefs["mean_self_gap"].as_f64().unwrap() > 0.0,
        "{beliefs}"
    );
    let trend = app
        .get("/v1/reports/trend?grain=month", token)
        .await
        .expect(200)
        .body;
    let filled: Vec<&Value> = trend["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["n"].as_i64() > Some(0))
        .collect();
    assert!(filled.len() >= 6);
    for p in filled {
        let (lo, mid, hi) = (
            p["ci_low"].as_f64().unwrap(),
            p["delivered"].as_f64().unwrap(),
            p["ci_high"].as_f64().unwrap(),
        );
        assert!(lo < mid && mid < hi, "{p}");
    }
}

#[actix_web::test]
async fn demo_data_fills_the_demo_organization_reproducibly() {
    let args = [
        "demo-data",
        "--locations",
        "4",
        "--shoppers",
        "50",
        "--visits",
        "60",
        "--days",
        "60",
        "--seed",
        "11",
    ];
    let mut figures = Vec::new();
    let mut apps = Vec::new();
    for _ in 0..2 {
        let app = TestApp::spawn().await;
        let out = shopgap(&app, &args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("60 approved visits at 4 locations by 50 shoppers"));
        assert!(stdout.contains("60 customer survey responses and"));
        let password = printed_password(&stdout, "manager@demo-motors.example.com");
        let manager = app
            .login("manager@demo-motors.example.com", &password)
            .await
            .expect(200)
            .body["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        figures.push(gap_figures(&app, &manager).await);
        apps.push((app, manager));
    }
    // The same seed gave the same history; every visit counts on the standards it answers.
    assert_eq!(figures[0], figures[1]);
    assert_eq!(figures[0].len(), 12, "the twelve in-person standards");
    let (app, manager) = &apps[0];
    // Service recovery in the history: actions on the largest gaps, training, and verifying
    // re-shops (approved visits beside the 60), each decided by its re-shop.
    let actions = app
        .get("/v1/corrective-actions?limit=200", Some(manager))
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(actions.len() >= 3, "{actions:?}");
    let reshops: Vec<&Value> = actions
        .iter()
        .flat_map(|a| a["reshops"].as_array().unwrap())
        .filter(|r| r["state"] == "approved")
        .collect();
    assert!(!reshops.is_empty());
    assert!(actions
        .iter()
        .any(|a| a["effect"]["after"]["n"].as_i64() > Some(0)));
    assert!(actions
        .iter()
        .filter(|a| a["round"] == 1)
        .all(|a| a["status"] == "verified" || a["status"] == "not_verified"));
    let visits = approved_visits(app, manager).await;
    assert_eq!(visits, 60 + reshops.len() as i64);
    assert!(figures[0].iter().all(|(_, n, _)| *n > 0 && *n <= visits));
    // Shoppers can sign in; the visits are theirs, approved, scored, one per assignment.
    let shopper = app
        .login(
            "shopper-0001@generated.demo-motors.example.com",
            shopgap::demo::generator::SHOPPER_PASSWORD,
        )
        .await
        .expect(200);
    assert!(shopper.body["access_token"].is_string());
    let queue = app
        .get("/v1/submissions?status=approved", Some(manager))
        .await
        .expect(200)
        .body;
    let first = &queue["items"][0];
    assert_eq!(first["status"], "approved");
    assert!(first["scores"]["visit_score"].is_number());
    assert!(first["content"]["answers"].as_object().unwrap().len() >= 30);

    // Customer and management answers sit beside the visits: in the ladder, managers underrate
    // how much customers expect complete information (a knowledge gap, gap 1 > 0), and the
    // same seed gave the same answers.
    let mut ladders = Vec::new();
    for (app, manager) in &apps {
        ladders.push(
            app.get("/v1/reports/five-gaps", Some(manager))
                .await
                .expect(200)
                .body,
        );
    }
    assert_eq!(ladders[0], ladders[1]);
    let info = ladders[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["standard"] == "INFO-01")
        .unwrap();
    assert!(info["customer_expectation"]["n"].as_i64().unwrap() > 30);
    assert!(info["gap1_knowledge"]["value"].as_f64().unwrap() > 0.2);
    assert!(info["gap3_delivery"]["value"].is_number());
    assert!(info["gap4_communication"]["value"].is_number());
    assert!(ladders[0]["channel_preferences"].as_array().unwrap().len() >= 3);

    // The roll-ups written on approval equal a rebuild.
    let out = shopgap(app, &["rebuild-rollups"]);
    assert!(out.status.success());
    assert_eq!(gap_figures(app, manager).await, figures[0]);

    // A second run adds to the history, keeping the cooldown against the first run's shops.
    let more = shopgap(
        app,
        &[
            "demo-data",
            "--locations",
            "4",
            "--shoppers",
            "60",
            "--visits",
            "20",
            "--days",
            "60",
            "--seed",
            "12",
        ],
    );
    assert!(
        more.status.success(),
        "{}",
        String::from_utf8_lossy(&more.stderr)
    );
    // (Its organization has actions already: no second round of them.)
    let visits = approved_visits(app, manager).await;
    assert_eq!(visits, 80 + reshops.len() as i64);

    // A plan the cooldown cannot hold is refused before anything is written, with the reason.
    let refused = shopgap(
        app,
        &[
            "demo-data",
            "--locations",
            "2",
            "--shoppers",
            "3",
            "--visits",
            "500",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("need at least"), "{stderr}");
}
