"""The whole path with real parts: GraphQL API → Dramatiq worker on Redis → simulator over HTTP →
JSONL streamed into Postgres. Every process is a real child process; the test talks to them only
over HTTP and reads the database to check the exact rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mirror import assert_mirror, read_mirror
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

DOMAIN = "e2e.myshopify.com"
TOKEN = "shpat_e2e_secret_token_123"
ORDERS = 300


# The client pins groupObjects: false, so children are never next to their parent; the
# adversarial layout also puts some of them before it (ordering Shopify does not promise).
@pytest.fixture(params=["ungrouped", "adversarial"])
def stack(
    database_url: str, redis_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    env = {
        "POLL_INITIAL_DELAY_S": "0.2",
        "POLL_MAX_DELAY_S": "0.5",
        "BATCH_BYTES": "65536",  # many batches, so checkpoints really advance mid-file
    }
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="e2e",
        seed=7,
        env=env,
        simulator_args=["--run-seconds", "0", "--layout", request.param],
    ):
        yield stack


def test_populate_populate_update(stack: Stack, database_url: str) -> None:
    connected = stack.connect()
    shop_id = connected["shop"]["id"]
    initial = connected["initialJob"]
    assert initial["syncMode"] == "POPULATE"

    # 1. The initial POPULATE creates every order and line item.
    populate = stack.wait(initial["id"])
    assert populate["status"] == "COMPLETED", populate
    shopify = stack.shopify_orders()
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    assert len(shopify) == ORDERS
    stats = populate["stats"]
    assert stats["ordersCreated"] == ORDERS
    assert stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == ORDERS + line_items
    assert stats["ordersSkipped"] == stats["ordersUpdated"] == stats["failedLines"] == 0
    assert stats["bytesRead"] > 0
    assert_mirror(database_url, shopify)
    before_orders, before_items = read_mirror(database_url)

    # 2. A second POPULATE skips everything and rewrites nothing.
    again = stack.start(shopId=shop_id, syncMode="POPULATE")
    assert again["status"] == "COMPLETED", again
    assert again["stats"]["ordersSkipped"] == ORDERS
    assert again["stats"]["ordersCreated"] == again["stats"]["lineItemsWritten"] == 0
    assert again["stats"]["lineItemsSkipped"] == line_items
    assert read_mirror(database_url) == (before_orders, before_items)

    # 3. Shopify changes some orders and adds some; UPDATE brings exactly those.
    changed = stack.sim_post(
        f"/_sim/shops/{DOMAIN}/orders/mutate", {"update": 20, "create": 5, "seed": 3}
    )
    assert len(changed["updated"]) == 20 and len(changed["created"]) == 5
    update = stack.start(shopId=shop_id, syncMode="UPDATE", staleAfterMins=60)
    assert update["status"] == "COMPLETED", update
    assert update["stats"]["ordersCreated"] == 5
    assert update["stats"]["ordersUpdated"] == 20
    assert update["stats"]["failedLines"] == 0
    shopify = stack.shopify_orders()
    assert_mirror(database_url, shopify)
    after_orders, after_items = read_mirror(database_url)
    touched = set(changed["updated"]) | set(changed["created"])
    for order_id, row in before_orders.items():
        if order_id not in touched:
            assert after_orders[order_id] == row, f"{order_id} was rewritten"
    for item_id, row in before_items.items():
        if row["order_id"] not in touched:
            assert after_items[item_id] == row, f"{item_id} was rewritten"
