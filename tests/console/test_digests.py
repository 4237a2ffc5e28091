"""Weekly digests in the console: its clock triggers them, the chart becomes a file, and
`frontline digest --preview` prints them without sending."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from adapters.cli import main
from tests.console.conftest import Console


async def run(argv: list[str]) -> int:
    """The command line, on a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(main, argv)


FLAGS = (
    "/flag recurring CSV export has no date column ZD-1",
    "as bob",
    "/flag recurring export CSV missing date column customer:acme",
    "in dm-bob",
    "/flag recurring csv exports lack the date for globex payroll ZD-9",
)


async def test_the_clock_passing_monday_sends_the_digests_once_with_a_chart_file(
    console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    await console.type(*FLAGS)  # Monday 23 November 2026, 09:00
    out = await console.type("+6d")
    assert "digest" not in out  # nothing before Monday 30 November 09:00
    out = await console.type("+1d")
    assert "🕒 Mon 30 Nov 09:00" in out
    assert "#triage · message" in out and "Product digest: week 48, 23–29 Nov 2026" in out
    assert "3 flags this week on your theme (0 last week)." in out
    assert "globex" not in out  # raised in a DM: counted, never quoted
    assert "Flow digest: week 48" in out and "#support-leads · message" in out
    chart = re.search(r"📈 Flags per week, the 8 weeks to week 48, 23–29 Nov 2026: (\S+\.png)", out)
    assert chart is not None
    png = await asyncio.to_thread(Path(chart.group(1)).read_bytes)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 800  # width
    out = await console.type("+1h")
    assert "digest" not in out  # sent once


async def test_preview_prints_the_digests_and_writes_the_chart(
    console: Console,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await console.type(*FLAGS)
    url = str(console.runtime.database.engine.url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    chart = tmp_path / "chart.png"
    assert await run(["digest", "--preview", "--week", "2026-W48", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "── product digest of 2026-W48 to console triage ──" in out
    assert "3 flags this week on your theme" in out
    assert "── flow digest of 2026-W48 to console support-leads ──" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    async with console.runtime.core.uow() as uow:  # a preview sends and claims nothing
        assert (await uow.outbox.stats(console.runtime.core.clock.now())).pending == 0

    assert await run(["digest", "--preview", "--channel", "#nowhere"]) == 1
    assert "no digest goes to #nowhere; digests go to: support-leads, triage" in (
        capsys.readouterr().err
    )
    assert await run(["digest", "--preview", "--week", "2026-W99"]) == 1
    assert "2026 has no week 99" in capsys.readouterr().err
