"""``multimarkets-async``: export, sync, events, webhooks, demo and sandbox commands.

Every failure prints one line on stderr and exits non-zero: 1 when the work failed, 2 for
bad usage or settings, 130 on Ctrl-C (SIGINT) and 143 on SIGTERM. An export stopped by
either signal stops between pages and keeps its checkpoint; the line printed names the
command that continues it (``--resume``). ``sync`` stops cleanly on the first signal and
exits 0 (a second signal stops it at once).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import msgspec

from . import _walk_options
from ._cli_sync import add_sync_parser, run_sync
from ._cli_webhooks import add_webhooks_parser
from ._config import (
    ENV_APP_ID,
    ENV_APP_SECRET,
    ENV_BASE_URL,
    ENV_COMPANY_ID,
    ENV_PUSH_URL,
    PRODUCTION_BASE_URL,
)
from ._progress import progress_for
from ._version import __version__
from .client import ManagerClient
from .errors import ConfigurationError, MultiMarketsError, ValidationError
from .exports import ExportFormat, ExportSummary, export
from .pagination import Paginator

PROG = "multimarkets-async"


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(words)
    problem = args.check(args)
    if problem:
        print(_usage_line(f"{PROG} {args.command}", problem), file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args))
    except _Stopped as stop:
        print(_stopped_line(args, words), file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:  # before or after the event loop ran
        print(_stopped_line(args, words), file=sys.stderr)
        return 128 + signal.SIGINT
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MultiMarketsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the output file or directory, or the sandbox's port
        print(f"error: {_os_error_text(exc)}", file=sys.stderr)
        return 1


class _Stopped(Exception):
    """The command was stopped by ``signum`` (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


async def _run(args: argparse.Namespace) -> int:
    """Run the command; SIGINT and SIGTERM cancel it (so an export stops between pages and
    keeps its checkpoint) and then raise :class:`_Stopped`."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def stop(signum: int) -> None:
        received.append(signum)
        graceful = getattr(args, "on_signal", None)
        if graceful is not None and len(received) == 1:
            graceful(signum)  # the command stops cleanly and says how it ended
        else:
            task.cancel()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop, signum)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - Windows
            continue
        installed.append(signum)
    try:
        return int(await args.run(args))
    except BaseException:
        if received:
            raise _Stopped(received[0]) from None
        raise
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _stopped_line(args: argparse.Namespace, words: list[str]) -> str:
    if args.command == "sandbox":
        return "sandbox stopped"
    if args.command == "sync":
        return f"sync of {args.table} stopped at once; run the same command to continue"
    if args.command == "events":
        return f"events of group {args.group!r} stopped after {getattr(args, 'printed', 0):,}"
    out = Path(args.out)
    again = [word for word in words if not _is_flag(word, "--overwrite", 4)]
    if out.with_name(out.name + ".checkpoint").exists():
        if not any(_is_flag(word, "--resume", 5) for word in again):
            again.append("--resume")
        return (
            f"interrupted: the export to {out} is unfinished (its partial output and "
            f"checkpoint are kept); continue it with: {PROG} {shlex.join(again)}"
        )
    return (
        f"interrupted before the export to {out} wrote anything; "
        f"run it again with: {PROG} {shlex.join(words)}"
    )


def _is_flag(word: str, flag: str, shortest: int) -> bool:
    """``word`` is ``flag`` or an abbreviation of it argparse accepts."""
    return len(word) >= shortest and flag.startswith(word)


def _os_error_text(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return f"{exc.filename}: {text}" if exc.filename else text


# -- the parser ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Reports a usage error as one line (not the usage text), exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(_usage_line(self.prog, message), file=sys.stderr)
        sys.exit(2)


def _usage_line(prog: str, message: str) -> str:
    return f"{prog}: error: {message} (see {prog} --help)"


class _Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default ("none": not given), unless its help text tells it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "(default" in text or action.required or not action.option_strings:
            return text
        if action.default is None or action.default == []:
            return f"{text} (default: none)"
        return super()._get_help_string(action) or text


ENVIRONMENT = f"""\
credentials come from the environment:
  {ENV_APP_ID:<24} the app id
  {ENV_APP_SECRET:<24} the app secret
  {ENV_COMPANY_ID:<24} the company id
  {ENV_BASE_URL:<24} the API's base URL (default {PRODUCTION_BASE_URL};
  {"":<24} --base-url overrides it)"""
"""The environment variables every command reads, for the epilogs."""

BASE_URL_HELP = f"the API's base URL (default: ${ENV_BASE_URL}, else {PRODUCTION_BASE_URL})"

CREDENTIALS = f"""\
{ENVIRONMENT}

An export writes <out>.partial (or <out>.parts/), <out>.checkpoint and <out>.keys, owner-only
(mode 0600), and renames the output into place when it is complete. Ctrl-C or SIGTERM stops
it between pages, keeping its checkpoint: run the same command with --resume to continue.
Exit status: 0 done, 1 failed, 2 bad usage or settings, 130 Ctrl-C, 143 SIGTERM."""

EVENTS_EPILOG = f"""\
{ENVIRONMENT}
  {ENV_PUSH_URL:<24} the push websocket (--push-url overrides it)

Dropped connections, server restarts and stalls are healed (reconnect with backoff; replayed
events are printed once). Exit status: 1 when the stream cannot go on (e.g. another consumer
uses the group), 2 bad usage or settings, 130 Ctrl-C, 143 SIGTERM."""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="MultiMarkets Manager API tools", formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    export = commands.add_parser(
        "export",
        help="stream a listing to JSON Lines, CSV or Parquet (credentials from MULTIMARKETS_*)",
        description="Stream a listing of the Manager API to JSON Lines, CSV or Parquet.",
        epilog=CREDENTIALS,
        formatter_class=_Help,
    )
    export.add_argument("what", choices=sorted(LISTINGS), help="what to export")
    export.add_argument(
        "--base-url",
        metavar="URL",
        help=BASE_URL_HELP,
    )
    _add_walk_options(export, default_out=None)
    filters = export.add_argument_group(
        "filters (positions: --trade-type is required; "
        "capital-flow: customer and --trade-type are required)"
    )
    filters.add_argument("--customer-no", help="one customer number (every listing)")
    filters.add_argument("--customer-id", type=int, help="customer id (positions, capital-flow)")
    filters.add_argument(
        "--customer-group-id", type=int, help="customer group id (positions, capital-flow)"
    )
    filters.add_argument("--trade-type", type=int, help="trade type (positions, capital-flow)")
    filters.add_argument("--symbol-id", type=int, help="symbol id (positions)")
    filters.add_argument("--business-type", type=int, help="ledger code (capital-flow)")
    filters.add_argument(
        "--start-time", type=int, help="from, in epoch milliseconds (positions, capital-flow)"
    )
    filters.add_argument(
        "--end-time", type=int, help="until, in epoch milliseconds (positions, capital-flow)"
    )
    export.set_defaults(run=_export, check=_check_export)

    demo = commands.add_parser(
        "demo",
        help="export customers from an in-process sandbox (no account needed)",
        description="Export the customers of an in-process sandbox and verify the file.",
        formatter_class=_Help,
    )
    demo.add_argument("--customers", type=_whole(0), default=100_000, help="sandbox size")
    demo.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    _add_walk_options(demo, default_out="demo-customers.jsonl")
    demo.set_defaults(run=_demo, check=_no_check)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local sandbox API server",
        description="Serve a local, faithful stand-in for the Manager API until stopped.",
        formatter_class=_Help,
    )
    _add_sandbox_options(sandbox)
    sandbox.set_defaults(run=_sandbox, check=_no_check)

    events = commands.add_parser(
        "events",
        help="print a group's Data Push events as JSON Lines until stopped",
        description="Print the Data Push events of a group on stdout, one JSON line per event "
        '({"eventType": ..., "data": ...}; the frame as received for a type this version does '
        "not know), until Ctrl-C or SIGTERM. Reconnects are logged on stderr.",
        epilog=EVENTS_EPILOG,
        formatter_class=_Help,
    )
    events.add_argument(
        "--group",
        required=True,
        help="subscriber group: one live connection per group; its events queue while it is "
        "away (a new group starts now)",
    )
    events.add_argument(
        "--types",
        action="extend",
        nargs="+",
        default=[],
        metavar="TYPES",
        help="only these event types, e.g. --types register,deposit (default: every type)",
    )
    events.add_argument(
        "--base-url",
        metavar="URL",
        help=BASE_URL_HELP,
    )
    events.add_argument(
        "--push-url",
        metavar="URL",
        help=f"the push websocket (default: ${ENV_PUSH_URL}, else the base URL with ws(s):// "
        "and /ws)",
    )
    events.add_argument("--quiet", action="store_true", help="no reconnect lines on stderr")
    events.set_defaults(run=_events, check=_no_check)

    add_sync_parser(commands, epilog_head=ENVIRONMENT, formatter=_Help, run=run_sync)
    add_webhooks_parser(commands, formatter=_Help)
    return parser


def _add_walk_options(parser: argparse.ArgumentParser, *, default_out: str | None) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        required=default_out is None,
        default=default_out,
        help="output file" + ("" if default_out else " (required)"),
    )
    parser.add_argument(
        "--format",
        choices=[f.value for f in ExportFormat],
        help="output format (default: from --out's extension)",
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue an interrupted export to --out"
    )
    again.add_argument(
        "--overwrite",
        action="store_true",
        help="discard what an unfinished export to --out left behind and start anew",
    )
    for option in _walk_options.CLI_OPTIONS:
        parser.add_argument(
            option.flag,
            type=_whole(option.minimum, option.maximum),
            default=option.default,
            metavar="N",
            help=option.help,
        )
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _add_sandbox_options(sandbox: argparse.ArgumentParser) -> None:
    from .sandbox._faults import CHAOS_KINDS, DEFAULT_FAULT_KINDS

    seconds = _number(0)
    sandbox.add_argument("--customers", type=_whole(0), default=10_000, help="sandbox size")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument(
        "--port", type=_whole(0, 65_535), default=9008, help="port to listen on (0: any free)"
    )
    sandbox.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    sandbox.add_argument("--latency", type=seconds, default=0.0, help="seconds added to each call")
    sandbox.add_argument(
        "--token-ttl",
        type=_number(0, above=True),
        help="token lifetime in seconds (default: forever)",
    )
    sandbox.add_argument(
        "--rate-limit",
        type=_whole(1),
        help="calls per window per endpoint (default: unlimited)",
    )
    sandbox.add_argument(
        "--rate-window",
        type=_number(0, above=True),
        default=60.0,
        help="rate-limit window in seconds",
    )
    sandbox.add_argument(
        "--fault-rate",
        type=_number(0, 1),
        default=0.0,
        help="share of calls given a random fault (0..1)",
    )
    sandbox.add_argument(
        "--faults",
        default=",".join(DEFAULT_FAULT_KINDS),
        help=f"comma-separated fault kinds to draw from, of {', '.join(CHAOS_KINDS)}",
    )
    sandbox.add_argument(
        "--fault",
        type=_fault_rate,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="rate of one fault kind, e.g. --fault 502=0.05 (repeatable; overrides --fault-rate)",
    )
    sandbox.add_argument(
        "--slow-delay", type=seconds, default=2.0, help="seconds a slow reply takes"
    )
    sandbox.add_argument(
        "--retry-after", type=seconds, default=1.0, help="Retry-After of a random 429"
    )
    sandbox.add_argument(
        "--insert-per-call", type=_whole(0), default=0, help="sign-ups per list call"
    )
    sandbox.add_argument(
        "--delete-per-call", type=_whole(0), default=0, help="deletions per list call"
    )
    sandbox.add_argument(
        "--update-per-call",
        type=_whole(0),
        default=0,
        help="customer changes (logins, status, contact) per list call",
    )
    quirks = sandbox.add_argument_group("paging quirks (every paged listing)")
    quirks.add_argument(
        "--ignore-current", action="store_true", help="always answer page 1's records"
    )
    quirks.add_argument(
        "--echo-current",
        type=int,
        metavar="N",
        help="answer `current` N whatever was asked (default: the page asked for)",
    )
    quirks.add_argument(
        "--total",
        type=int,
        metavar="N",
        dest="total_override",
        help="answer `total` N (default: the true count)",
    )
    quirks.add_argument(
        "--repeat-page",
        type=_page_pair,
        action="append",
        default=[],
        metavar="B=A",
        help="answer page B with page A's records (repeatable)",
    )
    secure = sandbox.add_argument_group("secure mode (x- traces: signed, RSA-encrypted bodies)")
    secure.add_argument(
        "--secure",
        action="store_true",
        help="require secure mode: refuse plain business calls (needs multimarkets-async[secure])",
    )
    secure.add_argument(
        "--seal-replies",
        action="store_true",
        help="seal the data of successful secure replies with the company's private key",
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
        "--ledger-size",
        type=_whole(0),
        metavar="N",
        help="entries of the long ledgers (default: 2345)",
    )
    data.add_argument(
        "--ledger-insert-per-call",
        type=_whole(0),
        default=0,
        metavar="N",
        help="deposits added to the listed ledger before each capital-flow call",
    )
    data.add_argument(
        "--events-per-second",
        type=_number(0),
        default=0.0,
        metavar="N",
        help="Data Push: background churn events per second on the websocket (default: 0)",
    )


# -- values of options ---------------------------------------------------------------------


def _whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A parser of whole numbers from ``minimum`` to ``maximum`` (no limit if None)."""
    wanted = f"from {minimum:,} to {maximum:,}" if maximum is not None else f"{minimum:,} or more"

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"wants a whole number {wanted}, got {text}")
        return value

    return whole


def _number(
    minimum: float, maximum: float | None = None, *, above: bool = False
) -> Callable[[str], float]:
    """A parser of finite numbers from ``minimum`` (excluded if ``above``) to ``maximum``."""
    wanted = (
        f"from {minimum:g} to {maximum:g}"
        if maximum is not None
        else f"above {minimum:g}"
        if above
        else f"{minimum:g} or more"
    )

    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a number, got {text!r}") from None
        low = value <= minimum if above else value < minimum
        if not math.isfinite(value) or low or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"wants a number {wanted}, got {text}")
        return value

    return number


def _fault_rate(text: str) -> tuple[str, float]:
    kind, _, rate = text.partition("=")
    try:
        return kind.strip(), _number(0, 1)(rate)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"wants KIND=RATE with a rate from 0 to 1, got {text!r}"
        ) from None


def _page_pair(text: str) -> tuple[int, int]:
    page, _, source = text.partition("=")
    try:
        pair = int(page), int(source)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants B=A, got {text!r}") from None
    if min(pair) < 1:
        raise argparse.ArgumentTypeError(f"wants page numbers from 1, got {text!r}")
    return pair


# -- export --------------------------------------------------------------------------------

LISTINGS: dict[str, tuple[str, ...]] = {
    "customers": (),
    "positions": ("trade_type",),
    "capital-flow": ("customer_id", "customer_group_id", "customer_no", "trade_type"),
}
"""The filters each listing requires."""

FILTERS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_no",),
    "positions": (
        "trade_type",
        "customer_id",
        "customer_no",
        "customer_group_id",
        "symbol_id",
        "start_time",
        "end_time",
    ),
    "capital-flow": (
        "customer_id",
        "customer_group_id",
        "customer_no",
        "trade_type",
        "business_type",
        "start_time",
        "end_time",
    ),
}
"""The filters each listing takes."""


def _flags(names: Sequence[str]) -> str:
    return ", ".join("--" + name.replace("_", "-") for name in names)


def _check_export(args: argparse.Namespace) -> str | None:
    """What is wrong with the filters given for the listing, if anything."""
    every = dict.fromkeys(name for names in FILTERS.values() for name in names)
    extra = [n for n in every if n not in FILTERS[args.what] and getattr(args, n) is not None]
    if extra:
        return f"export {args.what} does not take {_flags(extra)}"
    missing = [name for name in LISTINGS[args.what] if getattr(args, name) is None]
    if missing:
        return f"export {args.what} needs {_flags(missing)}"
    return None


def _no_check(args: argparse.Namespace) -> str | None:
    return None


def _listing(client: ManagerClient, args: argparse.Namespace) -> Paginator[Any]:
    walk = {option.name: getattr(args, option.name) for option in _walk_options.CLI_OPTIONS}
    what = getattr(args, "what", "customers")
    if what == "customers":
        return client.customers.list(customer_no=getattr(args, "customer_no", None), **walk)
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


async def _run_export(client: ManagerClient, args: argparse.Namespace) -> ExportSummary:
    label = getattr(args, "what", "customers")
    summary = await export(
        _listing(client, args),
        args.out,
        format=args.format,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=progress_for(label, quiet=args.quiet),
    )
    print(summary, file=sys.stderr)
    return summary


async def _export(args: argparse.Namespace) -> int:
    async with ManagerClient(base_url=args.base_url) as client:
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


# -- events --------------------------------------------------------------------------------


async def _events(args: argparse.Namespace) -> int:
    from .events import Unknown

    types = [name.strip() for item in args.types for name in item.split(",") if name.strip()]
    if not args.quiet:
        _log_to_stderr()
    args.printed = 0
    out = sys.stdout.buffer
    # An event is ``{"eventType": ..., "data": {...}}`` with the fields the server sent
    # (camelCase; the models leave unset fields out). Lines are flushed FLUSH_DELAY after the
    # first of them is written, together with those that follow: one write per burst.
    write, encode = out.write, _json_out.encode
    loop = asyncio.get_running_loop()
    timer: asyncio.TimerHandle | None = None
    failed: list[OSError] = []

    def flush() -> None:
        nonlocal timer
        timer = None
        try:
            out.flush()
        except OSError as exc:  # e.g. the reader went away: the loop raises it
            failed.append(exc)

    try:
        async with (
            ManagerClient(base_url=args.base_url) as client,
            client.events(args.group, types=types or None, push_url=args.push_url) as stream,
        ):
            async for event in stream:
                if failed:
                    raise failed[0]
                write(_raw_line(event.raw) if isinstance(event, Unknown) else encode(event))
                write(b"\n")
                args.printed += 1
                if timer is None:
                    timer = loop.call_later(FLUSH_DELAY, flush)
    finally:
        if timer is not None:
            timer.cancel()
            flush()
    return 0


FLUSH_DELAY = 0.02
"""Seconds between the first event line written and the flush of it and those that follow."""

_json_out = msgspec.json.Encoder(decimal_format="number")


def _raw_line(raw: bytes) -> bytes:
    """A frame as received, on one line."""
    if b"\n" not in raw and b"\r" not in raw:
        return raw
    try:
        return msgspec.json.format(raw, indent=0)
    except msgspec.DecodeError:
        return _json_out.encode({"raw": raw.decode("utf-8", "replace")})


def _log_to_stderr() -> None:
    """Show the SDK's INFO lines (one per reconnect) on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("multimarkets_async")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


# -- sandbox -------------------------------------------------------------------------------


async def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox
    from .sandbox._faults import CHAOS_KINDS

    kinds = tuple(kind.strip() for kind in args.faults.split(",") if kind.strip())
    rates: dict[str, float] = dict(args.fault)
    unknown = sorted((set(kinds) | set(rates)) - set(CHAOS_KINDS))
    if unknown:
        raise ConfigurationError(f"unknown fault kinds: {', '.join(unknown)}")
    try:
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
            update_per_call=args.update_per_call,
            ignore_current=args.ignore_current,
            echo_current=args.echo_current,
            total_override=args.total_override,
            repeat_pages=dict(args.repeat_page),
            id_style=args.id_style,
            ledger_null_keys=args.ledger_null_keys,
            ledger_size=args.ledger_size,
            ledger_insert_per_call=args.ledger_insert_per_call,
            events_per_second=args.events_per_second,
            secure=args.secure,
            seal_replies=args.seal_replies,
        )
    except ImportError as exc:  # secure mode without cryptography
        raise ConfigurationError(str(exc)) from None
    async with sandbox:
        print(f"MultiMarkets sandbox: {args.customers:,} customers at {sandbox.base_url}")
        print("point a client at it with:")
        print(f"  export MULTIMARKETS_BASE_URL={sandbox.base_url}")
        print(f"  export MULTIMARKETS_APP_ID={sandbox.app_id}")
        print(f"  export MULTIMARKETS_APP_SECRET={sandbox.app_secret}")
        print(f"  export MULTIMARKETS_COMPANY_ID={sandbox.company_id}")
        if args.secure:
            print("  export MULTIMARKETS_SECURE=1")
        change = """'{"signUps": 10, "deletions": 5, "updates": 20}'"""
        print(f"change its customers with: curl -X POST {sandbox.control_url} -d {change}")
        print(f"Data Push websocket: {sandbox.push_url}")
        sys.stdout.flush()
        await asyncio.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
