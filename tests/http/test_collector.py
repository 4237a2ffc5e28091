"""The garbage collector's settings for a long-running server (`adapters/http/collector.py`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.http import serve as serve_module
from adapters.http.collector import GEN0_THRESHOLD, settle_after_start
from bot.config.settings import load_settings


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_restored")
def test_what_start_up_built_is_left_out_of_later_collections() -> None:
    built_at_start = [[n] for n in range(1000)]  # tracked by the collector
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    settle_after_start()
    assert gc.get_freeze_count() >= len(built_at_start)
    assert not any(gc.is_tracked(o) and o is built_at_start for o in gc.get_objects())
    assert gc.get_threshold()[0] == GEN0_THRESHOLD > 700


class _Listening(Exception):
    pass


async def test_serve_settles_the_collector_after_start_up_before_it_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    monkeypatch.setattr(serve_module, "settle_after_start", lambda: order.append("settled"))

    async def start(_: web.TCPSite) -> None:
        order.append("listening")
        raise _Listening

    monkeypatch.setattr(web.TCPSite, "start", start)
    settings = load_settings(
        config_path=str(tmp_path / "absent.yml"),
        environ={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"},
    )
    with pytest.raises(_Listening):
        await serve_module._serve(settings, "127.0.0.1", 0)
    assert order == ["settled", "listening"]
