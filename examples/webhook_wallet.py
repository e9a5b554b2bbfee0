"""A broker's wallet behind the platform's webhooks (external wallet settlement).

Serves the webhook app for an in-memory ledger on a loopback port, lets the sandbox's
platform trade against it (adjustments, retries, cancels), and prints the reconciliation.
A real broker keeps ``LedgerWallet`` and replaces the demo part with ``web.run_app(app)``.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal

from aiohttp import web

import multimarkets_async as mm
from multimarkets_async import webhooks
from multimarkets_async.sandbox import Platform


class LedgerWallet(webhooks.Wallet):
    """Balances per user and currency; debits below zero are refused."""

    def __init__(self) -> None:
        self.balances: dict[tuple[str, str], Decimal] = {}

    async def balance(self, q: webhooks.BalanceQuery) -> mm.Amount:
        return mm.Amount(self.balances.get((q.user_name, q.currency), Decimal(1000)))

    async def adjust(self, a: webhooks.Adjustment) -> None:
        key = (a.user_name, a.currency)
        balance = self.balances.get(key, Decimal(1000))
        if balance + a.amount < 0:
            raise webhooks.Rejected("US_1000001", "insufficient funds")
        self.balances[key] = balance + a.amount

    async def reverse(self, a: webhooks.Adjustment, c: webhooks.Cancellation) -> None:
        key = (a.user_name, a.currency)
        self.balances[key] = self.balances.get(key, Decimal(1000)) - a.amount


async def main() -> int:
    wallet = LedgerWallet()
    app = webhooks.create_app(wallet, company_id=439, store="memory")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    users = [(f"crm-{n}", f"{86000001 + n}") for n in range(10)]
    try:
        async with Platform(url, seed=1) as platform:
            report = await platform.run(users, 500)
    finally:
        await runner.cleanup()
    for (user, currency), net in sorted(report.net.items()):
        ledger = wallet.balances.get((user, currency), Decimal(1000))
        print(f"{user} {currency}: ledger {ledger}, platform {Decimal(1000) + net}")
        if ledger != Decimal(1000) + net:
            return 1
    print("reconciled")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
