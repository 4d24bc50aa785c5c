//! Shopper profiles and exclusions, as a manager and as the shopper on their phone.

mod common;

use common::TestApp;
use reqwest::Method;
use serde_json::json;

async fn location(app: &TestApp, token: &str, code: &str) -> String {
    let body = json!({"code": code, "name": format!("Branch {code}"), "region": "North", "segment": "b2c",
                      "latitude": 52.5, "longitude": 13.4, "time_zone": "Europe/Berlin", "channels": ["in_person"]});
    app.post("/v1/locations", Some(token), body)
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn managers_and_shoppers_keep_the_profile() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let manager = org.manager.access_token.as_str();
    let shopper = org.shopper.access_token.as_str();
    let path = format!("/v1/shoppers/{}/profile", org.shopper.id);

    let empty = app.get(&path, Some(manager)).await.expect(200);
    assert_eq!(empty.header("etag").as_deref(), Some("\"0\""));
    assert_eq!(empty.body["languages"], json!([]));

    let mine = app
        .call(Method::PUT, "/v1/me/profile", Some(shopper), Some(json!({"home_region": "North", "languages": ["de", "en-GB"], "segments": ["b2b", "b2c", "b2b"]})))
        .await
        .expect(200);
    assert_eq!(mine.body["segments"], json!(["b2b", "b2c"]));
    assert_eq!(mine.header("etag").as_deref(), Some("\"1\""));
    let seen = app.get(&path, Some(manager)).await.expect(200).body;
    assert_eq!(seen["home_region"], "North");
    assert_eq!(seen["languages"], json!(["de", "en-GB"]));

    // Two writers: the stale one is refused.
    let stale = app
        .client
        .put(format!("{}{path}", app.base))
        .bearer_auth(manager)
        .header("If-Match", "\"0\"")
        .json(&json!({"languages": ["fr"]}));
    app.send(stale).await.expect_problem(412);
    let fresh = app
        .client
        .put(format!("{}{path}", app.base))
        .bearer_auth(manager)
        .header("If-Match", "\"1\"")
        .json(&json!({"home_region": "South", "languages": ["fr"]}));
    assert_eq!(app.send(fresh).await.expect(200).body["version"], 2);

    let invalid = app
        .call(
            Method::PUT,
            "/v1/me/profile",
            Some(shopper),
            Some(json!({"home_region": "", "languages": ["english!"], "segments": ["vip"]})),
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
    assert_eq!(fields, ["home_region", "languages[0]", "segments[0]"]);
    let invalid = app
        .call(
            Method::PUT,
            "/v1/me/profile",
            Some(shopper),
            Some(json!({"home_region": "", "languages": ["english!"]})),
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
    assert_eq!(fields, ["home_region", "languages[0]"]);

    // Only shoppers have profiles; a manager's id is no shopper.
    app.get(
        &format!("/v1/shoppers/{}/profile", org.manager.id),
        Some(manager),
    )
    .await
    .expect_problem(404);
    app.get("/v1/me/profile", Some(manager))
        .await
        .expect_problem(403);
}

#[actix_web::test]
async fn exclusions_are_declared_by_shoppers_and_lifted_only_by_managers() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Other").await;
    let manager = org.manager.access_token.as_str();
    let shopper = org.shopper.access_token.as_str();
    let berlin = location(&app, manager, "BER-01").await;
    let hamburg = location(&app, manager, "HAM-01").await;
    let foreign = location(&app, &other.manager.access_token, "FOR-01").await;

    let declared = app
        .post(
            "/v1/me/exclusions",
            Some(shopper),
            json!({"location_code": "BER-01", "reason": "my cousin works there"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(declared["exclusions"][0]["location_id"], berlin);
    assert_eq!(declared["exclusions"][0]["created_by"], org.shopper.id);
    // Declaring again changes nothing.
    let again = app
        .post(
            "/v1/me/exclusions",
            Some(shopper),
            json!({"location_id": berlin}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(again["exclusions"].as_array().unwrap().len(), 1);
    assert_eq!(again["exclusions"][0]["reason"], "my cousin works there");

    let path = format!("/v1/shoppers/{}/exclusions", org.shopper.id);
    let added = app
        .post(
            &path,
            Some(manager),
            json!({"location_id": hamburg, "reason": "regular customer"}),
        )
        .await
        .expect(201)
        .body;
    let codes: Vec<&str> = added["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["location_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["BER-01", "HAM-01"]);

    // Locations of another organization, unknown codes and ambiguous bodies are refused.
    app.post(&path, Some(manager), json!({"location_id": foreign}))
        .await
        .expect_problem(422);
    app.post(
        "/v1/me/exclusions",
        Some(shopper),
        json!({"location_code": "FOR-01"}),
    )
    .await
    .expect_problem(422);
    app.post(
        &path,
        Some(manager),
        json!({"location_id": berlin, "location_code": "BER-01"}),
    )
    .await
    .expect_problem(422);
    app.post(&path, Some(manager), json!({}))
        .await
        .expect_problem(422);

    // The shopper cannot lift an exclusion; a manager can.
    app.delete(&format!("{path}/{berlin}"), Some(shopper))
        .await
        .expect_problem(403);
    app.delete(&format!("{path}/{berlin}"), Some(manager))
        .await
        .expect(204);
    let after = app
        .get("/v1/me/profile", Some(shopper))
        .await
        .expect(200)
        .body;
    let codes: Vec<&str> = after["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["location_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["HAM-01"]);
}
