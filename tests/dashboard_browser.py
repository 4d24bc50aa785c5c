#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium driven through chromedriver (Selenium),
against `shopgap serve --demo` on a fresh database, as a manager would use it.

    tests/dashboard_browser.py BINARY [--database-url postgres://…] [--screenshots DIR]

Signs in; reads the gap heatmap of the demo's first-start history (real gaps: significant and
unreliable cells); changes a filter; opens a cell with the keyboard; reads a trend, the
ranking and a scorecard; reviews a shop with photos and a claimed expense with its receipt;
opens a flagged submission from the review queue, edits an answer with a reason and approves it
with a grade (checked through the API too); reads beliefs, the five gaps, shopper calibration and the
corrective actions; then the same pages right to left and at a tablet's size. A screenshot of
each page goes to DIR (default target/dashboard-screenshots). Any JavaScript error, failed
request or Content-Security-Policy violation in the browser's console fails the test.

Needs Debian's `chromium` and `chromium-driver` (/usr/bin/chromedriver) and PyPI's `selenium`
(.ci/run installs all three).
"""
import argparse
import datetime
import os
import shutil
import struct
import sys
import time
import uuid
import zlib

# Selenium Manager must not try to download a browser or a driver: both are Debian's.
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from harness import Server  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from benchlib import Api  # noqa: E402  (the demo credentials the server printed)

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--database-url")
parser.add_argument("--screenshots", default=os.path.join("target", "dashboard-screenshots"))
parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
args = parser.parse_args()

MANAGER = "manager@demo-motors.example.com"
SHOPPER = "shopper1@demo-motors.example.com"


def photo_png(width=320, height=240):
    """A real PNG (a colour gradient), as a phone's camera would send a photo."""
    rows = b"".join(b"\x00" + bytes(
        v for x in range(width) for v in (x * 255 // width, y * 255 // height, 160))
        for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def shop_with_a_photo(api):
    """The demo's first shopper does a shop at GEN-0001 through the API, as the mobile app
    would, with a photo for every evidence item; returns the submission's id."""
    manager, shopper = api.login(MANAGER), api.login(SHOPPER)
    _, locations = api.call("GET", "/v1/locations?q=GEN-0001", manager)
    location = locations["items"][0]
    _, checklists = api.call("GET", "/v1/checklists", manager)
    version = next(v for c in checklists["items"] for v in c["versions"]
                   if v["channel"] == "in_person" and v["status"] == "published")
    _, users = api.call("GET", "/v1/users?role=shopper", manager)
    shopper_id = next(u["id"] for u in users["items"] if u["email"] == SHOPPER)
    now = datetime.datetime.now(datetime.timezone.utc)
    _, assignment = api.call("POST", "/v1/assignments", manager, body={
        "location_id": location["id"], "checklist_version_id": version["id"],
        "shopper_id": shopper_id, "scenario": "Ask about a family car.",
        "window_start": (now - datetime.timedelta(hours=2)).isoformat(),
        "window_end": (now + datetime.timedelta(days=1)).isoformat()})
    api.call("POST", f"/v1/assignments/{assignment['id']}/accept", shopper)
    _, checklist = api.call("GET", f"/v1/checklist-versions/{version['id']}", shopper)
    answers, evidence = {}, []
    for section in checklist["sections"]:
        for item in section["items"]:
            options = item.get("options") or {}
            if item["type"] == "evidence":
                evidence.append(item["key"])
                continue
            answers[item["key"]] = {"value": {
                "yes_no": lambda: options.get("compliant_answer", True) is not False,
                "scale": lambda: options.get("max"),
                "number": lambda: options.get("target"),
                "choice": lambda: options["choices"][0]["value"],
                "text": lambda: "All as expected.",
                "datetime": lambda: now.isoformat(),
            }[item["type"]]()}
    submission = str(uuid.uuid4())
    content = {"assignment_id": assignment["id"], "answers": answers,
               "visit_start": (now - datetime.timedelta(minutes=50)).isoformat(),
               "visit_end": (now - datetime.timedelta(minutes=10)).isoformat(),
               "narrative": "Photos of the showroom floor attached."}
    api.call("PUT", f"/v1/submissions/{submission}", shopper, body=content)
    for key in evidence or [None]:
        path = f"/v1/submissions/{submission}/attachments/{uuid.uuid4()}"
        api.call("PUT", path + (f"?item_key={key}" if key else ""), shopper, raw=photo_png(),
                 headers={"content-type": "image/png"})
    # The car park's receipt, photographed, and the expense it proves.
    receipt = str(uuid.uuid4())
    api.call("PUT", f"/v1/submissions/{submission}/attachments/{receipt}?kind=receipt", shopper,
             raw=photo_png(), headers={"content-type": "image/png"})
    content["expenses"] = [{"key": "parking", "category": "parking", "description": "Car park",
                            "amount_minor": 650, "currency": "EUR", "receipt_attachment_id": receipt}]
    api.call("POST", f"/v1/submissions/{submission}/submit", shopper, body=content)
    return submission
os.makedirs(args.screenshots, exist_ok=True)
server = Server(args.binary, args.database_url, prefix="shopgap-browser-")
started = time.time()
server.start(demo=True)
print(f"[browser] serve --demo answered after {time.time() - started:.1f} s ({server.backend})")
api = Api(server.base, server.out_path)
printed = open(server.out_path).read()
assert f"http://127.0.0.1:{server.port}/app/" in printed, f"no dashboard link printed:\n{printed}"

options = webdriver.ChromeOptions()
options.binary_location = args.chromium
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
             "--window-size=1366,900", "--lang=en-GB", "--no-first-run",
             "--disable-background-networking", "--disable-component-update"):
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
downloads = os.path.abspath(os.path.join(args.screenshots, "downloads"))
os.makedirs(downloads, exist_ok=True)
for old in os.listdir(downloads):
    os.remove(os.path.join(downloads, old))
options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                          "download.prompt_for_download": False})
driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
wait = WebDriverWait(driver, 30)
step_count = 0


def fail(what):
    try:
        driver.save_screenshot(os.path.join(args.screenshots, "failure.png"))
        print(driver.find_element(By.TAG_NAME, "body").text[:3000])
    finally:
        driver.quit()
        server.process.kill()
    raise SystemExit(f"[browser] FAILED: {what}")


def check(condition, what):
    if not condition:
        fail(what)


def console_clean(where):
    """No JavaScript error, failed request or CSP violation since the last look."""
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    check(not errors, f"{where}: the browser's console has errors: {errors}")


def shot(name):
    global step_count
    step_count += 1
    path = os.path.join(args.screenshots, f"{step_count:02d}-{name}.png")
    driver.save_screenshot(path)
    console_clean(name)
    print(f"[browser] {name}: ok ({path})")


def text_of(css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def until(condition, what):
    try:
        return wait.until(condition)
    except Exception as e:  # noqa: BLE001 (selenium raises several kinds)
        fail(f"{what}: {type(e).__name__}")


def rows_of(table_id):
    return driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")


try:
    # Sign in with the account `serve --demo` printed: the same login as the API's.
    driver.get(f"{server.base}/")
    until(EC.presence_of_element_located((By.NAME, "email")), "the sign-in form")
    check(driver.current_url.endswith("/app/"), f"/ leads to the dashboard, not {driver.current_url}")
    shot("sign-in")
    driver.find_element(By.NAME, "email").send_keys(MANAGER)
    driver.find_element(By.NAME, "password").send_keys("not the password", Keys.ENTER)
    until(EC.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")), "a wrong password's message")
    driver.get_log("browser")  # the 401 of the wrong password was expected
    driver.find_element(By.NAME, "password").clear()
    driver.find_element(By.NAME, "password").send_keys(api.password_of(MANAGER), Keys.ENTER)

    # The heatmap: every demo location down, the twelve standards across, real gaps.
    until(EC.presence_of_element_located((By.ID, "heatmap")), "the heatmap after signing in")
    body = rows_of("heatmap")
    check(len(body) == 25, f"24 locations and the total row, not {len(body)}")
    heads = driver.find_elements(By.CSS_SELECTOR, "#heatmap thead th")
    check(len(heads) == 13, f"twelve standards, not {len(heads) - 1}")
    significant = driver.find_elements(By.CSS_SELECTOR, "#heatmap td.significant")
    check(len(significant) >= 5, f"significant shortfalls stand out ({len(significant)})")
    label = significant[0].find_element(By.TAG_NAME, "button").get_attribute("aria-label")
    check("significant shortfall" in label and "interval" in label, f"a cell's text alternative: {label}")
    # Over the last 30 days most locations have fewer visits than the minimum sample: those
    # cells are marked as not to be relied on. (Over 90 days that depends on the demo's draw.)
    Select(driver.find_element(By.NAME, "period")).select_by_value("30")
    until(lambda d: "period=30" in d.current_url and len(
        d.find_elements(By.CSS_SELECTOR, "#heatmap td.unreliable")) >= 5, "unreliable cells marked")
    label = driver.find_element(By.CSS_SELECTOR, "#heatmap td.unreliable button").get_attribute("aria-label")
    check("too few visits to rely on" in label, f"an unreliable cell's text alternative: {label}")
    shot("heatmap-30-days")
    Select(driver.find_element(By.NAME, "period")).select_by_value("90")
    until(lambda d: "period=90" in d.current_url and len(rows_of("heatmap")) == 25, "back to 90 days")
    check("Demo Motors" in text_of("header.bar"), "the organization's name in the bar")
    # The keyboard's first stop is the skip link; it lands on the content, not on another page.
    first = driver.execute_script(
        "return document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex=\"-1\"])')")
    check(first.get_attribute("class") == "skip", f"the skip link comes first, not {first.get_attribute('outerHTML')[:200]}")
    first.send_keys(Keys.ENTER)
    check(driver.switch_to.active_element.get_attribute("id") == "main", "the skip link focuses the content")
    check(driver.find_elements(By.ID, "heatmap"), "the skip link stays on the page")
    shot("heatmap")

    # A filter: one region leaves its four locations; the choice is in the address.
    Select(driver.find_element(By.NAME, "region")).select_by_visible_text("North")
    until(lambda d: len(rows_of("heatmap")) == 5, "the North region's four locations")
    check("region=North" in driver.current_url, "the filter is part of the link")
    # The report as the spreadsheet gets it: the same rows, as CSV.
    driver.find_element(By.XPATH, "//button[text()='Download CSV']").click()
    csv_file = os.path.join(downloads, "gaps.csv")
    until(lambda d: os.path.exists(csv_file) and os.path.getsize(csv_file) > 0, "the CSV download")
    lines = open(csv_file, encoding="utf-8").read().splitlines()
    check(lines[0].startswith("standard,") and len(lines) == 1 + 12 * 4, f"the CSV: {lines[:2]} ({len(lines)} lines)")
    # The keyboard opens a cell: focus its button and press Enter.
    cell = driver.find_element(By.CSS_SELECTOR, "#heatmap tbody tr:nth-child(2) td button")
    cell.send_keys(Keys.ENTER)
    until(EC.presence_of_element_located((By.ID, "cell-title")), "the cell's detail after Enter")
    check("Delivered" in text_of(".detail") and "Target" in text_of(".detail"), "the cell's figures")
    check(driver.switch_to.active_element.get_attribute("id") == "cell-title", "the focus moves to the figures")
    shot("heatmap-north-cell")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    until(lambda d: not d.find_elements(By.ID, "cell-title"), "Escape closes the cell's figures")

    # By region: the six regions down, the same filters kept.
    driver.find_element(By.XPATH, "//button[text()='By region']").click()
    until(lambda d: "rows=region" in d.current_url and len(rows_of("heatmap")) == 2, "the North region as one row")
    Select(driver.find_element(By.NAME, "region")).select_by_index(0)
    until(lambda d: len(rows_of("heatmap")) == 7, "six regions and the total row")
    driver.find_element(By.XPATH, "//button[text()='By location']").click()
    until(lambda d: len(rows_of("heatmap")) == 25, "back to the locations")

    # Largest shortfall first: the first location delivers less than the last (over the same
    # twelve standards, so the same targets).
    Select(driver.find_element(By.NAME, "sort")).select_by_value("gap")
    until(lambda d: "sort=gap" in d.current_url, "the order is part of the link")
    mean = lambda cells: sum(int(c.text.strip("!~")) for c in cells) / len(cells)  # noqa: E731
    first_row = driver.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr:nth-child(2) td button")
    last_row = driver.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr:last-child td button")
    check(mean(first_row) < mean(last_row), "the worst location comes first")
    Select(driver.find_element(By.NAME, "sort")).select_by_value("name")

    # Trends: the visit score per month with its interval band; the data also as a table.
    driver.find_element(By.LINK_TEXT, "Trends").click()
    until(EC.presence_of_element_located((By.CSS_SELECTOR, "canvas[role=img]")), "the trend chart")
    caption = text_of("figcaption")
    check("Visit score" in caption, f"the chart's text alternative: {caption}")
    driver.find_element(By.CSS_SELECTOR, "details.data summary").click()
    check(len(driver.find_elements(By.CSS_SELECTOR, "details.data tbody tr")) >= 6, "the trend's table")
    Select(driver.find_element(By.NAME, "subject")).select_by_value("standard:PERS-01")
    until(lambda d: "PERS-01" in text_of("figcaption"), "the trend of one standard")
    shot("trend-standard")

    # Locations: the ranking with intervals, then one scorecard.
    driver.find_element(By.LINK_TEXT, "Locations").click()
    until(lambda d: len(rows_of("ranking")) == 24, "the ranking of 24 locations")
    rows_of("ranking")[0].find_element(By.TAG_NAME, "a").click()
    until(EC.presence_of_element_located((By.ID, "scorecard-standards")), "a scorecard")
    check(text_of("h1").startswith("GEN-"), f"the scorecard's title: {text_of('h1')}")
    check(len(rows_of("scorecard-standards")) >= 10, "the scorecard's standards")
    shot("scorecard")

    # A shop with photos, as the mobile app sends one: the reviewer sees the photos (read with
    # the token, shown as blob: images under the page's Content-Security-Policy).
    with_photos = shop_with_a_photo(api)
    driver.get(f"{server.base}/app/#/review/{with_photos}")
    until(lambda d: d.execute_script(
        "const i = [...document.querySelectorAll('.photos img')];"
        "return i.length > 0 && i.every((x) => x.complete && x.naturalWidth === 320);"),
        "the submission's photos, loaded")
    alt = driver.find_element(By.CSS_SELECTOR, ".photos img").get_attribute("alt")
    check(alt.startswith("photo"), f"a photo's text alternative: {alt}")
    expenses = text_of("#expenses")
    check("6.50 EUR" in expenses and "yes" in expenses, f"the claimed expense with its receipt: {expenses}")
    shot("review-photos")

    # The review queue: flagged visits; open one, edit an answer with a reason, approve it.
    driver.find_element(By.LINK_TEXT, "Review").click()
    until(lambda d: len(rows_of("queue")) == 10, "ten submissions waiting for review")
    driver.find_element(By.NAME, "flagged").click()
    until(lambda d: 2 <= len(rows_of("queue")) < 10, "only the flagged submissions")
    shot("review-queue-flagged")
    # One flag kind, filtered by the API: the short visit the demo left on purpose.
    Select(driver.find_element(By.NAME, "flag")).select_by_value("short_visit")
    until(lambda d: 1 <= len(rows_of("queue")) < 10
          and all("short visit" in r.text.lower() for r in rows_of("queue")), "only short visits")
    check("flag=short_visit" in driver.current_url, "the flag filter is kept in the URL")
    Select(driver.find_element(By.NAME, "flag")).select_by_value("")
    until(lambda d: 2 <= len(rows_of("queue")) < 10, "the flagged submissions again")
    rows_of("queue")[0].find_element(By.TAG_NAME, "a").click()
    until(EC.presence_of_element_located((By.ID, "answers")), "the submission")
    submission_id = driver.current_url.rsplit("/", 1)[1]
    check(text_of("#submission-status") == "submitted", "the submission waits for review")
    flags = text_of("#flags")
    check("Checked in" in flags or "lasted" in flags, f"the flag explained: {flags}")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#answers tr[data-item]")) >= 30, "every answer")
    edit = driver.find_elements(By.CSS_SELECTOR, "#answers tr[data-item] button[aria-label^='Edit']")[0]
    item = edit.get_attribute("aria-label").replace("Edit the answer to ", "")
    edit.click()
    form = until(EC.presence_of_element_located((By.CSS_SELECTOR, "form[aria-label^='Edit the answer']")), "the edit form")
    form.find_element(By.NAME, "reason").send_keys("The photo shows otherwise.")
    select = form.find_elements(By.TAG_NAME, "select")
    if select:
        options = Select(select[0]).options
        Select(select[0]).select_by_index(1 if len(options) > 1 else 0)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(lambda d: "was changed" in text_of("main"), "the edit's confirmation")
    until(lambda d: "edited from" in d.find_element(By.CSS_SELECTOR, f"tr[data-item='{item}']").text,
          "the edited answer shows what it was")
    Select(driver.find_element(By.NAME, "grade")).select_by_value("4")
    driver.find_element(By.ID, "approve").click()
    until(lambda d: text_of("#submission-status") == "approved", "the approval")
    shot("review-approved")
    manager = api.login(MANAGER)
    _, approved = api.call("GET", f"/v1/submissions/{submission_id}", manager)
    check(approved["status"] == "approved", f"the API sees the approval: {approved['status']}")
    check(any(e["item_key"] == item for e in approved["edits"]), "the API has the reviewer's edit")
    check(approved["grade"] == 4, f"the API has the reviewer's grade: {approved.get('grade')}")

    # Another one goes back to its shopper with a comment on one item.
    driver.find_element(By.LINK_TEXT, "Review").click()
    until(lambda d: len(rows_of("queue")) == 9, "nine left in the queue")
    rows_of("queue")[0].find_element(By.TAG_NAME, "a").click()
    until(EC.presence_of_element_located((By.ID, "answers")), "another submission")
    returned_id = driver.current_url.rsplit("/", 1)[1]
    comment = driver.find_elements(By.CSS_SELECTOR, "#answers button[aria-label^='Comment on']")[0]
    commented = comment.get_attribute("aria-label").replace("Comment on ", "")
    comment.click()
    driver.find_element(By.CSS_SELECTOR, f"tr[data-item='{commented}'] textarea").send_keys(
        "Please add what the consultant said.")
    driver.find_element(By.ID, "return").click()
    until(lambda d: text_of("#submission-status") == "returned", "the return")
    _, back = api.call("GET", f"/v1/submissions/{returned_id}", manager)
    check(back["review"]["item_comments"] == {commented: "Please add what the consultant said."},
          f"the API has the item comment: {back['review']}")

    # An expired access token: the page refreshes the tokens (the API's refresh, no session of
    # its own) and goes on; the one refused call is the only error in the console.
    driver.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('shopgap.session'));"
        "s.access = 'expired'; sessionStorage.setItem('shopgap.session', JSON.stringify(s));")
    driver.refresh()
    until(EC.presence_of_element_located((By.ID, "submission-status")), "the page after a refresh of the tokens")
    refused = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    check(refused and all("401" in e["message"] for e in refused), f"only the expired token was refused: {refused}")
    renewed = driver.execute_script("return JSON.parse(sessionStorage.getItem('shopgap.session')).access")
    check(renewed != "expired", "the access token was renewed")

    # Beliefs beside delivered, the five gaps, corrective actions with their effect.
    driver.find_element(By.LINK_TEXT, "Beliefs & five gaps").click()
    until(EC.presence_of_element_located((By.ID, "ladder")), "the five-gap ladder")
    check("believe" in text_of("figcaption"), "the self-assessment chart's summary")
    shot("beliefs")
    driver.find_element(By.LINK_TEXT, "Actions").click()
    until(lambda d: len(rows_of("actions")) >= 3, "the corrective actions")
    rows_of("actions")[0].find_elements(By.TAG_NAME, "a")[1].click()
    until(EC.presence_of_element_located((By.ID, "action-title")), "an action's detail")
    check("Baseline" in text_of("section[aria-labelledby=action-title]"), "the action's baseline")
    shot("actions")
    # Shopper calibration: the demo's shoppers rate a little differently (two of them a lot).
    driver.find_element(By.LINK_TEXT, "Shoppers").click()
    until(lambda d: len(rows_of("calibration")) >= 10, "the shoppers' leniency")
    check("interval" in text_of("section[aria-labelledby=calibration-title]"), "the leniency's explanation")
    shot("shoppers")

    # Right to left: the whole page mirrors (the bar starts on the right).
    driver.get(f"{server.base}/app/?dir=rtl#/heatmap")
    until(EC.presence_of_element_located((By.ID, "heatmap")), "the heatmap right to left")
    check(driver.execute_script("return document.documentElement.dir") == "rtl", "dir=rtl")
    org = driver.find_element(By.CSS_SELECTOR, "header.bar .org").rect
    width = driver.execute_script("return document.documentElement.clientWidth")
    check(org["x"] > width / 2, f"the organization's name sits on the right ({org['x']} of {width})")
    shot("heatmap-rtl")
    driver.get(f"{server.base}/app/?dir=ltr#/heatmap")

    # A tablet: nothing wider than the screen but the heatmap, which scrolls in its card.
    driver.set_window_size(820, 1180)
    driver.refresh()
    until(EC.presence_of_element_located((By.ID, "heatmap")), "the heatmap on a tablet")
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    check(overflow <= 0, f"the page scrolls sideways by {overflow}px on a tablet")
    shot("heatmap-tablet")

    # Signing out ends the session: the sign-in form again, also after a reload.
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    until(EC.presence_of_element_located((By.NAME, "email")), "the sign-in form after signing out")
    driver.refresh()
    until(EC.presence_of_element_located((By.NAME, "email")), "still signed out after a reload")
    console_clean("sign-out")

    # A shopper signs in with the same form and is told the dashboard is for reviewers.
    driver.find_element(By.NAME, "email").send_keys(SHOPPER)
    driver.find_element(By.NAME, "password").send_keys(api.password_of(SHOPPER), Keys.ENTER)
    until(lambda d: "Managers and admins only" in text_of("main"), "the shopper's answer")
    check(not driver.find_elements(By.ID, "heatmap"), "no report for a shopper")
    shot("shopper")
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    until(EC.presence_of_element_located((By.NAME, "email")), "signed out again")
finally:
    driver.quit()
    if server.alive():
        server.process.terminate()
        server.process.wait(timeout=30)
print(f"[browser] the dashboard passed in a real browser ({server.backend}); screenshots in {args.screenshots}")
