"""Configuration from arguments and environment variables."""

from __future__ import annotations

import pytest

import multimarkets_async as mm
from multimarkets_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def test_base_url_constants() -> None:
    assert mm.PRODUCTION_BASE_URL == "https://api.multimarkets.org/openapi-b"
    assert mm.TEST_BASE_URL == "https://prewppc-3.cmfbl.com/openapi-b"
    assert mm.TEST_BASE_URL_SPEC == "https://pre-api-test.cmfbl.com/openapi-b"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTIMARKETS_APP_ID", "env-app")
    monkeypatch.setenv("MULTIMARKETS_APP_SECRET", "env-secret")
    monkeypatch.setenv("MULTIMARKETS_COMPANY_ID", "77")
    monkeypatch.setenv("MULTIMARKETS_BASE_URL", "http://127.0.0.1:9/openapi-b/")
    client = mm.ManagerClient()
    assert client.app_id == "env-app" and client.company_id == "77"
    assert client.base_url == "http://127.0.0.1:9/openapi-b"
    explicit = mm.ManagerClient(app_id="arg-app")
    assert explicit.app_id == "arg-app"


def test_base_url_defaults_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MULTIMARKETS_BASE_URL", raising=False)
    client = mm.ManagerClient("a", "b", 1)
    assert client.base_url == mm.PRODUCTION_BASE_URL


def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ID", "APP_SECRET", "COMPANY_ID"):
        monkeypatch.delenv(f"MULTIMARKETS_{name}", raising=False)
    with pytest.raises(mm.ConfigurationError) as caught:
        mm.ManagerClient(app_id="a")
    assert "app_secret" in str(caught.value) and "MULTIMARKETS_COMPANY_ID" in str(caught.value)
    with pytest.raises(mm.ConfigurationError):
        mm.ManagerClient("a", "b", 1, "ftp://example")


async def test_environment_client_talks_to_sandbox(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MULTIMARKETS_APP_ID", sandbox.app_id)
    monkeypatch.setenv("MULTIMARKETS_APP_SECRET", sandbox.app_secret)
    monkeypatch.setenv("MULTIMARKETS_COMPANY_ID", str(sandbox.company_id))
    monkeypatch.setenv("MULTIMARKETS_BASE_URL", sandbox.base_url)
    async with mm.ManagerClient() as client:
        assert len([c async for c in client.customers.list(page_size=500)]) == 1000
