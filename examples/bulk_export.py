"""A nightly job: every customer to a JSON Lines file, exactly once, resumable.

Run it again after an interruption (Ctrl-C, a crash, a deploy) and it continues from its
checkpoint instead of starting over. The file is created readable by its owner only: it holds
personal data. ::

    python examples/bulk_export.py customers.jsonl
"""

from __future__ import annotations

import asyncio
import sys

import multimarkets_async as mm


async def main(path: str) -> int:
    async with mm.ManagerClient() as client:
        try:
            summary = await mm.export(
                client.customers.list(page_size=2000, concurrency=8), path, resume=True
            )
        except mm.IncompleteExportError as exc:
            # Nothing was renamed as finished: the job fails loudly, and can be run again.
            print(f"export incomplete: {exc}", file=sys.stderr)
            return 1
    print(
        f"{summary.records:,} customers to {summary.path} in {summary.seconds:.1f} s"
        f" ({summary.records_per_second:,.0f}/s); exact: {summary.exact}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "customers.jsonl")))
