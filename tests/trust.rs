//! Trust in the data over HTTP (PRODUCT.md section 12): reused photos found by their perceptual
//! hashes within an organization and never across, photos taken outside the visit, the review
//! queue filtered by flag, shopper calibration and the rater agreement of double shops, each
//! figure worked out by hand.

mod common;

use std::f64::consts::TAU;
use std::io::Cursor;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use common::{Org, TestApp};
use image::{ImageEncoder, RgbImage};
use reqwest::Method;
use serde_json::{json, Value};

/// A synthetic photo: a smooth field of a few waves, different for every seed, with some
/// structure at every scale, as a camera picture has.
fn picture(seed: u64, width: u32, height: u32) -> RgbImage {
    let waves: Vec<(f64, f64, f64, f64)> = (0..6)
        .map(|i| {
            let s = (seed * 7919 + i * 104_729) as f64;
            (
                1.0 + (s * 0.37).sin().abs() * 6.0,
                1.0 + (s * 0.91).cos().abs() * 6.0,
                s * 1.3,
                0.5 + (s * 0.13).sin().abs(),
            )
        })
        .collect();
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f64 / width as f64, y as f64 / height as f64);
        let value: f64 = waves
            .iter()
            .map(|(fx, fy, phase, amp)| amp * (fx * u * TAU + fy * v * TAU + phase).sin())
            .sum();
        let level = (128.0 + 40.0 * value).clamp(0.0, 255.0) as u8;
        image::Rgb([level, level.wrapping_add(40), 255 - level])
    })
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// The same JPEG with an Exif block recording `DateTimeOriginal` (UTC offset given).
fn with_capture_time(jpeg: &[u8], local: &str, offset: &str) -> Vec<u8> {
    let taken = exif::Field {
        tag: exif::Tag::DateTimeOriginal,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![local.as_bytes().to_vec()]),
    };
    let zone = exif::Field {
        tag: exif::Tag::OffsetTimeOriginal,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![offset.as_bytes().to_vec()]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&taken);
    writer.push_field(&zone);
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A checklist of `items` yes/no items, all on one standard.
fn checklist(name: &str, items: &[&str]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|k| json!({"key": k, "prompt": format!("{k}?"), "type": "yes_no", "standard": "GRT-01"}))
        .collect();
    json!({
        "format": "shopgap.checklist/v1", "name": name, "channel": "in_person",
        "sections": [{"title": "A", "items": items}],
        "standards_book": {"format": "shopgap.standards_book/v1", "name": "Book", "principles": [], "protocols": [],
            "standards": [{"code": "GRT-01", "text": "Greet", "dimension": "empathy", "channels": ["in_person"], "target": 0.9}]},
    })
}

struct Program {
    version_id: String,
    locations: Vec<String>,
}

async fn program(app: &TestApp, org: &Org, name: &str, items: &[&str]) -> Program {
    let manager = Some(org.manager.access_token.as_str());
    app.patch(
        "/v1/organization",
        Some(&org.admin.access_token),
        json!({"cooldown_days": 0}),
    )
    .await
    .expect(200);
    let version = app
        .post(
            "/v1/checklists/import?publish=true",
            manager,
            checklist(name, items),
        )
        .await
        .expect(201)
        .body;
    let mut locations = Vec::new();
    for (i, code) in ["L1", "L2", "L3"].iter().enumerate() {
        let l = app
            .post("/v1/locations", manager, json!({"code": format!("{name}-{code}"), "name": format!("Branch {code}"), "region": "East", "segment": "b2c",
                "latitude": 52.52 + i as f64 * 0.1, "longitude": 13.40, "time_zone": "Europe/Berlin", "channels": ["in_person"]}))
            .await
            .expect(201)
            .body;
        locations.push(l["id"].as_str().unwrap().to_string());
    }
    Program {
        version_id: version["id"].as_str().unwrap().to_string(),
        locations,
    }
}

fn window() -> (String, String) {
    (
        (Utc::now() - Duration::days(1)).to_rfc3339(),
        (Utc::now() + Duration::days(2)).to_rfc3339(),
    )
}

/// Plans a shop offered to `shopper`.
async fn plan(app: &TestApp, org: &Org, p: &Program, location: usize, shopper: &str) -> String {
    let (start, end) = window();
    app.post("/v1/assignments", Some(&org.manager.access_token), json!({"location_id": p.locations[location],
        "checklist_version_id": p.version_id, "window_start": start, "window_end": end, "shopper_id": shopper}))
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The visit every shop here reports: from 40 to 10 minutes ago.
fn visit() -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    (
        Utc::now() - Duration::minutes(40),
        Utc::now() - Duration::minutes(10),
    )
}

/// Accepts `assignment` as `token`'s shopper, saves a draft with `answers` (item key → yes/no),
/// uploads `photos` (content type, bytes) and submits. Returns the submission.
async fn shop(
    app: &TestApp,
    token: &str,
    assignment: &str,
    answers: &[(&str, bool)],
    photos: &[(&str, Vec<u8>)],
) -> Value {
    app.post(
        &format!("/v1/assignments/{assignment}/accept"),
        Some(token),
        json!({}),
    )
    .await
    .expect(200);
    let id = uuid::Uuid::new_v4().to_string();
    let (start, end) = visit();
    let answers: serde_json::Map<String, Value> = answers
        .iter()
        .map(|(k, v)| (k.to_string(), json!({"value": v})))
        .collect();
    let content = json!({"assignment_id": assignment, "answers": answers,
        "visit_start": start.to_rfc3339(), "visit_end": end.to_rfc3339()});
    app.call(
        Method::PUT,
        &format!("/v1/submissions/{id}"),
        Some(token),
        Some(content.clone()),
    )
    .await
    .expect(200);
    for (content_type, bytes) in photos {
        let photo = uuid::Uuid::new_v4();
        app.send(
            app.client
                .put(format!(
                    "{}/v1/submissions/{id}/attachments/{photo}",
                    app.base
                ))
                .bearer_auth(token)
                .header("content-type", *content_type)
                .body(bytes.clone()),
        )
        .await
        .expect(201);
    }
    app.post(
        &format!("/v1/submissions/{id}/submit"),
        Some(token),
        content,
    )
    .await
    .expect(200)
    .body
}

/// The submission once the worker has analysed every image of it.
async fn analysed(app: &TestApp, org: &Org, id: &str) -> Value {
    let deadline = Instant::now() + StdDuration::from_secs(60);
    loop {
        let s = app
            .get(
                &format!("/v1/submissions/{id}"),
                Some(&org.manager.access_token),
            )
            .await
            .expect(200)
            .body;
        let pending = s["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["analysis"] == "pending");
        if !pending {
            return s;
        }
        assert!(Instant::now() < deadline, "photos still pending: {s}");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

fn flags_of<'a>(s: &'a Value, kind: &str) -> Vec<&'a Value> {
    s["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

async fn approve(app: &TestApp, org: &Org, id: &str, decision: &str) {
    let current = app
        .get(
            &format!("/v1/submissions/{id}"),
            Some(&org.manager.access_token),
        )
        .await
        .expect(200);
    let etag = current.header("etag").unwrap();
    app.send(
        app.client
            .post(format!("{}/v1/submissions/{id}/{decision}", app.base))
            .bearer_auth(&org.manager.access_token)
            .header("If-Match", etag)
            .json(&if decision == "reject" {
                json!({"comment": "The visit did not happen as reported."})
            } else {
                json!({})
            }),
    )
    .await
    .expect(200);
}

/// Plans a shop as the other half of `partner`'s double shop.
async fn pair_with(
    app: &TestApp,
    token: &str,
    location: &str,
    version: &str,
    partner: &str,
) -> common::Resp {
    let (start, end) = window();
    app.post(
        "/v1/assignments",
        Some(token),
        json!({"location_id": location, "checklist_version_id": version,
            "window_start": start, "window_end": end, "pair_with": partner}),
    )
    .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn reused_photos_are_flagged_within_an_organization_and_never_across() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let other = app.seed_org("Rival").await;
    let p = program(&app, &org, "Photos", &["greeted"]).await;
    let q = program(&app, &other, "Theirs", &["greeted"]).await;
    let ann = (org.shopper.id.clone(), org.shopper.access_token.clone());
    let bea = app.new_shopper(&org, "bea").await;

    let original = jpeg(&picture(1, 640, 480), 90);
    // The same picture at half the size and a low quality: other bytes, the same image.
    let small = image::imageops::resize(
        &picture(1, 640, 480),
        320,
        240,
        image::imageops::FilterType::Triangle,
    );
    let copy = jpeg(&small, 55);
    assert_ne!(original, copy);
    let unrelated = jpeg(&picture(2, 640, 480), 90);
    // Taken three days before the visit, by its Exif time.
    let (start, _) = visit();
    let old = (start - Duration::days(3))
        .format("%Y:%m:%d %H:%M:%S")
        .to_string();
    let stale = with_capture_time(&jpeg(&picture(3, 320, 240), 90), &old, "+00:00");
    // Taken during the visit (in Berlin's time, with its offset).
    let berlin = start.with_timezone(&chrono_tz::Europe::Berlin) + Duration::minutes(5);
    let fresh = with_capture_time(
        &jpeg(&picture(4, 320, 240), 90),
        &berlin.format("%Y:%m:%d %H:%M:%S").to_string(),
        &berlin.format("%:z").to_string(),
    );
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();

    let a1 = plan(&app, &org, &p, 0, &ann.0).await;
    let s1 = shop(
        &app,
        &ann.1,
        &a1,
        &[("greeted", true)],
        &[("image/jpeg", original.clone())],
    )
    .await;
    let a2 = plan(&app, &org, &p, 1, &bea.0).await;
    let s2 = shop(
        &app,
        &bea.1,
        &a2,
        &[("greeted", true)],
        &[("image/jpeg", copy), ("image/heic", heic)],
    )
    .await;
    let a3 = plan(&app, &org, &p, 2, &ann.0).await;
    let s3 = shop(
        &app,
        &ann.1,
        &a3,
        &[("greeted", false)],
        &[
            ("image/jpeg", unrelated),
            ("image/jpeg", stale),
            ("image/jpeg", fresh),
        ],
    )
    .await;
    // Another organization's shopper sends the very same bytes as Ann.
    let b1 = plan(&app, &other, &q, 0, &other.shopper.id).await;
    let t1 = shop(
        &app,
        &other.shopper.access_token,
        &b1,
        &[("greeted", true)],
        &[("image/jpeg", original)],
    )
    .await;

    // Once every photo is analysed (in upload order), each submission is read again: a later
    // photo may have added a flag to an earlier submission.
    for (who, s) in [(&org, &s1), (&org, &s2), (&org, &s3), (&other, &t1)] {
        analysed(&app, who, &id(s)).await;
    }
    let s1 = analysed(&app, &org, &id(&s1)).await;
    let s2 = analysed(&app, &org, &id(&s2)).await;
    let s3 = analysed(&app, &org, &id(&s3)).await;
    let t1 = analysed(&app, &other, &id(&t1)).await;

    // Each of the two submissions names the other, with the photos and their distance.
    let reused = flags_of(&s1, "reused_photo");
    assert_eq!(reused.len(), 1, "{s1}");
    assert_eq!(reused[0]["other_submission_id"], s2["id"]);
    assert_eq!(reused[0]["attachment_id"], s1["attachments"][0]["id"]);
    let distance = reused[0]["distance"].as_i64().unwrap();
    assert!((0..=6).contains(&distance), "{distance}");
    let back = flags_of(&s2, "reused_photo");
    assert_eq!(back.len(), 1, "{s2}");
    assert_eq!(back[0]["other_submission_id"], s1["id"]);
    assert_eq!(back[0]["other_attachment_id"], s1["attachments"][0]["id"]);
    assert_eq!(back[0]["distance"], distance);
    // A different photo raises nothing, nor does the other organization's identical one.
    assert!(flags_of(&s3, "reused_photo").is_empty(), "{s3}");
    assert!(flags_of(&t1, "reused_photo").is_empty(), "{t1}");
    assert_eq!(
        t1["attachments"][0]["perceptual_hash"],
        s1["attachments"][0]["perceptual_hash"]
    );

    // The analysis is shown on each attachment: hashed, or why not.
    let hash = s1["attachments"][0]["perceptual_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 16);
    assert_eq!(s1["attachments"][0]["analysis"], "hashed");
    let heic = s2["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["content_type"] == "image/heic")
        .unwrap();
    assert_eq!(heic["analysis"], "not_hashed");
    assert!(heic["analysis_note"].as_str().unwrap().contains("HEIC"));
    assert_eq!(heic["perceptual_hash"], Value::Null);

    // The photo taken three days early is flagged, the one taken during the visit is not.
    let times = flags_of(&s3, "photo_time");
    assert_eq!(times.len(), 1, "{s3}");
    assert_eq!(times[0]["attachment_id"], s3["attachments"][1]["id"]);
    assert_eq!(times[0]["tolerance_minutes"], 30);
    let captured: chrono::DateTime<Utc> =
        serde_json::from_value(s3["attachments"][1]["captured_at"].clone()).unwrap();
    assert_eq!(
        captured.timestamp(),
        (start - Duration::days(3)).timestamp()
    );
    let during: chrono::DateTime<Utc> =
        serde_json::from_value(s3["attachments"][2]["captured_at"].clone()).unwrap();
    assert_eq!(
        during.timestamp(),
        (start + Duration::minutes(5)).timestamp()
    );

    // The review queue by flag.
    let manager = Some(org.manager.access_token.as_str());
    let queue = |flag: &str| format!("/v1/submissions?status=submitted&flag={flag}");
    let ids = |v: Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect()
    };
    let mut found = ids(app
        .get(&queue("reused_photo"), manager)
        .await
        .expect(200)
        .body);
    found.sort_by_key(|v| v.to_string());
    let mut expected = vec![s1["id"].clone(), s2["id"].clone()];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(found, expected);
    assert_eq!(
        ids(app
            .get(&queue("photo_time"), manager)
            .await
            .expect(200)
            .body),
        vec![s3["id"].clone()]
    );
    assert!(ids(app
        .get(&queue("short_visit"), manager)
        .await
        .expect(200)
        .body)
    .is_empty());
    app.get(&queue("no_such_flag"), manager)
        .await
        .expect_problem(422);
    // The other organization's queue holds only its own submission, unflagged.
    assert!(ids(app
        .get(&queue("reused_photo"), Some(&other.manager.access_token))
        .await
        .expect(200)
        .body)
    .is_empty());
    // The matching submission is one the reviewer can open; the other organization cannot.
    app.get(
        &format!("/v1/submissions/{}", s2["id"].as_str().unwrap()),
        manager,
    )
    .await
    .expect(200);
    app.get(
        &format!("/v1/submissions/{}", s2["id"].as_str().unwrap()),
        Some(&other.manager.access_token),
    )
    .await
    .expect_problem(404);
}

/// Leniency by hand. One standard, two yes/no items, so a visit's compliance is 0, 0.5 or 1:
///
/// | location | Ann | Bea | Cal |
/// |---|---|---|---|
/// | L1 | 1 | 0.5 | 0 |
/// | L2 | 1 | 0 | |
/// | L3 | 1 | 0.5 | |
///
/// Ann's differences from the others' mean: 1 − 0.25, 1 − 0, 1 − 0.5 = 0.75, 1, 0.5: mean 0.75,
/// s = 0.25, half-width t(0.975, 2) · 0.25 / √3: lenient, significantly. Bea: 0.5 − 0.5,
/// 0 − 1, 0.5 − 1 = 0, −1, −0.5: mean −0.5, s = 0.5, not significant. Cal: 0 − 0.75, one visit.
#[actix_web::test]
async fn shopper_calibration_matches_the_figures_worked_by_hand() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let p = program(&app, &org, "Calib", &["greeted", "smiled"]).await;
    let ann = (org.shopper.id.clone(), org.shopper.access_token.clone());
    let bea = app.new_shopper(&org, "bea").await;
    let cal = app.new_shopper(&org, "cal").await;
    let answers =
        |v: f64| -> Vec<(&'static str, bool)> { vec![("greeted", v > 0.0), ("smiled", v > 0.5)] };
    let mut visits = Vec::new();
    for (location, who, value) in [
        (0, &ann, 1.0),
        (0, &bea, 0.5),
        (0, &cal, 0.0),
        (1, &ann, 1.0),
        (1, &bea, 0.0),
        (2, &ann, 1.0),
        (2, &bea, 0.5),
    ] {
        let a = plan(&app, &org, &p, location, &who.0).await;
        let s = shop(&app, &who.1, &a, &answers(value), &[]).await;
        approve(&app, &org, &id(&s), "approve").await;
        visits.push(id(&s));
    }
    let manager = Some(org.manager.access_token.as_str());
    let report = app
        .get("/v1/reports/shoppers/calibration", manager)
        .await
        .expect(200)
        .body;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{report}");
    let t2 = 4.302_652_729_911_275;
    let close = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-9;
    // Ann first: the only significant one.
    assert_eq!(rows[0]["shopper_id"], json!(ann.0));
    assert_eq!(rows[0]["standard_code"], "GRT-01");
    assert_eq!(rows[0]["n"], 3);
    assert!(close(&rows[0]["leniency"], 0.75), "{}", rows[0]);
    let half = t2 * 0.25 / 3f64.sqrt();
    assert!(close(&rows[0]["ci_low"], 0.75 - half) && close(&rows[0]["ci_high"], 0.75 + half));
    assert_eq!(rows[0]["verdict"], "lenient");
    let row = |who: &str| rows.iter().find(|r| r["shopper_id"] == who).unwrap();
    let b = row(&bea.0);
    assert_eq!(b["n"], 3);
    assert!(close(&b["leniency"], -0.5));
    let half = t2 * 0.5 / 3f64.sqrt();
    assert!(close(&b["ci_low"], -0.5 - half) && close(&b["ci_high"], -0.5 + half));
    assert_eq!(b["verdict"], "in_line");
    let c = row(&cal.0);
    assert_eq!(c["n"], 1);
    assert!(close(&c["leniency"], -0.75));
    assert_eq!(
        (c["ci_low"].clone(), c["verdict"].clone()),
        (Value::Null, json!("in_line"))
    );
    assert_eq!(c["shopper_name"], "cal");

    // Cal's visit rejected after approval: at L1 Ann now differs by 0.5 and Bea by −0.5.
    // Ann: 0.5, 1, 0.5, mean 2/3, s = √(1/12): the interval now reaches below zero.
    approve(&app, &org, &visits[2], "reject").await;
    let report = app
        .get("/v1/reports/shoppers/calibration", manager)
        .await
        .expect(200)
        .body;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    let a = rows
        .iter()
        .find(|r| r["shopper_id"] == json!(ann.0))
        .unwrap();
    assert!(close(&a["leniency"], 2.0 / 3.0));
    let half = t2 * (1.0f64 / 12.0).sqrt() / 3f64.sqrt();
    assert!(close(&a["ci_low"], 2.0 / 3.0 - half), "{a}");
    assert_eq!(a["verdict"], "in_line");
    let b = rows
        .iter()
        .find(|r| r["shopper_id"] == json!(bea.0))
        .unwrap();
    // Bea: −0.5, −1, −0.5.
    assert!(close(&b["leniency"], -2.0 / 3.0));

    // Filters, and a recount from the history equals the roll-up.
    let one = app
        .get(
            &format!(
                "/v1/reports/shoppers/calibration?shopper_id={}&standard=GRT-01",
                bea.0
            ),
            manager,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    let before = report.clone();
    {
        let mut conn = app.pool.get().unwrap();
        shopgap::db::write_transaction(&mut conn, |c| {
            shopgap::calibration::service::rebuild(c, Some(&org.id))
        })
        .unwrap();
    }
    let after = app
        .get("/v1/reports/shoppers/calibration", manager)
        .await
        .expect(200)
        .body;
    for (x, y) in before["rows"]
        .as_array()
        .unwrap()
        .iter()
        .zip(after["rows"].as_array().unwrap())
    {
        assert_eq!(x["shopper_id"], y["shopper_id"]);
        assert_eq!(x["n"], y["n"]);
        assert!((x["leniency"].as_f64().unwrap() - y["leniency"].as_f64().unwrap()).abs() < 1e-9);
    }
    // Months outside the history are empty; a reversed range is 422; shoppers and other
    // organizations see nothing of it.
    let empty = app
        .get(
            "/v1/reports/shoppers/calibration?from=2020-01-01&to=2020-12-31",
            manager,
        )
        .await
        .expect(200)
        .body;
    assert!(empty["rows"].as_array().unwrap().is_empty());
    app.get(
        "/v1/reports/shoppers/calibration?from=2026-12-01&to=2026-01-01",
        manager,
    )
    .await
    .expect_problem(422);
    app.get("/v1/reports/shoppers/calibration", Some(&ann.1))
        .await
        .expect_problem(403);
    let stranger = app.seed_org("Rival").await;
    let theirs = app
        .get(
            "/v1/reports/shoppers/calibration",
            Some(&stranger.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert!(theirs["rows"].as_array().unwrap().is_empty());
}

/// Two double shops by Ann and Bea over five yes/no items each:
///
/// | item | L1 Ann | L1 Bea | L2 Ann | L2 Bea |
/// |---|---|---|---|---|
/// | k1 | 1 | 1 | 1 | 1 |
/// | k2 | 1 | 1 | 1 | 0 |
/// | k3 | 1 | 0 | 1 | 1 |
/// | k4 | 0 | 0 | 1 | 1 |
/// | k5 | 1 | 1 | 0 | 0 |
///
/// 10 items, 8 agree: 80 %. Ann scored 1 on 8 of them, Bea on 6: chance agreement
/// 0.8 · 0.6 + 0.2 · 0.4 = 0.56, kappa (0.8 − 0.56) / (1 − 0.56) = 0.24 / 0.44.
#[actix_web::test]
async fn double_shops_give_percent_agreement_and_kappa() {
    let app = TestApp::spawn().await;
    let org = app.seed_org("Acme").await;
    let items = ["k1", "k2", "k3", "k4", "k5"];
    let p = program(&app, &org, "Double", &items).await;
    let ann = (org.shopper.id.clone(), org.shopper.access_token.clone());
    let bea = app.new_shopper(&org, "bea").await;
    let manager = Some(org.manager.access_token.as_str());
    let (start, end) = window();
    let wave = app
        .post(
            "/v1/waves",
            manager,
            json!({"checklist_version_id": p.version_id,
            "location_ids": [p.locations[0], p.locations[1]], "shops_per_location": 1,
            "window_start": start, "window_end": end, "double_shops": true}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(wave["created"], 4);
    let planned = app
        .get(
            &format!("/v1/assignments?wave_id={}", wave["id"].as_str().unwrap()),
            manager,
        )
        .await
        .expect(200)
        .body;
    let planned = planned["items"].as_array().unwrap();
    let halves = |location: &str| -> (String, String) {
        let at: Vec<&Value> = planned
            .iter()
            .filter(|a| a["location_id"] == location)
            .collect();
        assert_eq!(at.len(), 2);
        assert_eq!(at[0]["partner_assignment_id"], at[1]["id"]);
        assert_eq!(at[1]["partner_assignment_id"], at[0]["id"]);
        (id(at[0]), id(at[1]))
    };
    let (l1a, l1b) = halves(&p.locations[0]);
    let (l2a, l2b) = halves(&p.locations[1]);

    // Ann takes one half of L1; the other half leaves her job board and she cannot take it.
    let yes = |v: [u8; 5]| -> Vec<(&'static str, bool)> {
        items.iter().zip(v).map(|(k, x)| (*k, x == 1)).collect()
    };
    let first = shop(&app, &ann.1, &l1a, &yes([1, 1, 1, 0, 1]), &[]).await;
    let board = app
        .get("/v1/job-board", Some(&ann.1))
        .await
        .expect(200)
        .body;
    let open: Vec<&Value> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| &j["assignment"]["id"])
        .collect();
    assert!(!open.contains(&&json!(l1b)), "{board}");
    assert!(open.contains(&&json!(l2a)), "{board}");
    let refused = app
        .post(
            &format!("/v1/assignments/{l1b}/accept"),
            Some(&ann.1),
            json!({}),
        )
        .await
        .expect_problem(422);
    assert_eq!(
        refused.body["errors"][0]["field"],
        "eligibility.double_shop"
    );
    let second = shop(&app, &bea.1, &l1b, &yes([1, 1, 0, 0, 1]), &[]).await;

    // One half approved: nothing to compare yet. Both: five items, 4 agree.
    approve(&app, &org, &id(&first), "approve").await;
    let report = app
        .get("/v1/reports/shoppers/agreement", manager)
        .await
        .expect(200)
        .body;
    assert!(report["pairs"].as_array().unwrap().is_empty(), "{report}");
    approve(&app, &org, &id(&second), "approve").await;
    let report = app
        .get("/v1/reports/shoppers/agreement", manager)
        .await
        .expect(200)
        .body;
    let pair = &report["pairs"][0];
    assert_eq!(
        (pair["double_shops"].clone(), pair["items"].clone()),
        (json!(1), json!(5))
    );
    assert!((pair["percent_agreement"].as_f64().unwrap() - 80.0).abs() < 1e-9);

    let third = shop(&app, &bea.1, &l2a, &yes([1, 0, 1, 1, 0]), &[]).await;
    let fourth = shop(&app, &ann.1, &l2b, &yes([1, 1, 1, 1, 0]), &[]).await;
    approve(&app, &org, &id(&third), "approve").await;
    approve(&app, &org, &id(&fourth), "approve").await;
    let report = app
        .get("/v1/reports/shoppers/agreement", manager)
        .await
        .expect(200)
        .body;
    let pairs = report["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{report}");
    let pair = &pairs[0];
    let mut who = vec![pair["shopper_a"].clone(), pair["shopper_b"].clone()];
    who.sort_by_key(|v| v.to_string());
    let mut expected = vec![json!(ann.0), json!(bea.0)];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(who, expected);
    assert_eq!(pair["double_shops"], 2);
    assert_eq!(pair["items"], 10);
    assert!((pair["percent_agreement"].as_f64().unwrap() - 80.0).abs() < 1e-9);
    assert!(
        (pair["kappa"].as_f64().unwrap() - 0.24 / 0.44).abs() < 1e-9,
        "{pair}"
    );

    // A late rejection of one half takes its double shop out again.
    approve(&app, &org, &id(&third), "reject").await;
    let report = app
        .get("/v1/reports/shoppers/agreement", manager)
        .await
        .expect(200)
        .body;
    assert_eq!(report["pairs"][0]["double_shops"], 1);
    assert_eq!(report["pairs"][0]["items"], 5);

    // A single assignment planned as the other half of an existing one: same location and
    // checklist, else 422; a half already paired cannot be paired again.
    let single = plan(&app, &org, &p, 2, &ann.0).await;
    let mtoken = org.manager.access_token.as_str();
    let partner = pair_with(&app, mtoken, &p.locations[2], &p.version_id, &single)
        .await
        .expect(201)
        .body;
    assert_eq!(partner["partner_assignment_id"], json!(single));
    let single_now = app
        .get(&format!("/v1/assignments/{single}"), manager)
        .await
        .expect(200)
        .body;
    assert_eq!(single_now["partner_assignment_id"], partner["id"]);
    for (location, partner) in [(&p.locations[2], &single), (&p.locations[0], &l1a)] {
        let refused = pair_with(&app, mtoken, location, &p.version_id, partner)
            .await
            .expect_problem(422);
        assert_eq!(refused.body["errors"][0]["field"], "pair_with");
    }
    // Another organization's assignment cannot be paired with, and its report is empty.
    let stranger = app.seed_org("Rival").await;
    let theirs = program(&app, &stranger, "Theirs", &items).await;
    let foreign = pair_with(
        &app,
        &stranger.manager.access_token,
        &theirs.locations[0],
        &theirs.version_id,
        &single,
    )
    .await
    .expect_problem(422);
    assert_eq!(foreign.body["errors"][0]["field"], "pair_with");
    let report = app
        .get(
            "/v1/reports/shoppers/agreement",
            Some(&stranger.manager.access_token),
        )
        .await
        .expect(200)
        .body;
    assert!(report["pairs"].as_array().unwrap().is_empty());
    app.get("/v1/reports/shoppers/agreement", Some(&ann.1))
        .await
        .expect_problem(403);
}
