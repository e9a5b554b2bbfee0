"""Seeded randomized runs of the platform (the sandbox's ``Platform``) against the webhook
app over a SQLite store: duplicates, concurrent and out-of-order cancels, slow, failing and
refusing wallets, and a restart of the app in the middle, after which the platform replays
adjustments and cancels it sent before. At the end every user's ledger equals what the
platform believes was applied and not reversed, and no adjustment was applied or reversed
twice.

CI runs ``MULTIMARKETS_WEBHOOK_SEEDS`` seeds (default 2) of ``COUNT`` adjustments each."""

from __future__ import annotations

import os
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from _ledger_wallet import LedgerWallet
from test_webhooks import COMPANY, Broker

from multimarkets_async import webhooks
from multimarkets_async.sandbox import Platform

pytestmark = pytest.mark.anyio

SEEDS = range(int(os.environ.get("MULTIMARKETS_WEBHOOK_SEEDS", "2")))
COUNT = int(os.environ.get("MULTIMARKETS_WEBHOOK_COUNT", "600"))  # per half: 1,200 a seed
USERS = [(f"crm-{i}", f"8600{i:04d}") for i in range(25)]


@pytest.mark.parametrize("seed", SEEDS)
async def test_every_adjustment_once_through_faults_and_a_restart(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    wallet = LedgerWallet(seed=seed, slow=0.04, slow_delay=0.4, fail=0.03, refuse=0.05)
    store = f"sqlite:///{tmp_path / 'webhooks.db'}"
    expected: Counter[tuple[str, str]] = Counter()
    first_half = []
    for half in (0, 1):
        app = webhooks.create_app(wallet, company_id=COMPANY, store=store, deadline=0.25)
        broker = Broker(app)
        await broker.start()
        try:
            async with Platform(
                broker.url, company_id=COMPANY, seed=seed * 2 + half, timeout=0.3, retries=6
            ) as platform:
                report = await platform.run(USERS, COUNT, concurrency=16)
                for key, net in report.net.items():
                    expected[key] += net  # type: ignore[assignment]
                if half == 0:
                    first_half = report.outcomes
                    continue
                # After the restart: the platform retries adjustments it sent before, and
                # cancels some it had seen accepted; each must be answered from the record.
                for outcome in rng.sample([o for o in first_half if o.sent], 60):
                    again = await platform.adjust(
                        _user(outcome.user_name),
                        outcome.currency,
                        outcome.amount,
                        operation_type=outcome.operation_type,
                        request_unique_no=outcome.request_unique_no,
                    )
                    assert again.applied == outcome.applied  # the ledger does not move
                applied = [o for o in first_half if o.applied]
                for outcome in rng.sample(applied, min(30, len(applied))):
                    cancelled = await platform.cancel(
                        _user(outcome.user_name),
                        outcome.currency,
                        abs(outcome.amount),
                        outcome.request_unique_no,
                    )
                    assert ("cancel", "0") in cancelled.codes
                    expected[(outcome.user_name, outcome.currency)] -= outcome.amount  # type: ignore[assignment]
        finally:
            await broker.stop()  # the app's wallet calls drained, the store closed
        assert not [o for o in report.outcomes if o.unresolved]
    assert max(wallet.applied.values()) == 1, "an adjustment was applied twice"
    assert not wallet.reversed or max(wallet.reversed.values()) == 1, "reversed twice"
    assert set(wallet.reversed) <= set(wallet.applied), "reversed without being applied"
    ledger = {key: value for key, value in wallet.balances.items() if value}
    assert ledger == {key: Decimal(value) for key, value in expected.items() if value}


def _user(user_name: str) -> tuple[str, str]:
    return next(user for user in USERS if user[1] == user_name)
