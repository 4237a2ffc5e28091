"""`frontline digest --preview`: print the weekly digests as they would be sent, send nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from adapters.console.render import message_lines
from adapters.wiring import database_url
from bot.clock import FakeClock, SystemClock
from bot.config.settings import Settings
from bot.core import Core
from bot.digests.models import DigestKind
from bot.digests.periods import Week, latest_due
from bot.digests.sending import compose
from bot.digests.targets import Target, digest_targets
from bot.errors import UserFacingError
from storage.database import Database


async def run_digest_preview(
    settings: Settings,
    *,
    channel: str | None,
    week: str | None,
    chart: Path | None,
    url: str | None = None,
    now: datetime | None = None,
) -> int:
    """Print each digest (of `channel` only, if given) for `week` (default: the latest due)."""
    try:
        chosen = Week.parse(week) if week else None
    except ValueError as error:
        raise UserFacingError(str(error)) from None
    database = Database.from_url(url or database_url(settings))
    clock = FakeClock(now) if now is not None else SystemClock()
    core = Core(uow=database.unit_of_work, clock=clock, config=settings.config)
    try:
        await database.ensure_current()
        async with database.unit_of_work() as uow:
            targets = await digest_targets(core.config, uow)
            targets = _chosen(targets, channel)
            charted = sum(1 for t in targets if t.kind is DigestKind.PRODUCT)
            for target in targets:
                period = chosen or latest_due(clock.now(), target.schedule, core.config.tz)
                composed = await compose(core, uow, target, period, None)
                print(_heading(target, period))
                if composed.message is None:
                    print("  (an empty week: not sent, as digests.*.skip_empty says)\n")
                    continue
                print("\n".join(f"  {line}" for line in message_lines(composed.message)))
                if composed.chart is not None and chart is not None:
                    path = _chart_path(chart, target, charted)
                    await asyncio.to_thread(path.write_bytes, composed.chart)
                    print(f"  Chart written to {path}")
                elif composed.chart is not None:
                    print("  (with a chart of the top themes; --chart FILE writes it)")
                print()
    finally:
        await database.dispose()
    return 0


def _chosen(targets: list[Target], channel: str | None) -> list[Target]:
    if not targets:
        raise UserFacingError(
            "no digest to preview: no workspace has flags yet, or no channel owns themes and "
            "no support_leads channel is configured"
        )
    if channel is None:
        return targets
    wanted = channel.lstrip("#")
    found = [t for t in targets if t.conversation.channel_id == wanted]
    if not found:
        known = ", ".join(sorted({t.conversation.channel_id for t in targets}))
        raise UserFacingError(f"no digest goes to {channel}; digests go to: {known}")
    return found


def _heading(target: Target, week: Week) -> str:
    where = target.conversation
    return f"── {target.kind.value} digest of {week.key} to {where.platform} {where.channel_id} ──"


def _chart_path(chart: Path, target: Target, count: int) -> Path:
    """`--chart` as given for one product digest; with several, the channel's name is added."""
    if count == 1:
        return chart
    stem = f"{chart.stem}-{target.conversation.channel_id}"
    return chart.with_name(stem + (chart.suffix or ".png"))
