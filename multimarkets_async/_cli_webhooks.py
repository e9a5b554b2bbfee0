"""``multimarkets-async webhooks``: ``demo`` serves an in-memory ledger wallet behind the
webhook app and lets the sandbox's platform trade against it, then prints the reconciliation;
``platform`` plays the platform against a broker's webhooks at ``--url``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from decimal import Decimal
from typing import Any

from .sandbox import Platform
from .webhooks import MemoryWallet

EPILOG = """\
demo: exit status 0 when the wallet's ledger equals what the platform believes (every
adjustment applied once, every cancel reversed once), 1 otherwise.
platform: prints what the platform saw and believes; exit status 0."""


def add_webhooks_parser(commands: Any, *, formatter: type[argparse.HelpFormatter]) -> None:
    """The ``webhooks`` command's options."""
    hooks = commands.add_parser(
        "webhooks",
        help="serve or exercise the platform's webhooks (external wallet settlement)",
        description="demo: run an in-memory ledger wallet behind the webhook app and the "
        "platform against it; platform: call a broker's webhooks as the platform does.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    hooks.add_argument(
        "action",
        choices=["demo", "platform"],
        help="demo: a ledger wallet and the platform against it; platform: against --url",
    )
    hooks.add_argument("--url", help="platform: the broker's webhook base URL")
    hooks.add_argument("--company-id", type=int, default=439, help="the companyId header")
    hooks.add_argument("--count", type=int, default=2000, help="adjustments to send")
    hooks.add_argument("--users", type=int, default=50, help="users to trade for")
    hooks.add_argument("--seed", type=int, default=0, help="seed of the platform's mix")
    hooks.add_argument("--concurrency", type=int, default=16, help="calls at once")
    hooks.add_argument("--store", default="memory", help="demo: memory or sqlite:///path")
    hooks.set_defaults(run=run_webhooks, check=_check)


def _check(args: argparse.Namespace) -> str | None:
    if args.action == "platform" and not args.url:
        return "platform needs --url"
    if args.count < 0 or args.users < 1 or args.concurrency < 1:
        return "--count must be >= 0, --users and --concurrency >= 1"
    return None


async def run_webhooks(args: argparse.Namespace) -> int:
    """Run ``webhooks demo`` or ``webhooks platform``."""
    from aiohttp import web

    from .webhooks import create_app

    users = [(f"crm-{n}", f"{86000001 + n}") for n in range(args.users)]
    if args.action == "platform":
        async with Platform(args.url, company_id=args.company_id, seed=args.seed) as platform:
            report = await platform.run(users, args.count, concurrency=args.concurrency)
        _print_report(report.calls, report.codes, report.timeouts, report.cancels)
        return 0
    wallet = MemoryWallet()
    app = create_app(wallet, company_id=args.company_id, store=args.store)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        print(f"webhook app for an in-memory ledger at {url}", file=sys.stderr)
        async with Platform(url, company_id=args.company_id, seed=args.seed) as platform:
            report = await platform.run(users, args.count, concurrency=args.concurrency)
    finally:
        await runner.cleanup()
    _print_report(report.calls, report.codes, report.timeouts, report.cancels)
    believed = {key: wallet.opening + net for key, net in report.net.items()}
    ledger = {key: wallet.balances.get(key, wallet.opening) for key in believed}
    twice = [
        no for counts in (wallet.applied, wallet.reversed) for no, n in counts.items() if n > 1
    ]
    matches = ledger == believed and not twice
    moved = sum((abs(v - wallet.opening) for v in ledger.values()), Decimal(0))
    print(f"users {len(believed):,}; money moved {moved:,}")
    print(f"applied {sum(wallet.applied.values()):,}, reversed {sum(wallet.reversed.values()):,}")
    print("reconciliation: " + ("ledger equals the platform's view" if matches else "MISMATCH"))
    return 0 if matches else 1


def _print_report(calls: Counter[str], codes: Counter[str], timeouts: int, cancels: int) -> None:
    print("calls: " + ", ".join(f"{path.strip('/')} {n:,}" for path, n in sorted(calls.items())))
    print("codes: " + ", ".join(f"{code} {n:,}" for code, n in sorted(codes.items())))
    print(f"timeouts {timeouts:,}, cancels {cancels:,}")
