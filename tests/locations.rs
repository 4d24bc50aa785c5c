//! Locations over HTTP: create, filter, update with If-Match, and CSV import.

mod common;

use common::TestApp;
use serde_json::{json, Value};

fn location(code: &str, region: &str, channels: Value) -> Value {
    json!({"code": code, "name": format!("Branch {code}"), "region": region, "segment": "b2c",
           "address": "Main Street 1", "latitude": 52.52, "longitude": 13.40,
           "time_zone": "Europe/Berlin", "channels": channels})
}

fn items(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap().to_string())
        .collect()
}

async fn send_csv(app: &TestApp, token: &str, query: &str, text: &str) -> common::Resp {
    app.send(
        app.client
            .post(format!("{}/v1/locations/import{query}", app.base))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(text.to_string()),
    )
    .await
}

#[actix_web::test]
async fn locations_are_created_filtered_and_updated() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = Some(org.manager.access_token.as_str());

    let created = app
        .post(
            "/v1/locations",
            token,
            location("BER-01", "East", json!(["in_person", "phone"])),
        )
        .await
        .expect(201);
    assert_eq!(
        created.body["geofence_radius_m"], 150,
        "defaults to the organization's radius"
    );
    assert_eq!(created.body["active"], true);
    let id = created.body["id"].as_str().unwrap().to_string();
    app.post(
        "/v1/locations",
        token,
        location("HAM-01", "North", json!(["in_person"])),
    )
    .await
    .expect(201);
    let mut b2b = location("MUC-01", "South", json!(["phone", "email"]));
    b2b["segment"] = json!("b2b");
    b2b["geofence_radius_m"] = json!(300);
    b2b["name"] = json!("Munich 100% Business");
    app.post("/v1/locations", token, b2b).await.expect(201);
    app.post(
        "/v1/locations",
        token,
        location("BER-01", "East", json!(["in_person"])),
    )
    .await
    .expect_problem(409);

    assert_eq!(
        items(&app.get("/v1/locations", token).await.expect(200).body),
        ["BER-01", "HAM-01", "MUC-01"]
    );
    assert_eq!(
        items(&app.get("/v1/locations?region=North", token).await.body),
        ["HAM-01"]
    );
    assert_eq!(
        items(&app.get("/v1/locations?segment=b2b", token).await.body),
        ["MUC-01"]
    );
    assert_eq!(
        items(&app.get("/v1/locations?channel=phone", token).await.body),
        ["BER-01", "MUC-01"]
    );
    assert_eq!(
        items(&app.get("/v1/locations?q=ham", token).await.body),
        ["HAM-01"]
    );
    assert_eq!(
        items(&app.get("/v1/locations?q=100%25", token).await.body),
        ["MUC-01"],
        "% is literal"
    );
    assert_eq!(
        items(&app.get("/v1/locations?q=MAIN%20street", token).await.body).len(),
        3
    );
    // A value outside a filter's enumeration is named (422), like every broken parameter.
    let unknown = app
        .get("/v1/locations?channel=fax", token)
        .await
        .expect_problem(422);
    assert_eq!(unknown.body["errors"][0]["field"], "channel");

    let path = format!("/v1/locations/{id}");
    let etag = app
        .get(&path, token)
        .await
        .expect(200)
        .header("etag")
        .unwrap();
    let patch = |tag: &str, body: Value| {
        app.client
            .patch(format!("{}{path}", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", tag)
            .json(&body)
    };
    let updated = app
        .send(patch(
            &etag,
            json!({"active": false, "geofence_radius_m": 80}),
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(updated["active"], false);
    assert_eq!(updated["geofence_radius_m"], 80);
    assert_eq!(updated["name"], "Branch BER-01");
    app.send(patch(&etag, json!({"name": "Lost"})))
        .await
        .expect_problem(412);
    assert_eq!(
        items(&app.get("/v1/locations?active=false", token).await.body),
        ["BER-01"]
    );
    app.patch(&path, token, json!({"code": "HAM-01"}))
        .await
        .expect_problem(409);
    let invalid = app
        .patch(
            &path,
            token,
            json!({"latitude": 100, "time_zone": "Nowhere/City", "channels": []}),
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
    // What breaks the contract first, every field of it; then the rule it cannot state.
    assert_eq!(fields, ["channels", "latitude"]);
    let zone = app
        .patch(&path, token, json!({"time_zone": "Nowhere/City"}))
        .await
        .expect_problem(422)
        .body;
    assert_eq!(zone["errors"][0]["field"], "time_zone");
}

#[actix_web::test]
async fn invalid_locations_list_every_problem() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let bad = json!({"code": "has space", "name": "", "region": "East", "segment": "b2c", "latitude": -91, "longitude": 200,
                     "geofence_radius_m": 5, "time_zone": "Europe/Atlantis", "channels": ["phone", "phone"]});
    let problem = app
        .post("/v1/locations", Some(&org.admin.access_token), bad)
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
        [
            "channels",
            "code",
            "geofence_radius_m",
            "latitude",
            "longitude",
            "name"
        ]
    );
    let messages: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "must not repeat a value",
            "may hold only letters, digits, '-', '_' and '.'",
            "must be at least 10",
            "must be at least -90",
            "must be at most 180",
            "must not be empty"
        ]
    );
    // Once the body fits the contract, the rule it cannot state: a known time zone.
    let mut fixed = json!({"code": "BER-01", "name": "Berlin", "region": "East", "segment": "b2c", "latitude": 52.5, "longitude": 13.4,
                     "time_zone": "Europe/Atlantis", "channels": ["phone"]});
    let zone = app
        .post(
            "/v1/locations",
            Some(&org.admin.access_token),
            fixed.clone(),
        )
        .await
        .expect_problem(422)
        .body;
    assert_eq!(zone["errors"][0]["field"], "time_zone");
    fixed["time_zone"] = json!("Europe/Berlin");
    app.post("/v1/locations", Some(&org.admin.access_token), fixed)
        .await
        .expect(201);
}

const HEADER: &str = "code,name,region,segment,address,latitude,longitude,time_zone,channels,geofence_radius_m,active\n";

#[actix_web::test]
async fn csv_imports_all_or_nothing_unless_partial() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    app.post(
        "/v1/locations",
        Some(token),
        location("OLD-01", "East", json!(["phone"])),
    )
    .await
    .expect(201);
    let text = format!(
        "{HEADER}\
         A-01,Alpha,North,b2c,\"Street 1, Town\",52.1,13.1,Europe/Berlin,in_person;phone,,true\n\
         B-01,Beta,North,b2b,,52.2,13.2,Europe/Berlin,phone,250,false\n\
         C-01,Gamma,North,b2c,,95,13.3,Europe/Berlin,phone,,\n\
         OLD-01,Old,East,b2c,,52.0,13.0,Europe/Berlin,phone,,\n"
    );
    let refused = send_csv(&app, token, "", &text)
        .await
        .expect_problem(422)
        .body;
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rows[3].latitude", "rows[4].code"]);
    assert_eq!(
        items(&app.get("/v1/locations", Some(token)).await.body),
        ["OLD-01"],
        "nothing imported"
    );

    let report = send_csv(&app, token, "?partial=true", &text)
        .await
        .expect(201)
        .body;
    assert_eq!(report["created"], 2);
    assert_eq!(report["errors"].as_array().unwrap().len(), 2);
    let all = app.get("/v1/locations", Some(token)).await.body;
    assert_eq!(items(&all), ["OLD-01", "A-01", "B-01"]);
    let beta = &all["items"][2];
    assert_eq!(
        (
            beta["segment"].as_str(),
            beta["geofence_radius_m"].as_i64(),
            beta["active"].as_bool()
        ),
        (Some("b2b"), Some(250), Some(false))
    );
    assert_eq!(all["items"][1]["address"], "Street 1, Town");

    // A broken header fails the whole file; the wrong content type is 415.
    let problem = send_csv(&app, token, "", "code,name\nX,Y\n")
        .await
        .expect_problem(422)
        .body;
    assert_eq!(problem["errors"][0]["field"], "header");
    app.post("/v1/locations/import", Some(token), json!({"code": "X"}))
        .await
        .expect_problem(415);
}

#[actix_web::test]
async fn a_thousand_locations_import_in_one_request() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let mut text = HEADER.to_string();
    for i in 0..1000 {
        text.push_str(&format!(
            "L-{i:04},Branch {i},R{},b2c,,{},{},Europe/Berlin,in_person,,\n",
            i % 7,
            48.0 + i as f64 / 1000.0,
            11.0
        ));
    }
    let report = send_csv(&app, &org.manager.access_token, "", &text)
        .await
        .expect(201)
        .body;
    assert_eq!(report["created"], 1000);
    let page = app
        .get(
            "/v1/locations?region=R3&limit=200",
            Some(&org.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(page["items"].as_array().unwrap().len(), 143);
}
