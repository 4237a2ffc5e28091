"""Weekly digests on Teams: the real server catches up a missed digest at start, once, with its
chart inside a card, through the fake connector."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from tests.settle import eventually
from tests.teams.connector import FakeConnector
from tests.teams.harness import MARIA, START, TOM, channel_message, start_teams

TRIAGE = "19:triage-channel@thread.tacv2"
LEADS = "19:leads-channel@thread.tacv2"
CONFIG = f"""\
channels:
  teams:
    triage: "{TRIAGE}"
    support_leads: "{LEADS}"
"""
# START is Monday 23 November 2026 09:00 UTC; week 48's digests fall due on 30 November 09:00.
LATE = START + timedelta(days=7, hours=2)


def digests_in(connector: FakeConnector, channel: str) -> list[str]:
    return [
        call.texts()
        for call in connector.of("create")
        if call.body.get("channelData", {}).get("channel", {}).get("id") == channel
        and "digest:" in call.texts()
    ]


async def test_a_digest_missed_while_down_is_posted_at_start_once_with_its_chart(
    tmp_path: Path, connector: FakeConnector
) -> None:
    teams = await start_teams(tmp_path, connector, config=CONFIG)
    try:
        for channel in (TRIAGE, LEADS):  # Frontline learns each channel
            await teams.send(channel_message("flag help", sender=MARIA, channel=channel))
        await teams.send(channel_message("flag recurring CSV export has no date column ZD-1"))
        await teams.send(
            channel_message("flag recurring export CSV missing dates ZD-2", sender=TOM)
        )
        await teams.send(channel_message("flag recurring the csv export lost its date column"))
    finally:
        await teams.close()

    # Down over the weekend and Monday morning: started at 11:00, it sends week 48's digests.
    teams = await start_teams(tmp_path, connector, config=CONFIG, clock=FakeClock(LATE))
    try:
        await eventually(lambda: bool(digests_in(connector, LEADS)))
        await eventually(lambda: any(c.kind == "reply" for c in connector.of("reply")))
        await teams.settle()
        [product] = digests_in(connector, TRIAGE)
        assert "Product digest: week 48" in product
        assert "3 flags this week on your theme" in product
        assert "was due Mon 30 Nov 09:00, while Frontline was down" in product
        [flow] = digests_in(connector, LEADS)
        assert "Flow digest: week 48" in flow and "0 escalations, 3 recurring" in flow

        # The chart follows in the product digest's reply chain, inside an Adaptive Card.
        chart = next(c for c in connector.of("reply") if "Flags per week" in c.texts())
        card = chart.body["attachments"][0]["content"]
        image = next(item for item in card["body"] if item["type"] == "Image")
        prefix = "data:image/png;base64,"
        assert image["url"].startswith(prefix)
        png = base64.b64decode(image["url"][len(prefix) :])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 20_000
        assert "0, 0, 0, 0, 0, 0, 0, 3" in image["altText"]
    finally:
        await teams.close()

    # Restarted again the same morning: nothing is sent twice.
    teams = await start_teams(
        tmp_path, connector, config=CONFIG, clock=FakeClock(LATE + timedelta(minutes=30))
    )
    try:
        await teams.settle()
        assert len(digests_in(connector, TRIAGE)) == 1
        assert len(digests_in(connector, LEADS)) == 1
    finally:
        await teams.close()
