"""How failures look: every one is a typed ``mm.MultiMarketsError``, raised before anything
is sent when the arguments are wrong, and naming the operation and trace id when the server
refused. ::

    python examples/error_handling.py
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

import multimarkets_async as mm


def show_rate_limit(info: mm.ResponseInfo) -> None:
    """Raw access: every HTTP response's status, headers and trace, as it arrives."""
    left = info.rate_limit.remaining  # parsed from the x-ratelimit-* headers
    print(f"  {info.biz_type} -> HTTP {info.http_status}, trace {info.trace}, {left} calls left")


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    async with mm.ManagerClient(on_response=show_rate_limit) as client:
        # 1. Bad arguments: a ValidationError (a ValueError) naming the argument; no request.
        try:
            await client.funds.adjust("86000001", trade_type=1, currency="USDT", amount=1.1)
        except mm.ValidationError as exc:
            print(f"refused before sending: {exc}")

        # 2. The server says no: a typed error with the vendor's code and the trace id.
        try:
            await client.customers.get(customer_no="86999999")
        except mm.NotFoundError as exc:
            print(f"not found: code {exc.code}, trace {exc.trace}")

        # 3. Writes are never replayed blindly: after an ambiguous failure, look the outcome
        #    up before trying again.
        proposal = await client.funds.adjust(
            "86000001", trade_type=1, currency="USDT", amount=Decimal("25.50"), remark="bonus"
        )
        print(f"adjusted: proposal {proposal}")

        # 4. Time: `total` bounds the whole call, retries and waits included.
        strict = client.with_options(timeout=mm.Timeout(total=2), max_retries=1)
        groups = await strict.customers.groups()
        print(f"{len(groups)} customer groups")

        # 5. One handler for the rest: every failure derives from MultiMarketsError.
        try:
            await client.request("customer.admin.NoSuchService.call", {}, write=False)
        except mm.RateLimitError as exc:
            print(f"slow down for {exc.retry_after} s")
        except mm.MultiMarketsError as exc:
            print(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
