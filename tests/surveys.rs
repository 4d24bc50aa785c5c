//! Survey instruments over HTTP (PRODUCT.md section 8): a customer questionnaire in English and
//! Arabic and a management one, drafted, checked, published, re-versioned, exported and
//! imported on the same versioned-document layer as standards books and checklists.

mod common;

use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

fn book() -> Value {
    json!({
        "name": "Service book",
        "standards": [
            {"code": "GRT-01", "text": "Greet every visitor", "dimension": "responsiveness", "channels": ["in_person"], "target": 0.95},
            {"code": "INF-01", "text": "Explain every fee", "dimension": "assurance", "channels": ["in_person", "phone"], "target": 0.9},
        ],
    })
}

async fn published_book(app: &TestApp, token: &str) -> String {
    let created = app
        .post("/v1/standards-books", Some(token), book())
        .await
        .expect(201)
        .body;
    let id = created["book_id"].as_str().unwrap();
    app.post(
        &format!("/v1/standards-books/{id}/draft/publish"),
        Some(token),
        json!({}),
    )
    .await
    .expect(200)
    .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A customer instrument in English and Arabic; `complete` leaves out the Arabic perception
/// prompt of the second item when false.
fn customer(book_version_id: &str, complete: bool) -> Value {
    let mut info_perception = json!({"en": "The fees were explained to me"});
    if complete {
        info_perception["ar"] = json!("تم شرح الرسوم لي");
    }
    json!({
        "name": "After your visit",
        "audience": "customer",
        "standards_book_version_id": book_version_id,
        "languages": ["en", "ar"],
        "scale": {"min": 1, "max": 7},
        "title": {"en": "How did we do?", "ar": "كيف كان أداؤنا؟"},
        "items": [
            {"key": "greet", "standard": "GRT-01",
             "expectation_prompt": {"en": "Excellent banks greet you at once", "ar": "البنوك الممتازة ترحب بك فورا"},
             "perception_prompt": {"en": "I was greeted at once", "ar": "تم الترحيب بي فورا"}},
            {"key": "fees", "standard": "INF-01",
             "expectation_prompt": {"en": "Excellent banks explain every fee", "ar": "البنوك الممتازة تشرح كل رسوم"},
             "perception_prompt": info_perception},
            {"key": "modern", "dimension": "tangibles",
             "expectation_prompt": {"en": "Excellent banks have modern equipment", "ar": "البنوك الممتازة لديها معدات حديثة"},
             "perception_prompt": {"en": "The equipment was modern", "ar": "كانت المعدات حديثة"}},
        ],
        "importance_prompt": {"en": "Split 100 points over what matters", "ar": "وزع 100 نقطة على ما يهمك"},
        "channel_question": {"prompt": {"en": "How do you prefer to reach us?", "ar": "كيف تفضل التواصل معنا؟"},
                             "channels": ["in_person", "phone", "chat", "email"]},
    })
}

#[actix_web::test]
async fn a_customer_instrument_is_drafted_checked_published_and_versioned() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let book_version = published_book(&app, token).await;

    // An incomplete draft is kept, with what publishing would refuse.
    let draft = app
        .post(
            "/v1/survey-instruments",
            Some(token),
            customer(&book_version, false),
        )
        .await
        .expect(201);
    assert_eq!(draft.header("etag").as_deref(), Some("\"1\""));
    let id = draft.body["instrument_id"].as_str().unwrap().to_string();
    assert_eq!(
        draft.header("location").unwrap(),
        format!("/v1/survey-instruments/{id}/versions/1")
    );
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["audience"], "customer");
    assert_eq!(
        draft.body["text_directions"],
        json!({"ar": "rtl", "en": "ltr"})
    );
    assert_eq!(
        draft.body["problems"],
        json!([{"field": "items[1].perception_prompt", "message": "needs a text in ar"}])
    );
    let refused = app
        .post(
            &format!("/v1/survey-instruments/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect_problem(422);
    assert_eq!(refused.body["errors"], draft.body["problems"]);

    // A stale edit is refused; the current one completes the draft, which then publishes.
    let stale = app
        .send(
            app.client
                .put(format!("{}/v1/survey-instruments/{id}/draft", app.base))
                .bearer_auth(token)
                .header("If-Match", "\"7\"")
                .json(&customer(&book_version, true)),
        )
        .await;
    stale.expect_problem(412);
    let fixed = app
        .send(
            app.client
                .put(format!("{}/v1/survey-instruments/{id}/draft", app.base))
                .bearer_auth(token)
                .header("If-Match", "\"1\"")
                .json(&customer(&book_version, true)),
        )
        .await
        .expect(200);
    assert_eq!(fixed.body["revision"], 2);
    assert_eq!(fixed.body["problems"], json!([]));
    let published = app
        .post(
            &format!("/v1/survey-instruments/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(published["status"], "published");
    assert_eq!(
        published["items"][1]["perception_prompt"]["ar"],
        "تم شرح الرسوم لي"
    );
    assert_eq!(published["scale"], json!({"min": 1, "max": 7}));

    // Editing after publication starts version 2; version 1 stays as published.
    let mut changed = customer(&book_version, true);
    changed["title"]["en"] = json!("Tell us about your visit");
    let second = app
        .call(
            Method::PUT,
            &format!("/v1/survey-instruments/{id}/draft"),
            Some(token),
            Some(changed),
        )
        .await
        .expect(201);
    assert_eq!(second.body["version"], 2);
    assert_eq!(second.body["status"], "draft");
    let first = app
        .get(
            &format!("/v1/survey-instruments/{id}/versions/1"),
            Some(token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(first["title"]["en"], "How did we do?");
    assert_eq!(first["status"], "published");

    let listed = app
        .get("/v1/survey-instruments", Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"][0]["name"], "After your visit");
    let versions = &listed["items"][0]["versions"];
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["status"], "draft");
    assert_eq!(versions[1]["status"], "published");
    assert_eq!(versions[1]["audience"], "customer");

    // Shoppers see none of it; another organization's manager gets 404.
    app.get("/v1/survey-instruments", Some(&org.shopper.access_token))
        .await
        .expect_problem(403);
    let rival = app.seed_org("Rival").await;
    app.get(
        &format!("/v1/survey-instruments/{id}"),
        Some(&rival.manager.access_token),
    )
    .await
    .expect_problem(404);
}

#[actix_web::test]
async fn instruments_refuse_what_cannot_be_measured() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let book_version = published_book(&app, token).await;

    // A scale without room between its bounds is refused even as a draft.
    let mut flat = customer(&book_version, true);
    flat["scale"] = json!({"min": 5, "max": 5});
    let refused = app
        .post("/v1/survey-instruments", Some(token), flat)
        .await
        .expect_problem(422);
    assert_eq!(refused.body["errors"][0]["field"], "scale.max");

    // A language tag that is not one is refused by the contract.
    let mut bad_language = customer(&book_version, true);
    bad_language["title"]["not a tag"] = json!("x");
    app.post("/v1/survey-instruments", Some(token), bad_language)
        .await
        .expect_problem(422);

    // Another organization's book cannot be pinned.
    let rival = app.seed_org("Rival").await;
    let refused = app
        .post(
            "/v1/survey-instruments",
            Some(&rival.manager.access_token),
            customer(&book_version, true),
        )
        .await
        .expect_problem(422);
    assert_eq!(
        refused.body["errors"][0]["field"],
        "standards_book_version_id"
    );

    // A management item asks only the expectation; an unknown standard and an item without a
    // link are named, all at once.
    let mut management = customer(&book_version, true);
    management["audience"] = json!("management");
    management["items"][0]["standard"] = json!("NOPE-01");
    management["items"][1]
        .as_object_mut()
        .unwrap()
        .remove("standard");
    let draft = app
        .post("/v1/survey-instruments", Some(token), management)
        .await
        .expect(201)
        .body;
    let fields: Vec<&str> = draft["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "items[0].standard",
            "items[0].perception_prompt",
            "items[1].standard",
            "items[1].perception_prompt",
            "items[2].perception_prompt",
        ]
    );
}

#[actix_web::test]
async fn instruments_move_between_organizations_as_documents() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let book_version = published_book(&app, token).await;
    let created = app
        .post(
            "/v1/survey-instruments/import?publish=true",
            Some(token),
            json!({}),
        )
        .await;
    created.expect_problem(422);
    let mut management = customer(&book_version, true);
    management["audience"] = json!("management");
    for item in management["items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("perception_prompt");
    }
    let created = app
        .post("/v1/survey-instruments", Some(token), management)
        .await
        .expect(201)
        .body;
    let id = created["instrument_id"].as_str().unwrap();
    app.post(
        &format!("/v1/survey-instruments/{id}/draft/publish"),
        Some(token),
        json!({}),
    )
    .await
    .expect(200);

    let yaml = app
        .get_text(
            &format!("/v1/survey-instruments/{id}/versions/1/export.yaml"),
            token,
        )
        .await;
    assert!(yaml.contains("format: shopgap.survey_instrument/v1"));
    assert!(yaml.contains("audience: management"));
    let json_doc = app
        .get(
            &format!("/v1/survey-instruments/{id}/versions/1/export"),
            Some(token),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(json_doc["standards_book"]["standards"][1]["code"], "INF-01");

    // Into another organization, as YAML and then as JSON: the book is published once and
    // reused the second time.
    let rival = app.seed_org("Rival").await;
    let theirs = rival.manager.access_token.as_str();
    let imported = app
        .send(
            app.client
                .post(format!(
                    "{}/v1/survey-instruments/import?publish=true",
                    app.base
                ))
                .bearer_auth(theirs)
                .header("content-type", "application/yaml")
                .body(yaml),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(imported["status"], "published");
    assert_eq!(imported["audience"], "management");
    assert_eq!(imported["items"], created["items"]);
    assert_eq!(imported["title"], created["title"]);
    let again = app
        .post("/v1/survey-instruments/import", Some(theirs), json_doc)
        .await
        .expect(201)
        .body;
    assert_eq!(again["status"], "draft");
    assert_eq!(
        again["standards_book_version_id"],
        imported["standards_book_version_id"]
    );
    assert_ne!(again["instrument_id"], imported["instrument_id"]);
}

#[actix_web::test]
async fn promises_are_recorded_against_known_standards_and_replaced_with_care() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    published_book(&app, token).await;

    let promise = |standard: &str, from: &str, to: Option<&str>, level: f64| {
        json!({"standard": standard, "text": "We greet you the moment you walk in",
               "source": "advertisement", "channels": ["in_person"],
               "valid_from": from, "valid_to": to, "promised_level": level})
    };
    let refused = app
        .post(
            "/v1/promises",
            Some(token),
            promise("NOPE-01", "2026-03-01", Some("2026-02-01"), 1.0),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["standard", "valid_to"]);
    app.post(
        "/v1/promises",
        Some(token),
        promise("GRT-01", "2026-01-01", None, 1.5),
    )
    .await
    .expect_problem(422);

    let created = app
        .post(
            "/v1/promises",
            Some(token),
            promise("GRT-01", "2026-01-01", Some("2026-06-30"), 1.0),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.header("location").unwrap(),
        format!("/v1/promises/{id}")
    );
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(created.body["source"], "advertisement");
    let mut later = promise("INF-01", "2026-07-01", None, 0.9);
    later["source"] = json!("web_site");
    later["channels"] = json!(["phone", "in_person"]);
    app.post("/v1/promises", Some(token), later)
        .await
        .expect(201);

    let on = |day: &str| format!("/v1/promises?valid_on={day}");
    let spring = app
        .get(&on("2026-04-01"), Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(spring["items"].as_array().unwrap().len(), 1);
    assert_eq!(spring["items"][0]["standard"], "GRT-01");
    let autumn = app
        .get(&on("2026-10-01"), Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(autumn["items"][0]["standard"], "INF-01");
    assert_eq!(autumn["items"][0]["valid_to"], Value::Null);
    let by_standard = app
        .get("/v1/promises?standard=INF-01&limit=1", Some(token))
        .await
        .expect(200)
        .body;
    assert_eq!(by_standard["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_standard["next_cursor"], Value::Null);
    let first_page = app
        .get("/v1/promises?limit=1", Some(token))
        .await
        .expect(200)
        .body;
    let cursor = first_page["next_cursor"].as_str().unwrap();
    let second_page = app
        .get(
            &format!("/v1/promises?limit=1&cursor={cursor}"),
            Some(token),
        )
        .await
        .expect(200)
        .body;
    assert_ne!(first_page["items"][0]["id"], second_page["items"][0]["id"]);

    // A replacement based on a stale revision is refused; the current one goes through.
    let path = format!("/v1/promises/{id}");
    let stale = app
        .send(
            app.client
                .put(format!("{}{path}", app.base))
                .bearer_auth(token)
                .header("If-Match", "\"5\"")
                .json(&promise("GRT-01", "2026-01-01", Some("2026-03-31"), 0.95)),
        )
        .await;
    stale.expect_problem(412);
    let replaced = app
        .send(
            app.client
                .put(format!("{}{path}", app.base))
                .bearer_auth(token)
                .header("If-Match", "\"1\"")
                .json(&promise("GRT-01", "2026-01-01", Some("2026-03-31"), 0.95)),
        )
        .await
        .expect(200);
    assert_eq!(replaced.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(replaced.body["promised_level"], 0.95);
    assert_eq!(replaced.body["valid_to"], "2026-03-31");

    // Integrators read promises with `surveys:read`; shoppers never see them.
    let key = app.api_key(&org, &["surveys:read"]).await;
    app.get(&path, Some(&key)).await.expect(200);
    app.get(&path, Some(&org.shopper.access_token))
        .await
        .expect_problem(403);

    app.delete(&path, Some(token)).await.expect(204);
    app.get(&path, Some(token)).await.expect_problem(404);
}

/// A published customer instrument and a location: (instrument version id, location id).
async fn customer_survey_at_a_location(app: &TestApp, token: &str) -> (String, String) {
    let book_version = published_book(app, token).await;
    let id = app
        .post(
            "/v1/survey-instruments",
            Some(token),
            customer(&book_version, true),
        )
        .await
        .expect(201)
        .body["instrument_id"]
        .as_str()
        .unwrap()
        .to_string();
    let version = app
        .post(
            &format!("/v1/survey-instruments/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect(200)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let location = app
        .post("/v1/locations", Some(token), json!({"code": "L1", "name": "Branch", "region": "North", "segment": "b2b",
            "latitude": 33.3, "longitude": 44.4, "time_zone": "Asia/Baghdad", "channels": ["in_person"]}))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    (version, location)
}

fn answers(response_id: &str) -> Value {
    json!({"response_id": response_id, "language": "ar",
           "ratings": [{"item": "greet", "expectation": 7, "perception": 5},
                       {"item": "fees", "expectation": 6, "perception": 2}]})
}

#[actix_web::test]
async fn invitation_codes_are_kept_hashed_and_spent_once() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let (version, location) = customer_survey_at_a_location(&app, token).await;
    let codes = ["INV-7F3K-99QA", "INV-2B8D-41XZ", "INV-5C1M-77PE"];
    let import = |codes: Vec<&str>| json!({"instrument_version_id": version, "location_id": location, "channel": "in_person", "codes": codes});
    let imported = app
        .post(
            "/v1/survey-invitations",
            Some(token),
            import(codes.to_vec()),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(imported["imported"], 3);
    // A code seen before, or twice in one list: nothing is imported, every problem named.
    let refused = app
        .post(
            "/v1/survey-invitations",
            Some(token),
            import(vec!["INV-NEW1-0001", codes[0], "INV-NEW1-0001"]),
        )
        .await
        .expect_problem(422);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["codes[2]", "codes[1]"]);
    // The codes are secrets until used: none is stored as it is.
    {
        use diesel::prelude::*;
        use shopgap::db::schema::survey_invitations as inv;
        let mut conn = app.pool.get().unwrap();
        let hashes: Vec<String> = inv::table.select(inv::code_hash).load(&mut *conn).unwrap();
        assert_eq!(hashes.len(), 3);
        for code in codes {
            assert!(hashes.iter().all(|h| !h.contains(code)));
        }
    }

    let public = |code: &str| format!("/public/v1/invitations/{code}");
    let form = app.get(&public(codes[0]), None).await.expect(200).body;
    assert_eq!(form["text_directions"]["ar"], "rtl");
    let response_id = uuid::Uuid::new_v4().to_string();
    app.post(
        &format!("{}/responses", public(codes[0])),
        None,
        answers(&response_id),
    )
    .await
    .expect(201);
    // The phone resends: the same receipt. Anyone else: the code is spent.
    app.post(
        &format!("{}/responses", public(codes[0])),
        None,
        answers(&response_id),
    )
    .await
    .expect(200);
    let other = uuid::Uuid::new_v4().to_string();
    app.post(
        &format!("{}/responses", public(codes[0])),
        None,
        answers(&other),
    )
    .await
    .expect_problem(409);
    app.get(&public(codes[0]), None).await.expect_problem(409);
    app.get(&public("INV-NOPE-NOPE"), None)
        .await
        .expect_problem(404);

    // Revoking: an open code stops working; a spent one stays spent.
    let list = app
        .get("/v1/survey-invitations", Some(token))
        .await
        .expect(200)
        .body;
    assert!(!list.to_string().contains("INV-"));
    let items = list["items"].as_array().unwrap();
    let spent = items.iter().find(|i| i["state"] == "spent").unwrap();
    let open = items
        .iter()
        .filter(|i| i["state"] == "open")
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(open.len(), 2);
    app.post(
        &format!(
            "/v1/survey-invitations/{}/revoke",
            spent["id"].as_str().unwrap()
        ),
        Some(token),
        json!({}),
    )
    .await
    .expect_problem(409);
    for id in &open {
        let revoked = app
            .post(
                &format!("/v1/survey-invitations/{id}/revoke"),
                Some(token),
                json!({}),
            )
            .await
            .expect(200)
            .body;
        assert_eq!(revoked["state"], "revoked");
    }
    app.get(&public(codes[1]), None).await.expect_problem(404);
    let rival = app.seed_org("Rival").await;
    app.post(
        &format!("/v1/survey-invitations/{}/revoke", open[0]),
        Some(&rival.manager.access_token),
        json!({}),
    )
    .await
    .expect_problem(404);

    // The response counts for the location in the ladder, as a B2B customer (the location's).
    let ladder = app
        .get(
            &format!("/v1/reports/five-gaps?location_id={location}&segment=b2b"),
            Some(token),
        )
        .await
        .expect(200)
        .body;
    let grt = ladder["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["standard"] == "GRT-01")
        .unwrap();
    assert_eq!(grt["customer_expectation"]["n"], 1);
    assert_eq!(grt["customer_expectation"]["value"], 1.0);
}

#[actix_web::test]
async fn public_endpoints_are_rate_limited_per_address() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let (version, location) = customer_survey_at_a_location(&app, token).await;
    let link = app
        .post(
            "/v1/survey-links",
            Some(token),
            json!({"instrument_version_id": version, "location_id": location, "channel": "in_person"}),
        )
        .await
        .expect(201)
        .body;
    let path = link["public_path"].as_str().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..31 {
        statuses.push(app.get(path, None).await);
    }
    assert!(statuses[..30].iter().all(|r| r.status == 200));
    let limited = statuses.pop().unwrap().expect_problem(429);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&wait), "Retry-After {wait}");
    // The QR codes of the link encode its public address.
    let svg = app
        .send(
            app.client
                .get(format!(
                    "{}/v1/survey-links/{}/qr.svg",
                    app.base,
                    link["id"].as_str().unwrap()
                ))
                .bearer_auth(token),
        )
        .await
        .expect(200);
    assert_eq!(svg.header("content-type").as_deref(), Some("image/svg+xml"));
    assert!(svg.body.as_str().unwrap().contains("<svg"));
}

#[actix_web::test]
async fn checklists_carry_whole_translations_for_the_shoppers_language() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let token = org.manager.access_token.as_str();
    let book_version = published_book(&app, token).await;
    let checklist = |whole: bool| {
        let mut fees = json!({"key": "fees", "prompt": "Were the fees explained?", "type": "yes_no", "standard": "INF-01"});
        if whole {
            fees["translations"] = json!({"fa": {"prompt": "آیا هزینه‌ها توضیح داده شد؟"}});
        }
        json!({"name": "Visit", "channel": "in_person", "standards_book_version_id": book_version,
               "sections": [{"title": "Arrival", "title_translations": {"fa": "ورود"}, "items": [
                   {"key": "greet", "prompt": "Were you greeted?", "type": "yes_no", "standard": "GRT-01",
                    "translations": {"fa": {"prompt": "آیا به شما خوشامد گفته شد؟", "help": "در ۳۰ ثانیه"}}},
                   fees]}]})
    };
    let draft = app
        .post("/v1/checklists", Some(token), checklist(false))
        .await
        .expect(201)
        .body;
    assert_eq!(
        draft["problems"],
        json!([{"field": "sections[0].items[1].translations", "message": "needs the prompt in fa"}])
    );
    let id = draft["checklist_id"].as_str().unwrap();
    app.call(
        Method::PUT,
        &format!("/v1/checklists/{id}/draft"),
        Some(token),
        Some(checklist(true)),
    )
    .await
    .expect(200);
    let published = app
        .post(
            &format!("/v1/checklists/{id}/draft/publish"),
            Some(token),
            json!({}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(published["translations"], json!({"fa": "rtl"}));
    assert_eq!(
        published["sections"][0]["items"][0]["translations"]["fa"]["help"],
        "در ۳۰ ثانیه"
    );
    assert_eq!(published["sections"][0]["title_translations"]["fa"], "ورود");
}
