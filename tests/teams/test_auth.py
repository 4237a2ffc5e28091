"""Authentication of /api/messages: tokens required with an app id, off (local only) without."""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.http.app import create_app
from adapters.teams.auth import build_authentication
from adapters.teams.mount import LABEL_AUTH_OFF, LABEL_AUTH_ON, attach_teams, mount_teams
from adapters.wiring import open_runtime
from bot.clock import FakeClock
from bot.config.settings import load_settings
from tests.teams.connector import FakeConnector
from tests.teams.harness import ANA, START, TENANT, Teams, fixture, personal_message, start_teams
from tests.teams.tokens import KeyServer, new_key, token

APP_ID = "3b2f5e8a-6c1d-4f7e-9a2b-8d4c6e0f1a23"
AUTH_ENV = {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "test-only-not-a-secret"}
INSTALL = "conversation-update-bot-added-to-team"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
async def secured(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Teams]:
    """The real `serve` app with MICROSOFT_APP_ID set: authentication on."""
    harness = await start_teams(tmp_path, connector, environ=AUTH_ENV)
    yield harness
    await harness.close()


async def stored_references(teams: Teams) -> int:
    found = 0
    async with teams.runtime.core.uow() as uow:
        for key in ("conversation:19:support-team@thread.tacv2", f"user:{ANA['aadObjectId']}"):
            found += await uow.conversations.get("teams", key) is not None
    return found


async def test_without_a_token_nothing_happens(secured: Teams) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        {"Authorization": "Bearer header.payload"},
    ):
        status, _ = await secured.send(personal_message("flag recurring sneaky"), headers=headers)
        assert status == 401, headers

    assert secured.connector.calls == []
    assert await stored_references(secured) == 0
    async with secured.runtime.core.uow() as uow:
        assert await uow.flags.get(TENANT, 1) is None


async def test_a_token_from_another_issuer_is_refused_without_asking_anyone(
    secured: Teams, signing_key: rsa.RSAPrivateKey
) -> None:
    forged = token(
        signing_key,
        audience=APP_ID,
        service_url=secured.connector.url,
        issuer="https://sts.example.invalid/",
    )
    started = time.monotonic()

    status, _ = await secured.send(fixture(INSTALL), headers={"Authorization": f"Bearer {forged}"})

    assert status == 401
    assert time.monotonic() - started < 5
    assert await stored_references(secured) == 0


async def test_the_server_says_whether_teams_authentication_is_on(
    secured: Teams, tmp_path: Path, connector: FakeConnector
) -> None:
    health = await (await secured.client.get("/healthz")).json()
    assert LABEL_AUTH_ON in health["platforms"]

    (tmp_path / "local").mkdir()
    local = await start_teams(tmp_path / "local", connector)
    try:
        health = await (await local.client.get("/healthz")).json()
        assert LABEL_AUTH_OFF in health["platforms"]
    finally:
        await local.close()


async def test_with_authentication_off_only_local_service_urls_are_served(teams: Teams) -> None:
    remote = copy.deepcopy(fixture("message-personal"))
    remote["serviceUrl"] = "https://smba.trafficmanager.net/emea/"

    response = await teams.client.post("/api/messages", json=remote)

    assert response.status == 401
    assert teams.connector.calls == []


async def test_with_authentication_off_proxied_requests_are_refused(teams: Teams) -> None:
    for header in ("X-Forwarded-For", "Forwarded"):
        status, _ = await teams.send(
            personal_message("flag recurring from afar"), headers={header: "203.0.113.9"}
        )
        assert status == 401, header
    async with teams.runtime.core.uow() as uow:
        assert await uow.flags.list_open(TENANT) == []


async def test_a_slack_deployment_without_an_app_id_has_no_teams_endpoint(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        config_path=str(tmp_path / "absent.yml"),
        environ={
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
            "SLACK_BOT_TOKEN": "xoxb-test-only",
            "SLACK_SIGNING_SECRET": "test-only",
        },
    )
    runtime = await open_runtime(settings, clock=FakeClock(START), gateways={})
    app = create_app(runtime)
    try:
        assert mount_teams(app, runtime) is None
        assert not [
            r for r in app.router.routes() if r.resource and "messages" in r.resource.canonical
        ]
    finally:
        await runtime.close()


@pytest.fixture
async def verified(
    tmp_path: Path, connector: FakeConnector, signing_key: rsa.RSAPrivateKey
) -> AsyncIterator[tuple[Teams, KeyServer]]:
    """The server app validating tokens for real, against a local stand-in for Microsoft's keys."""
    keys = KeyServer(signing_key)
    await keys.start()
    settings = load_settings(
        config_path=str(tmp_path / "absent.yml"),
        environ={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}", **AUTH_ENV},
    )
    clock = FakeClock(START)
    runtime = await open_runtime(settings, clock=clock, gateways={})
    app = create_app(runtime)
    authentication = build_authentication(settings.env, openid_metadata_url=keys.metadata_url)
    assert attach_teams(app, runtime, authentication) == LABEL_AUTH_ON
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    yield Teams(client, connector, clock), keys
    await client.close()
    await keys.close()


async def test_a_genuine_token_is_accepted(
    verified: tuple[Teams, KeyServer], signing_key: rsa.RSAPrivateKey
) -> None:
    teams, _ = verified
    genuine = token(signing_key, audience=APP_ID, service_url=teams.connector.url)

    status, _ = await teams.send(fixture(INSTALL), headers={"Authorization": f"Bearer {genuine}"})

    assert status == 200
    async with teams.runtime.core.uow() as uow:
        stored = await uow.conversations.get("teams", "conversation:19:support-team@thread.tacv2")
    assert stored is not None and stored["serviceUrl"] == teams.connector.url


@pytest.mark.parametrize(
    "problem", ["wrong key", "wrong audience", "expired", "other service url", "unknown key id"]
)
async def test_a_bad_token_is_refused(
    verified: tuple[Teams, KeyServer], signing_key: rsa.RSAPrivateKey, problem: str
) -> None:
    teams, _ = verified
    url = teams.connector.url
    bad = {
        "wrong key": lambda: token(new_key(), audience=APP_ID, service_url=url),
        "wrong audience": lambda: token(signing_key, audience="someone-else", service_url=url),
        "expired": lambda: token(signing_key, audience=APP_ID, service_url=url, expires_in=-900),
        "other service url": lambda: token(
            signing_key, audience=APP_ID, service_url="https://elsewhere.example/"
        ),
        "unknown key id": lambda: token(signing_key, audience=APP_ID, service_url=url, key_id="x"),
    }[problem]()

    status, _ = await teams.send(fixture(INSTALL), headers={"Authorization": f"Bearer {bad}"})

    assert status == 401
    async with teams.runtime.core.uow() as uow:
        assert (
            await uow.conversations.get("teams", "conversation:19:support-team@thread.tacv2")
            is None
        )
