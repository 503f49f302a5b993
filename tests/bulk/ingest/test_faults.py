"""Ingest faults: bad lines, resume after a stop, fencing, a failing download, line endings."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bulk.deadletters import list_dead_letters, retry_dead_letters
from bulk.errors import LeaseLost
from bulk.ingest import Checkpoint
from bulk.types import JobStatus, SyncMode
from simulator.server import SimulatorServer
from tests.support.ingest import (
    assert_identity,
    chunked,
    dead_letters,
    item,
    job_stats,
    jsonl,
    make_ingestor,
    make_job,
    make_shop,
    order,
    run,
    shop_file,
    table_rows,
)
from tests.support.shopify_sim import (
    add_fault,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    run_job,
    sim_config,
    sim_operations,
    store_shop,
)

Conn = psycopg.Connection[Any]


def test_every_bad_line_kind_is_dead_lettered_and_the_rest_commits(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    lines: list[Any] = [
        order(1),
        b'{"id": "gid://shopify/Order/2", "name": ',  # invalid JSON
        b"[1, 2]",  # not an object
        b'{"name": "no id"}',  # missing id
        b'{"id": 17}',  # non-string id
        b'{"id": "gid://shopify/Customer/5"}',  # unknown gid type
        b'{"id": "gid://shopify/LineItem/5"}',  # line item without __parentId
        order(3, updatedAt="not-a-date"),
        order(4, totalPriceSet={"shopMoney": {"amount": "abc", "currencyCode": "EUR"}}),
        item(11, 1, quantity="x"),
        b'{"id": "gid://shopify/Order/6", "name": "\xff\xfe"}',  # invalid UTF-8
        item(12, 1),
        b"",  # empty line
    ]
    data = jsonl(lines)
    result = run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=1 << 20)
    assert result.eof and result.batches == 1
    letters = dead_letters(conn, job)
    offsets = [0]
    for line in data.split(b"\n")[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    numbers = [r[0] for r in letters]
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    assert all(r[1] == offsets[r[0] - 1] for r in letters)
    reasons = {r[0]: r[2] for r in letters}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "not a JSON object"
    assert reasons[4] == reasons[5] == "missing or non-string id"
    assert reasons[6] == "unknown gid type: gid://shopify/Customer/5"
    assert reasons[7] == "line item without __parentId"
    assert "updatedAt" in reasons[8] and "not-a-date" in reasons[8]
    assert "totalPriceSet" in reasons[9]
    assert "quantity" in reasons[10]
    assert reasons[11].startswith("invalid UTF-8")
    assert reasons[13] == "empty line"
    assert {r[0]: r[3] for r in letters}[3] == "[1, 2]"
    assert [r[1] for r in table_rows(conn, "orders")] == ["gid://shopify/Order/1"]
    assert [r[1] for r in table_rows(conn, "line_items")] == ["gid://shopify/LineItem/12"]
    stats = job_stats(conn, job)
    assert stats["failed_lines"] == 11 and stats["lines_read"] == 13
    assert stats["orders_created"] == 1 and stats["line_items_written"] == 1


def _one_pass(database_url: str, data: bytes) -> tuple[Any, ...]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE shops CASCADE")
        shop = make_shop(conn)
        job = make_job(conn, shop, SyncMode.FULL)
        run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=500)
        return _final(conn, job)


def _final(conn: Conn, job: int) -> tuple[Any, ...]:
    return (
        [r[1:] for r in table_rows(conn, "orders")],
        [r[1:] for r in table_rows(conn, "line_items")],
        job_stats(conn, job),
        [r[:3] for r in dead_letters(conn, job)],
    )


def test_kill_and_resume_gives_the_same_result_as_one_pass(database_url: str) -> None:
    data = shop_file(8, 3, layout="children_first") + jsonl([item(999, 77), b"oops"])
    expected = _one_pass(database_url, data)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE shops CASCADE")
        shop = make_shop(conn)
        job = make_job(conn, shop, SyncMode.FULL)
        checkpoint = Checkpoint(0, 0)
        slices = 0
        while True:
            # A new ingestor per slice, as after a kill; an expired deadline stops after 1 batch.
            ingestor = make_ingestor(conn, job, shop, batch_bytes=500)
            result = ingestor.ingest(chunked(data[checkpoint.byte :], 11), start=checkpoint,
                                     deadline=0.0)  # fmt: skip
            checkpoint = result.checkpoint
            slices += 1
            if result.eof:
                break
        assert slices > 3
        make_ingestor(conn, job, shop).finish()
        assert _final(conn, job) == expected
        assert_identity(conn, job)
    assert expected[2]["failed_lines"] == 2


def test_stale_lease_or_checkpoint_raises_lease_lost_and_writes_nothing(conn: Conn) -> None:
    shop = make_shop(conn)
    token = uuid.uuid4()
    job = make_job(conn, shop, SyncMode.FULL, lease_token=token)
    data = shop_file(2, 1)
    with pytest.raises(LeaseLost):
        make_ingestor(conn, job, shop, lease_token=uuid.uuid4()).ingest(
            [data], start=Checkpoint(0, 0)
        )
    with pytest.raises(LeaseLost):
        make_ingestor(conn, job, shop, lease_token=token, operation_id="gid://other").ingest(
            [data], start=Checkpoint(0, 0)
        )
    with pytest.raises(LeaseLost):
        make_ingestor(conn, job, shop, lease_token=token).ingest([data[5:]], start=Checkpoint(1, 5))
    assert table_rows(conn, "orders") == [] and job_stats(conn, job)["lines_read"] == 0
    # The rightful owner proceeds; replaying the same start afterwards is fenced out.
    make_ingestor(conn, job, shop, lease_token=token).ingest([data], start=Checkpoint(0, 0))
    with pytest.raises(LeaseLost):
        make_ingestor(conn, job, shop, lease_token=token).ingest([data], start=Checkpoint(0, 0))
    assert job_stats(conn, job)["orders_created"] == 2
    assert_identity(conn, job)


def test_chunk_iterator_failing_mid_batch_commits_nothing_of_that_batch(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = shop_file(6, 2)
    cut = len(jsonl([order(1), item(100, 1), item(101, 1)]))

    def broken() -> Iterator[bytes]:
        yield data[:cut]
        yield data[cut : cut + 40]
        raise ConnectionError("download broke")

    ingestor = make_ingestor(conn, job, shop, batch_bytes=cut)
    with pytest.raises(ConnectionError):
        ingestor.ingest(broken(), start=Checkpoint(0, 0))
    stats = job_stats(conn, job)
    assert (stats["checkpoint_line"], stats["checkpoint_byte"]) == (3, cut)
    assert len(table_rows(conn, "orders")) == 1 and len(table_rows(conn, "line_items")) == 2
    assert_identity(conn, job)
    result = make_ingestor(conn, job, shop).ingest([data[cut:]], start=Checkpoint(3, cut))
    assert result.eof and result.checkpoint == Checkpoint(18, len(data))
    assert len(table_rows(conn, "orders")) == 6 and len(table_rows(conn, "line_items")) == 12
    assert_identity(conn, job)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_line_endings_and_a_last_line_without_newline(conn: Conn, ending: bytes) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = ending.join(jsonl([order(1), item(11, 1), order(2)]).splitlines())  # no final newline
    result = run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL)
    assert result.eof and result.checkpoint == Checkpoint(3, len(data))
    assert len(table_rows(conn, "orders")) == 2 and dead_letters(conn, job) == []


def test_unicode_quotes_and_backslashes_survive_in_raw(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    name = 'Zoë "quoted" \\ back\\slash \u2603 \U0001f600 tab\t end'
    line = (
        '{"id":"gid://shopify/Order/1","name":"Zo\u00eb \\"quoted\\" \\\\ back\\\\slash '
        '\u2603 \U0001f600 tab\\t end","updatedAt":"2026-01-01T00:00:00Z","note":"\\u00e9"}'
    )
    run(conn, (line + "\n").encode(), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    row = conn.execute("SELECT name, raw ->> 'note', raw FROM orders").fetchone()
    assert row is not None
    assert row[0] == name and row[1] == "\u00e9"
    assert row[2]["name"] == name


def test_a_dead_lettered_line_item_is_not_deleted_until_its_retry_goes_in(conn: Conn) -> None:
    shop = make_shop(conn)
    run(conn, jsonl([order(1), item(11, 1), item(12, 1), item(13, 1)]),
        job_id=make_job(conn, shop, SyncMode.FULL), shop_id=shop, mode=SyncMode.FULL)  # fmt: skip
    job = make_job(conn, shop, SyncMode.FULL)
    # Order 1 changed: item 12's new line fails, item 13 is gone.
    newer = [order(1, "2026-03-01T00:00:00Z"), item(11, 1, sku="n11"), item(12, 1, quantity="x")]
    run(conn, jsonl(newer), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    skus = dict(conn.execute("SELECT id, sku FROM line_items").fetchall())
    assert skus == {
        "gid://shopify/LineItem/11": "n11",
        "gid://shopify/LineItem/12": "SKU-12",  # kept: its new line is a dead letter
        "gid://shopify/LineItem/13": "SKU-13",  # kept until the order's lines all went in
    }
    assert job_stats(conn, job)["line_items_deleted"] == 0
    (letter,) = list_dead_letters(conn, job)
    conn.execute(
        "UPDATE dead_letters SET line = replace(line, '\"x\"', '3') WHERE id = %s", (letter.id,)
    )
    assert retry_dead_letters(conn, job).resolved == 1
    rows = conn.execute("SELECT id, sku, quantity FROM line_items ORDER BY id").fetchall()
    assert rows == [("gid://shopify/LineItem/11", "n11", 2),
                    ("gid://shopify/LineItem/12", "SKU-12", 3)]  # fmt: skip
    assert job_stats(conn, job)["line_items_deleted"] == 1
    assert_identity(conn, job)


@pytest.mark.parametrize("batch_bytes", [1, 1 << 20])
def test_lone_surrogates_and_values_over_postgres_limits_are_dead_letters(
    conn: Conn, batch_bytes: int
) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    long_id = "gid://shopify/Order/" + "9" * 3000
    lines: list[Any] = [
        order(1),
        b'{"id":"gid://shopify/Order/2","name":"a\\udc00b","updatedAt":"2026-01-01T00:00:00Z"}',
        b'{"id":"gid://shopify/Order/3\\udc00","updatedAt":"2026-01-01T00:00:00Z"}',
        order(4, id=long_id),
        item(41, 1, __parentId=long_id),
        order(5, totalPriceSet={"shopMoney": {"amount": "1e200000", "currencyCode": "EUR"}}),
        item(11, 1),
    ]
    result = run(conn, jsonl(lines), job_id=job, shop_id=shop, mode=SyncMode.FULL,
                 batch_bytes=batch_bytes)  # fmt: skip
    assert result.eof
    letters = dead_letters(conn, job)
    assert [r[0] for r in letters] == [2, 3, 4, 5, 6]
    reasons = [r[2] for r in letters]
    assert "surrogate" in reasons[0] and "surrogate" in reasons[1]
    assert "too long" in reasons[2] and "too long" in reasons[3]
    assert "totalPriceSet" in reasons[4]
    assert [r[1] for r in table_rows(conn, "orders")] == ["gid://shopify/Order/1"]
    assert [r[1] for r in table_rows(conn, "line_items")] == ["gid://shopify/LineItem/11"]
    assert_identity(conn, job)


def test_a_line_over_the_limit_is_a_dead_letter_and_the_rest_commits(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    huge = order(2, note="n" * (3 << 20))
    data = jsonl([order(1), huge, item(11, 1), order(3)])
    ingestor = make_ingestor(conn, job, shop, batch_bytes=1 << 20, max_line_bytes=1 << 20)
    result = ingestor.ingest(chunked(data, 1 << 16), start=Checkpoint(0, 0))
    ingestor.finish()
    assert result.eof and result.checkpoint == Checkpoint(4, len(data))
    ((number, offset, reason, text),) = dead_letters(conn, job)
    assert (number, offset) == (2, len(jsonl([order(1)])))
    assert reason == f"line too long: {len(jsonl([huge])) - 1} bytes (limit 1048576)"
    assert text.startswith('{"id":"gid://shopify/Order/2"') and len(text) <= 4096
    assert [r[1] for r in table_rows(conn, "orders")] == [
        "gid://shopify/Order/1",
        "gid://shopify/Order/3",
    ]
    assert_identity(conn, job)


def test_a_new_operation_after_a_reset_counts_its_file_once(conn: Conn, database_url: str) -> None:
    """URL expired for good mid-ingest → a new operation from byte 0: the stats describe the new
    file alone and the first file's dead letters are superseded, not counted twice."""
    settings = {"ingest_slice_s": 0.0, "batch_bytes": 4 * 1024}
    with SimulatorServer(sim_config(30)) as server:
        shop_id = store_shop(conn, server)
        job_id = new_job(conn, shop_id)
        with open_pool(database_url) as pool:
            runner = make_runner(pool, fast_settings(database_url, **settings))
            for _ in range(50):  # submit, poll, then one ingest slice (one batch)
                runner.advance(job_id)
                if job_of(conn, job_id).checkpoint_byte > 0:
                    break
        assert job_of(conn, job_id).checkpoint_byte > 0
        # A line of the first file that failed (as the ingest records it).
        conn.execute(
            "INSERT INTO dead_letters (job_id, shop_id, line_number, byte_offset, reason, line)"
            " VALUES (%s, %s, 1, 0, 'invalid JSON', '{')",
            (job_id, shop_id),
        )
        conn.execute("UPDATE sync_jobs SET failed_lines = failed_lines + 1 WHERE id = %s",
                     (job_id,))  # fmt: skip
        add_fault(server, "url_expired", count=2)  # the refresh fails too: resubmitted
        run_job(database_url, job_id, settings=settings)
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED and job.bulk_attempts == 2, job.error
        last = sim_operations(server)[-1]
    stats = assert_identity(conn, job_id)
    assert stats["lines_read"] == int(last["objectCount"])
    assert stats["bytes_read"] == int(last["fileSize"])
    # Orders the first file had written count as updated by the second (this job wrote them).
    assert stats["failed_lines"] == 0
    assert stats["orders_created"] + stats["orders_updated"] == 30 < stats["orders_created"] * 2
    assert [(letter.resolution, letter.resolved_at is not None)
            for letter in list_dead_letters(conn, job_id, only_open=False)] == [
        ("superseded", True)
    ]  # fmt: skip


@pytest.mark.parametrize("shape", [b"[" * 8000 + b"]" * 8000, b"[[]," * 8000 + b"[]" + b"]" * 8000])
def test_a_line_nested_too_deep_is_a_dead_letter_in_bounded_memory(
    conn: Conn, shape: bytes
) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    deep = b'{"id":"gid://shopify/Order/2","x":' + shape + b"}"
    data = jsonl([order(1), deep, item(11, 1)])
    tracemalloc.start()
    try:
        run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, peak  # ijson's path strings grow with the square of the depth
    ((number, _offset, reason, _text),) = dead_letters(conn, job)
    assert number == 2 and reason.startswith("nested too deep"), reason
    assert [r[1] for r in table_rows(conn, "line_items")] == ["gid://shopify/LineItem/11"]
    assert_identity(conn, job)
