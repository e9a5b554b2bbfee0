"""A service answering one request: look a customer up and read their trading accounts.

Credentials come from the ``MULTIMARKETS_*`` environment variables. To try it locally, start
the sandbox in another terminal (``multimarkets-async sandbox --port 9000``), set the variables
it prints, then run::

    python examples/service_call.py 86000001
"""

from __future__ import annotations

import asyncio
import sys

import multimarkets_async as mm


async def customer_summary(client: mm.ManagerClient, customer_no: str) -> dict[str, object] | None:
    """What a CRM screen shows for one customer, or None if there is no such customer."""
    try:
        detail = await client.customers.get(customer_no=customer_no)
    except mm.NotFoundError:
        return None
    accounts = await client.funds.accounts(customer_no, trade_type=mm.TradeType.CFD_CROSS)
    return {
        "customer_no": detail.customer_no,
        "name": detail.name,
        "email": detail.email,
        "balances": {a.currency: str(a.balance) for a in accounts if a.currency},
    }


async def main(customer_no: str) -> int:
    # One client per process, shared by every request the service handles.
    async with mm.ManagerClient() as client:
        # A request handler has a deadline of its own: `total` bounds the whole call, retries,
        # backoff waits and a login included.
        quick = client.with_options(timeout=mm.Timeout(total=5))
        summary = await customer_summary(quick, customer_no)
    if summary is None:
        print(f"no customer {customer_no}")
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "86000001")))
