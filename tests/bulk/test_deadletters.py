"""Dead letters: listing a job's, and retrying the open ones through the ingest's merge."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from bulk.deadletters import RetryResult, list_dead_letters, retry_dead_letters
from bulk.ingest import Checkpoint
from bulk.types import SyncMode
from tests.support.ingest import (
    assert_identity,
    item,
    job_stats,
    jsonl,
    make_ingestor,
    make_job,
    make_shop,
    order,
    run,
    table_rows,
)

Conn = psycopg.Connection[Any]


def _fix(conn: Conn, letter_id: int, line: str) -> None:
    conn.execute("UPDATE dead_letters SET line = %s WHERE id = %s", (line, letter_id))


def _job_with_bad_lines(conn: Conn, mode: SyncMode = SyncMode.FULL) -> tuple[int, int, bytes]:
    shop = make_shop(conn)
    job = make_job(conn, shop, mode)
    data = jsonl([
        order(1),
        order(2, updatedAt="not-a-date"),  # its line items become orphans at the end
        item(21, 2),
        item(22, 2),
        b'{"id": "gid://shopify/Order/3", "name": ',
        item(11, 1, quantity="x"),
        item(12, 1),
    ])  # fmt: skip
    run(conn, data, job_id=job, shop_id=shop, mode=mode)
    return shop, job, data


def test_list_gives_every_field_in_file_order(conn: Conn) -> None:
    _shop, job, _data = _job_with_bad_lines(conn)
    letters = list_dead_letters(conn, job)
    assert [letter.line_number for letter in letters] == [2, 3, 4, 5, 6]
    assert letters[0].byte_offset == len(jsonl([order(1)]))
    assert "updatedAt" in letters[0].reason and '"not-a-date"' in letters[0].line
    assert letters[1].reason == "parent order gid://shopify/Order/2 not in the export"
    assert all(letter.retried_at is None and letter.resolved_at is None for letter in letters)
    assert letters[0].created_at is not None
    assert [letter.line_number for letter in list_dead_letters(conn, job, limit=2)] == [2, 3]
    assert list_dead_letters(conn, job + 1) == []


def test_retry_without_changes_keeps_them_open_and_stamps_retried_at(conn: Conn) -> None:
    _shop, job, _data = _job_with_bad_lines(conn)
    before = job_stats(conn, job)
    reasons = {letter.id: letter.reason for letter in list_dead_letters(conn, job)}
    assert retry_dead_letters(conn, job) == RetryResult(retried=5, resolved=0, still_failing=5)
    letters = list_dead_letters(conn, job)
    assert {letter.id: letter.reason for letter in letters} == reasons
    assert all(letter.retried_at is not None and letter.resolved_at is None for letter in letters)
    assert job_stats(conn, job) == before
    assert conn.execute("SELECT count(*) FROM pending_line_items").fetchone() == (0,)
    assert_identity(conn, job)


def test_fixed_lines_and_orphans_whose_order_arrived_are_resolved(conn: Conn) -> None:
    _shop, job, _data = _job_with_bad_lines(conn)
    letters = {letter.line_number: letter for letter in list_dead_letters(conn, job)}
    assert letters[2].line_number is not None
    _fix(conn, letters[2].id, letters[2].line.replace("not-a-date", "2026-01-02T00:00:00Z"))
    _fix(conn, letters[6].id, letters[6].line.replace('"x"', "3"))
    before = job_stats(conn, job)
    assert retry_dead_letters(conn, job) == RetryResult(retried=5, resolved=4, still_failing=1)
    # Order 2 arrived (decided "created"), so its orphaned line items went in with it.
    rows = {r[1]: r for r in table_rows(conn, "orders")}
    assert set(rows) == {"gid://shopify/Order/1", "gid://shopify/Order/2"}
    items = {r[1]: r[8] for r in table_rows(conn, "line_items")}
    assert items == {
        "gid://shopify/LineItem/11": 3,
        "gid://shopify/LineItem/12": 2,
        "gid://shopify/LineItem/21": 2,
        "gid://shopify/LineItem/22": 2,
    }
    after = job_stats(conn, job)
    assert after["failed_lines"] == before["failed_lines"] - 4 == 1
    assert after["orders_created"] == before["orders_created"] + 1 == 2
    assert after["line_items_written"] == before["line_items_written"] + 3 == 4
    assert (after["lines_read"], after["checkpoint_byte"]) == (
        before["lines_read"],
        before["checkpoint_byte"],
    )
    assert conn.execute(
        "SELECT action FROM job_orders WHERE order_id = 'gid://shopify/Order/2'"
    ).fetchone() == ("created",)
    open_letters = list_dead_letters(conn, job)
    assert [letter.line_number for letter in open_letters] == [5]
    assert open_letters[0].reason.startswith("invalid JSON")
    everything = list_dead_letters(conn, job, only_open=False)
    assert len(everything) == 5
    assert all(letter.retried_at is not None for letter in everything)
    assert sum(letter.resolved_at is not None for letter in everything) == 4
    # Nothing left to resolve: a second retry changes nothing but the stamps.
    assert retry_dead_letters(conn, job) == RetryResult(retried=1, resolved=0, still_failing=1)
    assert assert_identity(conn, job)["failed_lines"] == 1


def test_orphan_resolves_once_its_order_is_decided_by_the_job(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = jsonl([order(1), item(91, 9)])
    run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL)
    assert retry_dead_letters(conn, job) == RetryResult(1, 0, 1)
    # The order turns up for this job after the orphan was dead-lettered (more of the file).
    ingestor = make_ingestor(conn, job, shop)
    ingestor.ingest([jsonl([order(9)])], start=Checkpoint(2, len(data)))
    assert retry_dead_letters(conn, job) == RetryResult(1, 1, 0)
    assert [r[1] for r in table_rows(conn, "line_items")] == ["gid://shopify/LineItem/91"]
    stats = assert_identity(conn, job)
    assert (stats["failed_lines"], stats["line_items_written"]) == (0, 1)


def test_populate_retry_follows_the_jobs_decisions(conn: Conn) -> None:
    shop = make_shop(conn)
    run(conn, jsonl([order(1)]), job_id=make_job(conn, shop, SyncMode.POPULATE), shop_id=shop,
        mode=SyncMode.POPULATE)  # fmt: skip
    job = make_job(conn, shop, SyncMode.POPULATE)
    run(conn, jsonl([order(1), item(11, 1, quantity="x"), order(2, updatedAt="bad")]),
        job_id=job, shop_id=shop, mode=SyncMode.POPULATE)  # fmt: skip
    # The bad date makes the merge diagnose every line: line item 11's bad quantity too.
    letters = list_dead_letters(conn, job)
    assert [letter.line_number for letter in letters] == [2, 3]
    _fix(conn, letters[1].id, letters[1].line.replace('"bad"', '"2026-01-01T00:00:00Z"'))
    # On retry, line item 11 follows its skipped order (its values are not even cast).
    assert retry_dead_letters(conn, job) == RetryResult(2, 2, 0)
    stats = assert_identity(conn, job)
    assert (stats["orders_skipped"], stats["orders_created"], stats["failed_lines"]) == (1, 1, 0)
    assert (stats["line_items_skipped"], stats["line_items_written"]) == (1, 0)


def test_retries_of_one_job_do_not_overlap(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        _shop, job, _data = _job_with_bad_lines(conn)
    with (
        psycopg.connect(database_url) as first,
        psycopg.connect(database_url, autocommit=True) as second,
    ):
        first.execute("SELECT 1")  # a transaction is open: the retry's stays open inside it
        assert retry_dead_letters(first, job).retried == 5
        held = first.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
            " AND pid = pg_backend_pid()",
            (job,),
        ).fetchone()
        assert held == (1,)
        results: list[RetryResult] = []
        waiter = threading.Thread(target=lambda: results.append(retry_dead_letters(second, job)))
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive() and results == []
        first.commit()
        waiter.join(timeout=10)
        assert results == [RetryResult(5, 0, 5)]


def test_retrying_an_old_jobs_dead_letters_never_goes_back_in_time(conn: Conn) -> None:
    shop = make_shop(conn)
    old = make_job(conn, shop, SyncMode.FULL)
    run(conn, jsonl([order(1), item(11, 1), item(12, 1, quantity="x"),
                     order(2, updatedAt="bad")]),
        job_id=old, shop_id=shop, mode=SyncMode.FULL)  # fmt: skip
    newer = make_job(conn, shop, SyncMode.FULL)
    later = "2026-05-01T00:00:00Z"
    run(conn, jsonl([order(1, later), item(11, 1, sku="new"), item(12, 1, sku="new"),
                     order(2, later, name="new")]),
        job_id=newer, shop_id=shop, mode=SyncMode.FULL)  # fmt: skip
    before = table_rows(conn, "orders"), table_rows(conn, "line_items")
    letters = list_dead_letters(conn, old)
    assert [letter.line_number for letter in letters] == [3, 4]
    _fix(conn, letters[0].id, letters[0].line.replace('"x"', "3"))
    _fix(conn, letters[1].id, letters[1].line.replace('"bad"', '"2026-01-02T00:00:00Z"'))
    assert retry_dead_letters(conn, old) == RetryResult(retried=2, resolved=2, still_failing=0)
    assert (table_rows(conn, "orders"), table_rows(conn, "line_items")) == before
    done = list_dead_letters(conn, old, only_open=False)
    assert [(letter.resolution, letter.resolved_at is not None) for letter in done] == [
        ("superseded", True),
        ("superseded", True),
    ]
    stats = assert_identity(conn, old)  # both lines counted by their decisions: not written
    assert (stats["failed_lines"], stats["orders_unchanged"]) == (0, 1)


def test_a_retried_line_item_of_a_losing_version_is_not_written(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    older = [order(1, "2026-01-01T00:00:00Z"), item(11, 1), item(12, 1, quantity="x")]
    newer = [order(1, "2026-02-01T00:00:00Z"), item(13, 1)]
    run(conn, jsonl(older + newer), job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=1)
    (letter,) = list_dead_letters(conn, job)
    _fix(conn, letter.id, letter.line.replace('"x"', "3"))
    assert retry_dead_letters(conn, job) == RetryResult(1, 1, 0)
    # Line item 12 belongs to the older line of order 1: skipped; the order is exactly the newer.
    assert [r[1] for r in table_rows(conn, "line_items")] == ["gid://shopify/LineItem/13"]
    assert assert_identity(conn, job)["line_items_skipped"] >= 1
