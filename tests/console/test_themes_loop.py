"""The recurring-theme loop in the console, as a new user types it, then exported."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path

import pytest

from adapters.cli import main
from tests.console.conftest import Console


async def test_flags_become_a_theme_routed_fixed_and_every_agent_told(console: Console) -> None:
    out = await console.type(
        "/flag recurring CSV export has no date column ZD-1",
        "as bob",
        "/flag recurring export CSV missing date column customer:acme",
        "in dm-bob",
        "/flag recurring csv exports lack the date for globex payroll ZD-9",
    )
    assert "recorded under theme #csv-export-has-no-date (3 flags this week)" in out
    routed = re.search(r"#triage · message (\d+) · Frontline", out)  # at the third flag
    assert routed is not None
    post = console.message(int(routed.group(1)))
    assert "globex" not in post and "1 flag raised in private conversations is counted" in post
    out = await console.type(
        "as maria", "in triage", "/flag theme #csv-export-has-no-date fixed 4.2"
    )
    assert "DM to @ana from Frontline" in out and "DM to @bob from Frontline" in out
    assert out.count("✅ Fixed in 4.2") == 2 and "2 agents told" in out
    out = await console.type(
        "+6d", "as carl", "in support", "/flag recurring csv export lost the date"
    )
    assert "Regression" in out and "after the fix in 4.2" in out
    out = await console.type("/flag themes")
    assert "#csv-export-has-no-date — CSV export has no date column · 4 flags this week" in out


async def test_export_writes_flags_with_their_themes_and_withholds_private_words(
    console: Console,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await console.type(
        "/flag recurring invoice PDF is blank ZD-1",
        "in private-billing",
        "/flag recurring invoice pdf blank for the payroll team ZD-2",
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert await asyncio.to_thread(main, ["export"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["flag"] for r in rows] == ["F-1", "F-2"]
    assert rows[0]["summary"] == "invoice PDF is blank" and rows[0]["theme"] == rows[1]["theme"]
    assert rows[1]["summary"] == "(raised in a private conversation)" and rows[1]["customers"] == ""
    json_export = ["export", "--format", "json", "--include-private", "-o", "out.json"]
    assert await asyncio.to_thread(main, json_export) == 0
    data = json.loads((tmp_path / "out.json").read_text())
    assert "payroll" in data["flags"][1]["summary"]
    assert data["themes"][0]["flags"] == 2 and data["flags"][0]["resolved_at"] is None


async def test_the_clock_stops_at_a_routed_themes_nudge_when_it_moves_past_it(
    console: Console,
) -> None:
    await console.type(
        "/flag recurring widget export crashes #widget-crash",
        "as bob",
        "/flag recurring widget export crashes again #widget-crash",
        "/flag recurring widget crash once more #widget-crash",
    )  # routed to #triage on Mon 23 Nov 09:00; nudged after 2 business days
    out = await console.type("+6d")
    lines = out.splitlines()
    nudge = next(i for i, line in enumerate(lines) if "nobody has acknowledged it yet" in line)
    assert "🕒 Wed 25 Nov 09:00" in lines[:nudge]  # sent on time, not when the move ended
