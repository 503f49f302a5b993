"""The dashboard in headless chromium against the real stack (simulator, API and worker
processes): sign in, connect the simulated shop, a POPULATE with its live progress bar, the mode
fields, cancelling a job, retrying a fixed dead letter; no request ever leaves our origin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, Request, expect

from tests.support.browser import Screenshots, chromium
from tests.support.stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DOMAIN = "dashboard.myshopify.com"
SHOP_TOKEN = "shpat_dashboard_browser_token_000000000"
ORDERS = 4000
WAIT_MS = 60_000
SET_SCHEDULE = """mutation Set($shopId: ID!, $input: SetSyncScheduleInput!) {
  setSyncSchedule(shopId: $shopId, input: $input) { __typename }
}"""

# Samples the progress bar every 25 ms into window.__bar, so the test sees how it moved.
SAMPLE_BAR = """() => {
  window.__bar = [];
  setInterval(() => {
    const bar = document.querySelector('[data-testid=progress-bar]');
    if (bar) window.__bar.push({value: bar.hasAttribute('value') ? bar.value : null,
                                max: bar.max});
  }, 25);
}"""


@pytest.fixture
def stack(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=SHOP_TOKEN, orders=ORDERS, logs=tmp_path / "logs")
    env = {
        "POLL_INITIAL_DELAY_S": "0.2",
        "POLL_MAX_DELAY_S": "0.5",
        "BATCH_BYTES": "65536",  # many batches: the job's bytesRead advances in steps
    }
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="dashboard",
        seed=11,
        env=env,
        simulator_args=["--run-seconds", "1"],
    ):
        yield stack


@pytest.fixture
def page(stack: Stack) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A page of a fresh browser, every URL it requested, and its console errors and uncaught
    exceptions (a CSP violation is one)."""
    requested: list[str] = []
    problems: list[str] = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)

        def record(request: Request) -> None:
            requested.append(request.url)

        page.on("request", record)
        page.on("websocket", lambda ws: requested.append(ws.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page, requested, problems
        context.close()


def _job_row(page: Page, job_id: str) -> Any:
    return page.locator(f"tr[data-job-id='{job_id}']")


def _started_job_id(page: Page) -> str:
    notice = page.get_by_test_id("sync-notice")
    expect(notice).to_contain_text("started")
    return notice.inner_text().split()[1]


def test_dashboard_end_to_end(
    stack: Stack, page: tuple[Page, list[str], list[str]], tmp_path: Path, database_url: str
) -> None:
    browser_page, requested, problems = page
    shots = Screenshots(tmp_path / "screenshots", "dashboard")

    # Sign in: a wrong token is refused inline, the real one opens the shops screen.
    browser_page.goto(f"{stack.api_url}/")
    browser_page.get_by_test_id("token-input").fill("not-a-token")
    browser_page.get_by_role("button", name="Sign in").click()
    expect(browser_page.get_by_test_id("signin-error")).to_contain_text("not accepted")
    browser_page.get_by_test_id("token-input").fill(stack.api_token)
    browser_page.get_by_role("button", name="Sign in").click()
    expect(browser_page.get_by_test_id("connect-form")).to_be_visible()
    shots.take(browser_page, "signed-in")

    # Connect the simulated shop; a bad domain first shows the API's ValidationError inline.
    browser_page.get_by_test_id("connect-domain").fill("not a domain")
    browser_page.get_by_test_id("connect-accessToken").fill(SHOP_TOKEN)
    browser_page.get_by_test_id("connect-submit").click()
    expect(browser_page.get_by_test_id("connect-error")).to_contain_text("domain")
    browser_page.get_by_test_id("connect-domain").fill(DOMAIN)
    browser_page.get_by_test_id("connect-adminUrl").fill(stack.sim_url)
    browser_page.get_by_test_id("connect-initialSync").uncheck()
    browser_page.get_by_test_id("connect-submit").click()
    expect(browser_page.get_by_test_id("connect-notice")).to_contain_text(f"Connected {DOMAIN}")
    row = browser_page.locator(f"[data-testid=shop-row][data-domain='{DOMAIN}']")
    expect(row).to_contain_text("no schedule")
    # The list shows a shop's schedule (set over the API; no scheduler runs here).
    shop_id = (row.get_by_role("link").get_attribute("href") or "").rsplit("/", 1)[1]
    schedule = {"updateEveryMins": 15, "reconcileDaily": True, "reconcileAtUtc": "03:00"}
    result = stack.api.execute(SET_SCHEDULE, {"shopId": shop_id, "input": schedule})
    assert result["setSyncSchedule"]["__typename"] == "SyncScheduleSet", result
    browser_page.reload()
    expect(row.get_by_test_id("shop-schedule")).to_contain_text(
        "UPDATE every 15 min; RECONCILE daily 03:00 UTC; next "
    )
    shots.take(browser_page, "shops")

    # The shop's page; the mode's fields follow the mode.
    row.get_by_role("link", name=DOMAIN).click()
    expect(browser_page.get_by_test_id("shop-title")).to_have_text(DOMAIN)
    mode = browser_page.get_by_test_id("mode-select")
    days, stale = (
        browser_page.get_by_test_id("days-field"),
        browser_page.get_by_test_id("stale-field"),
    )
    expect(days).to_be_visible()
    expect(stale).to_be_hidden()
    for selected, days_shown, stale_shown in [
        ("UPDATE", False, True),
        ("FULL", False, False),
        ("RECONCILE", False, False),
        ("POPULATE", True, False),
    ]:
        mode.select_option(selected)
        expect(days).to_be_visible() if days_shown else expect(days).to_be_hidden()
        expect(stale).to_be_visible() if stale_shown else expect(stale).to_be_hidden()
        if selected == "UPDATE":
            shots.take(browser_page, "mode-update")

    # The API's ValidationError shows beside the form; nothing starts.
    browser_page.get_by_test_id("days-input").fill("0")
    browser_page.get_by_test_id("sync-now").click()
    expect(browser_page.get_by_test_id("sync-error")).to_contain_text("days")
    expect(browser_page.get_by_test_id("job-row")).to_have_count(0)
    browser_page.get_by_test_id("days-input").fill("")

    # A POPULATE: the bar appears, fills while the file is read, and the row completes.
    browser_page.evaluate(SAMPLE_BAR)
    browser_page.get_by_test_id("sync-now").click()
    populate = _started_job_id(browser_page)
    expect(browser_page.get_by_test_id("progress")).to_be_visible()
    shots.take(browser_page, "populate-queued")
    # Mid-file: the bar is part full (bytes read of the file's size), with a rate.
    browser_page.wait_for_function(
        "() => window.__bar.some(s => s.value !== null && s.value > 0 && s.value < s.max)"
    )
    shots.take(browser_page, "populate-ingesting")
    expect(_job_row(browser_page, populate)).to_have_attribute(
        "data-status", "COMPLETED", timeout=WAIT_MS
    )
    bar = browser_page.get_by_test_id("progress-bar")
    expect(bar).to_have_attribute("value", bar.get_attribute("max") or "")
    samples: list[dict[str, Any]] = browser_page.evaluate("window.__bar")
    final = samples[-1]
    assert final["value"] == final["max"] > 1, final
    values = [s["value"] for s in samples if s["value"] is not None]
    assert values == sorted(values), "the bar went backwards"
    created = _job_row(browser_page, populate).locator("td.num").first
    expect(created).to_have_text(f"{ORDERS:,}")
    shots.take(browser_page, "populate-completed")

    # Cancel: the operation never leaves CREATED, so the job is still active when clicked.
    stack.sim_post("/_sim/faults", {"kind": "stuck_created", "shop": DOMAIN})
    mode.select_option("FULL")
    browser_page.get_by_test_id("sync-now").click()
    full = _started_job_id(browser_page)
    cancel = browser_page.get_by_test_id("cancel-job")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(_job_row(browser_page, full)).to_have_attribute("data-status", "CANCELLED")
    expect(browser_page.get_by_test_id("sync-notice")).to_contain_text(f"Job {full} cancelled")
    shots.take(browser_page, "cancelled")
    _clear_faults(stack)

    # A dead letter: an order whose total does not cast, exported by an UPDATE.
    bad_amount = {"amount": "twelve", "currencyCode": "USD"}
    stack.sim_post(
        f"/_sim/shops/{DOMAIN}/orders",
        {"fields": {"totalPriceSet": {"shopMoney": bad_amount, "presentmentMoney": bad_amount}}},
    )
    mode.select_option("UPDATE")
    browser_page.get_by_test_id("stale-input").fill("60")
    browser_page.get_by_test_id("sync-now").click()
    update = _started_job_id(browser_page)
    expect(_job_row(browser_page, update)).to_have_attribute("data-status", "COMPLETED")
    failed = _job_row(browser_page, update).get_by_test_id("job-failed-lines")
    expect(failed).not_to_have_text("0")
    _job_row(browser_page, update).click()
    letters = browser_page.get_by_test_id("dead-letter-row")
    expect(letters.first).to_have_attribute("data-state", "open")
    shots.take(browser_page, "dead-letters")

    # Fix the stored line (README: correct it in the database), then Retry in the page.
    with psycopg.connect(database_url, autocommit=True) as conn:
        fixed = conn.execute(
            "UPDATE dead_letters SET line = replace(line, '\"twelve\"', '\"12.00\"') "
            "WHERE job_id = %s AND resolved_at IS NULL",
            (int(update),),
        ).rowcount
    assert fixed >= 1
    browser_page.get_by_test_id("retry-dead-letters").click()
    notice = browser_page.get_by_test_id("retry-notice")
    expect(notice).to_contain_text("still failing")
    expect(notice).to_contain_text(" 0 still failing")
    expect(failed).to_have_text("0")
    expect(letters.first).to_have_attribute("data-state", "ingested")
    shots.take(browser_page, "dead-letters-retried")

    # History pages by cursor: 25 older (scheduled) jobs behind the 3 above, 20 to a page.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO sync_jobs (shop_id, sync_mode, stale_after_mins, status, trigger,"
            " created_at, started_at, finished_at)"
            " SELECT %s, 'UPDATE', 20, 'COMPLETED', 'SCHEDULED', at, at, at"
            " FROM generate_series(1, 25) AS g,"
            " LATERAL (SELECT now() - g * interval '1 hour') AS t(at)",
            (int(shop_id),),
        )
    browser_page.reload()  # the token survives a reload (session storage)
    rows, more = browser_page.get_by_test_id("job-row"), browser_page.get_by_test_id("more-jobs")
    expect(rows).to_have_count(20)
    more.click()
    expect(rows).to_have_count(28)
    expect(more).to_be_hidden()
    expect(rows.last).to_contain_text("SCHEDULED")

    # GraphiQL renders offline too, and its headers pane authenticates a subscription.
    _graphiql_subscription(browser_page, stack, populate)
    shots.take(browser_page, "graphiql")

    assert all(stack.api_token not in url for url in requested), "the token went in a URL"
    ours = (stack.api_url, stack.api_url.replace("http://", "ws://"))
    foreign = [url for url in requested if not url.startswith(ours)]
    assert not foreign, f"requests outside the API's origin: {foreign}"
    assert any(url.startswith("ws://") for url in requested), "no subscription was opened"
    # The refused sign-in's 401 is expected: any other failed load or console error, a CSP
    # violation included, is not.
    assert [p for p in problems if "401" not in p] == [], problems


def _clear_faults(stack: Stack) -> None:
    httpx.delete(f"{stack.sim_url}/_sim/faults", timeout=10).raise_for_status()


def _graphiql_subscription(page: Page, stack: Stack, job_id: str) -> None:
    """GraphiQL from the dashboard's nav, in the same tab: signed in with the dashboard's token,
    it loads the schema and runs a subscription over the WebSocket."""
    page.get_by_role("link", name="GraphiQL").click()
    expect(page.locator(".graphiql-container")).to_be_visible()
    page.get_by_role("button", name=re.compile("Show Documentation Explorer")).click()
    expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Subscription")
    page.locator(".graphiql-query-editor .CodeMirror").first.click()
    page.keyboard.press("Control+A")
    # insert_text: CodeMirror's bracket auto-closing acts on typed keys only.
    page.keyboard.insert_text(
        f'subscription Watch {{ syncJobUpdated(id: "{job_id}") {{ id status }} }}'
    )
    # Executed only once GraphiQL's debounced editor state holds the parsed subscription
    # (it persists that state to its storage, the session storage, in the same step).
    page.wait_for_function(
        "() => (sessionStorage.getItem('graphiql:tabState') || '').includes('syncJobUpdated')"
    )
    page.get_by_role("button", name=re.compile("Execute query")).click()
    expect(page.locator(".result-window")).to_contain_text('"status": "COMPLETED"')
    # The token lives in the tab's session storage only: nothing of it in localStorage (where
    # GraphiQL's history would keep it by default).
    assert stack.api_token not in page.evaluate("JSON.stringify(localStorage)")
