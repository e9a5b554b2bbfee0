"""One worker of the shared-budget tests, run as its own process: walks the customers of the
sandbox at ``base_url`` (concurrency 8, small pages) with the rate-limit store given (``-`` for
none) and prints ``{"ids": [...], "exact": bool}`` as JSON. Warnings go to stderr."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import multimarkets_async as mm

PAGE_SIZE = 20
CONCURRENCY = 8


async def main(base_url: str, store: str) -> None:
    settings = {} if store == "-" else {"rate_limit_store": store}
    async with mm.ManagerClient(
        "sandbox-app-id", "sandbox-app-secret", 439, base_url, max_retries=30, **settings
    ) as client:
        walk = client.customers.list(page_size=PAGE_SIZE, concurrency=CONCURRENCY)
        ids = [customer.id async for customer in walk]
    print(json.dumps({"ids": ids, "exact": walk.stats.exact}))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
