"""`frontline export`: flags and their themes as CSV or JSON, for analysis elsewhere.

One row per flag with its theme, the theme's status and owner, and the timestamps (UTC, ISO
8601). The words of flags raised in private conversations are left out unless asked for
(`--include-private`): an export travels further than the chat it came from.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.wiring import database_url
from bot.config.settings import Settings
from bot.flags.models import Flag
from bot.ports import UnitOfWork
from bot.themes.models import Theme
from bot.words import plural
from storage.database import Database

PAGE = 1_000
WITHHELD = "(raised in a private conversation)"
COLUMNS = (
    "flag",
    "workspace",
    "platform",
    "kind",
    "status",
    "severity",
    "summary",
    "customers",
    "private",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "theme",
    "theme_title",
    "theme_status",
    "theme_owner",
    "theme_routed_at",
    "theme_fixed_at",
    "theme_fixed_in",
)


async def run_export(
    settings: Settings,
    *,
    output: Path | None,
    fmt: str,
    include_private: bool,
    url: str | None = None,
) -> int:
    """Write every flag (CSV rows, or JSON with the themes alongside) to `output` or stdout."""
    database = Database.from_url(url or database_url(settings))
    try:
        await database.ensure_current()
        async with database.unit_of_work() as uow:
            rows = [row async for row in _rows(uow, include_private)]
        themes = _themes(rows)
    finally:
        await database.dispose()
    text = _csv(rows) if fmt == "csv" else _json(rows, themes)
    if output is None:
        sys.stdout.write(text)
    else:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        print(f"Wrote {plural(len(rows), 'flag')} and {plural(len(themes), 'theme')} to {output}.")
    return 0


async def _rows(uow: UnitOfWork, include_private: bool) -> AsyncIterator[dict[str, Any]]:
    themes: dict[int, Theme | None] = {}
    after = 0
    while True:
        page = await uow.flags.page(after, PAGE)
        for flag in page:
            theme = None
            if flag.theme_id is not None:
                if flag.theme_id not in themes:
                    themes[flag.theme_id] = await uow.themes.get(flag.theme_id)
                theme = themes[flag.theme_id]
            yield _row(flag, theme, include_private)
        if len(page) < PAGE:
            return
        after = page[-1].id or after


def _row(flag: Flag, theme: Theme | None, include_private: bool) -> dict[str, Any]:
    private = flag.origin.private
    hidden = private and not include_private
    return {
        "flag": flag.key,
        "workspace": flag.workspace_id,
        "platform": flag.platform,
        "kind": flag.kind.value,
        "status": flag.status.value,
        "severity": flag.severity.value,
        "summary": WITHHELD if hidden else flag.summary,
        "customers": "" if hidden else " ".join(ref.label for ref in flag.customer_refs),
        "private": private,
        "created_at": _iso(flag.created_at),
        "acknowledged_at": _iso(flag.acknowledged_at),
        "resolved_at": _iso(flag.resolved_at),
        "theme": f"#{theme.slug}" if theme else "",
        "theme_title": "" if theme is None or theme.title_private else theme.name,
        "theme_status": theme.status.value if theme else "",
        "theme_owner": theme.owner_channel.channel_id if theme and theme.owner_channel else "",
        "theme_routed_at": _iso(theme.routed_at) if theme else None,
        "theme_fixed_at": _iso(theme.fixed_at) if theme else None,
        "theme_fixed_in": theme.fixed_in if theme else None,
    }


def _themes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for row in rows:
        if row["theme"]:
            counts[row["theme"]] = counts.get(row["theme"], 0) + 1
    themes = []
    for tag, count in counts.items():
        sample = next(r for r in rows if r["theme"] == tag)
        themes.append(
            {
                "theme": tag,
                "title": sample["theme_title"],
                "status": sample["theme_status"],
                "owner": sample["theme_owner"],
                "flags": count,
                "routed_at": sample["theme_routed_at"],
                "fixed_at": sample["theme_fixed_at"],
                "fixed_in": sample["theme_fixed_in"],
            }
        )
    return themes


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _json(rows: list[dict[str, Any]], themes: list[dict[str, Any]]) -> str:
    return json.dumps({"flags": rows, "themes": themes}, ensure_ascii=False, indent=2) + "\n"


def _iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC; None (empty in CSV, null in JSON) when it never happened."""
    return at.isoformat() if at is not None else None
