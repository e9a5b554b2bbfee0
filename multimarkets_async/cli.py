"""``multimarkets-async``: export, demo and sandbox commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from ._config import DEFAULT_PAGE_CONCURRENCY, MAX_PAGE_SIZE
from ._progress import progress_for
from .client import ManagerClient
from .errors import ConfigurationError, MultiMarketsError
from .exports import ExportFormat, ExportSummary, export
from .pagination import Paginator
from .sandbox._faults import CHAOS_KINDS


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point."""
    args = _parser().parse_args(argv)
    try:
        return int(asyncio.run(args.run(args)))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except MultiMarketsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="multimarkets-async", description="MultiMarkets Manager API tools"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser(
        "export",
        help="stream a listing to JSON Lines, CSV or Parquet (credentials from MULTIMARKETS_*)",
    )
    export.add_argument("what", choices=sorted(LISTINGS), help="what to export")
    _add_walk_options(export, default_out=None)
    filters = export.add_argument_group(
        "filters (positions: --trade-type is required; "
        "capital-flow: customer and --trade-type are required)"
    )
    filters.add_argument("--customer-no")
    filters.add_argument("--customer-id", type=int)
    filters.add_argument("--customer-group-id", type=int)
    filters.add_argument("--trade-type", type=int)
    filters.add_argument("--symbol-id", type=int)
    filters.add_argument("--business-type", type=int, help="capital flow: ledger code")
    filters.add_argument("--start-time", type=int, help="epoch milliseconds")
    filters.add_argument("--end-time", type=int, help="epoch milliseconds")
    export.set_defaults(run=_export)

    demo = commands.add_parser(
        "demo", help="export customers from an in-process sandbox (no account needed)"
    )
    demo.add_argument(
        "--customers", type=int, default=100_000, help="sandbox size (default 100000)"
    )
    demo.add_argument("--seed", type=int, default=0)
    _add_walk_options(demo, default_out="demo-customers.jsonl")
    demo.set_defaults(run=_demo)

    from .sandbox._faults import DEFAULT_FAULT_KINDS

    sandbox = commands.add_parser("sandbox", help="run the local sandbox API server")
    sandbox.add_argument("--customers", type=int, default=10_000)
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=9008)
    sandbox.add_argument("--seed", type=int, default=0)
    sandbox.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    sandbox.add_argument("--token-ttl", type=float, default=None, help="token lifetime in seconds")
    sandbox.add_argument(
        "--rate-limit", type=int, default=None, help="calls per window per endpoint"
    )
    sandbox.add_argument(
        "--rate-window", type=float, default=60.0, help="rate-limit window in seconds"
    )
    sandbox.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of calls given a random fault (0..1)"
    )
    sandbox.add_argument(
        "--faults",
        default=",".join(DEFAULT_FAULT_KINDS),
        help=f"comma-separated fault kinds to draw from, of {','.join(CHAOS_KINDS)} "
        f"(default: {','.join(DEFAULT_FAULT_KINDS)})",
    )
    sandbox.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="rate of one fault kind, e.g. --fault 502=0.05 (repeatable; overrides --fault-rate)",
    )
    sandbox.add_argument("--slow-delay", type=float, default=2.0, help="seconds a slow reply takes")
    sandbox.add_argument(
        "--retry-after", type=float, default=1.0, help="Retry-After of a random 429"
    )
    sandbox.add_argument("--insert-per-call", type=int, default=0, help="sign-ups per list call")
    sandbox.add_argument("--delete-per-call", type=int, default=0, help="deletions per list call")
    quirks = sandbox.add_argument_group("paging quirks (every paged listing)")
    quirks.add_argument(
        "--ignore-current", action="store_true", help="always answer page 1's records"
    )
    quirks.add_argument(
        "--echo-current", type=int, metavar="N", help="answer `current` N whatever was asked"
    )
    quirks.add_argument(
        "--total", type=int, metavar="N", dest="total_override", help="answer `total` N"
    )
    quirks.add_argument(
        "--repeat-page",
        action="append",
        default=[],
        metavar="B=A",
        help="answer page B with page A's records (repeatable)",
    )
    data = sandbox.add_argument_group("data")
    data.add_argument(
        "--id-style",
        choices=("small", "snowflake"),
        default="small",
        help="customer ids on the wire: 1, 2, 3, ... or 64-bit snowflake-style",
    )
    data.add_argument(
        "--ledger-null-keys",
        action="store_true",
        help="capital flow without bookkeepId, subjectId and businessType1",
    )
    data.add_argument(
        "--ledger-size", type=int, metavar="N", help="entries of the long ledgers (default 2345)"
    )
    data.add_argument(
        "--ledger-insert-per-call",
        type=int,
        default=0,
        metavar="N",
        help="deposits added to the listed ledger before each capital-flow call",
    )
    sandbox.set_defaults(run=_sandbox)
    return parser


def _add_walk_options(parser: argparse.ArgumentParser, *, default_out: str | None) -> None:
    parser.add_argument("--out", type=Path, required=default_out is None, default=default_out)
    parser.add_argument(
        "--format", choices=[f.value for f in ExportFormat], help="default: from --out's extension"
    )
    parser.add_argument("--resume", action="store_true", help="continue an interrupted export")
    parser.add_argument("--page-size", type=int, default=MAX_PAGE_SIZE)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_PAGE_CONCURRENCY)
    parser.add_argument("--max-items", type=int, default=None)
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _listing(client: ManagerClient, args: argparse.Namespace) -> Paginator[Any]:
    walk = {
        "page_size": args.page_size,
        "concurrency": args.concurrency,
        "max_items": args.max_items,
    }
    what = getattr(args, "what", "customers")
    if what == "customers":
        return client.customers.list(customer_no=getattr(args, "customer_no", None), **walk)
    missing = [name for name in LISTINGS[what] if getattr(args, name) is None]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise ConfigurationError(f"export {what} needs {flags}")
    if what == "positions":
        return client.trade.all_positions(
            trade_type=args.trade_type,
            customer_id=args.customer_id,
            customer_no=args.customer_no,
            customer_group_id=args.customer_group_id,
            symbol_id=args.symbol_id,
            start_time=args.start_time,
            end_time=args.end_time,
            **walk,
        )
    return client.trade.capital_flow(
        customer_id=args.customer_id,
        customer_group_id=args.customer_group_id,
        customer_no=args.customer_no,
        trade_type=args.trade_type,
        business_type=args.business_type,
        start_time=args.start_time,
        end_time=args.end_time,
        **walk,
    )


LISTINGS: dict[str, tuple[str, ...]] = {
    "customers": (),
    "positions": ("trade_type",),
    "capital-flow": ("customer_id", "customer_group_id", "customer_no", "trade_type"),
}


async def _run_export(client: ManagerClient, args: argparse.Namespace) -> ExportSummary:
    label = getattr(args, "what", "customers")
    summary = await export(
        _listing(client, args),
        args.out,
        format=args.format,
        resume=args.resume,
        progress=progress_for(label, quiet=args.quiet),
    )
    print(summary, file=sys.stderr)
    return summary


async def _export(args: argparse.Namespace) -> int:
    async with ManagerClient() as client:
        await _run_export(client, args)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

    async with Sandbox(customers=args.customers, seed=args.seed) as sandbox:
        print(f"sandbox with {args.customers:,} customers at {sandbox.base_url}", file=sys.stderr)
        async with ManagerClient(**sandbox.credentials()) as client:
            summary = await _run_export(client, args)
    lines, unique = _count_ids(summary.path)
    print(
        f"verified {summary.path}: {lines:,} lines, {unique:,} unique customer ids", file=sys.stderr
    )
    return 0 if lines == unique == summary.records else 1


def _count_ids(path: Path) -> tuple[int, int]:
    class _Id(msgspec.Struct):
        id: int

    decoder = msgspec.json.Decoder(_Id)
    ids: set[int] = set()
    lines = 0
    with path.open("rb") as source:
        for line in source:
            ids.add(decoder.decode(line).id)
            lines += 1
    return lines, len(ids)


async def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

    kinds = tuple(kind.strip() for kind in args.faults.split(",") if kind.strip())
    rates: dict[str, float] = {}
    for item in args.fault:
        kind, _, rate = item.partition("=")
        try:
            rates[kind.strip()] = float(rate)
        except ValueError:
            raise ConfigurationError(f"--fault wants KIND=RATE, got {item!r}") from None
    unknown = sorted((set(kinds) | set(rates)) - set(CHAOS_KINDS))
    if unknown:
        raise ConfigurationError(f"unknown fault kinds: {', '.join(unknown)}")
    repeats: dict[int, int] = {}
    for item in args.repeat_page:
        page, _, source = item.partition("=")
        try:
            repeats[int(page)] = int(source)
        except ValueError:
            raise ConfigurationError(f"--repeat-page wants B=A, got {item!r}") from None
        if min(int(page), int(source)) < 1:
            raise ConfigurationError(f"--repeat-page wants page numbers from 1, got {item!r}")
    sandbox = Sandbox(
        customers=args.customers,
        host=args.host,
        port=args.port,
        seed=args.seed,
        latency=args.latency,
        token_ttl=args.token_ttl,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        fault_rate=args.fault_rate,
        fault_kinds=kinds,
        fault_rates=rates,
        slow_delay=args.slow_delay,
        retry_after=args.retry_after,
        insert_per_call=args.insert_per_call,
        delete_per_call=args.delete_per_call,
        ignore_current=args.ignore_current,
        echo_current=args.echo_current,
        total_override=args.total_override,
        repeat_pages=repeats,
        id_style=args.id_style,
        ledger_null_keys=args.ledger_null_keys,
        ledger_size=args.ledger_size,
        ledger_insert_per_call=args.ledger_insert_per_call,
    )
    async with sandbox:
        print(f"MultiMarkets sandbox: {args.customers:,} customers at {sandbox.base_url}")
        print("point a client at it with:")
        print(f"  export MULTIMARKETS_BASE_URL={sandbox.base_url}")
        print(f"  export MULTIMARKETS_APP_ID={sandbox.app_id}")
        print(f"  export MULTIMARKETS_APP_SECRET={sandbox.app_secret}")
        print(f"  export MULTIMARKETS_COMPANY_ID={sandbox.company_id}")
        change = """'{"signUps": 10, "deletions": 5}'"""
        print(f"change its customers with: curl -X POST {sandbox.control_url} -d {change}")
        sys.stdout.flush()
        await asyncio.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
