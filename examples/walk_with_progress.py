"""Walk every customer page by page, reporting progress as it goes.

``pages()`` yields whole pages in order; each says the listing's ``total``, so progress needs no
extra request. The walk's ``stats`` say afterwards whether it can vouch for every record. ::

    python examples/walk_with_progress.py
"""

from __future__ import annotations

import asyncio
import sys
import time

import multimarkets_async as mm


async def main() -> int:
    async with mm.ManagerClient() as client:
        customers = client.customers.list(page_size=1000, concurrency=4)
        started = time.monotonic()
        seen = 0
        groups: dict[int | None, int] = {}
        async for page in customers.pages():
            for customer in page.records:
                groups[customer.customer_group_id] = groups.get(customer.customer_group_id, 0) + 1
            seen += len(page.records)
            rate = seen / max(time.monotonic() - started, 1e-9)
            print(f"page {page.current}: {seen:,}/{page.total:,} customers, {rate:,.0f}/s")
        stats = customers.stats
    print(f"{seen:,} customers in {len(groups)} groups; exact: {stats.exact}")
    for problem in stats.problems:
        print("  ", problem)
    return 0 if stats.exact else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
