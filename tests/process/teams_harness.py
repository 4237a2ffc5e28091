"""Real processes for the Teams crash tests: the server speaks Bot Framework, the connector is ours.

`frontline serve` runs with Teams alone and without `MICROSOFT_APP_ID` (authentication off,
which it allows for local serviceUrls only), so activities need no token. The fake connector
(`tests/teams/connector.py`) runs in the test's own process on a loopback port and outlives
every server it serves. Request `n` is an @mention in the support channel,
`flag escalate checkout fails case 000nn ZD-n` (or `flag recurring …`); its answer is the
bot's reply in that message's reply chain, and an escalation's card is a new conversation
(a post) in the escalation channel.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.process.harness import (
    Agent,
    ScratchDatabase,
    Tally,
    case_of,
    count_flags,
    summary_for,
)
from tests.teams.connector import Call, FakeConnector
from tests.teams.harness import ESCALATIONS, MARIA, SUPPORT, channel_message

CONFIG = f'channels:\n  teams:\n    escalations: "{ESCALATIONS}"\nthemes:\n  coalesce_within: off\n'


def teams_environment(database: ScratchDatabase, workdir: Path) -> dict[str, str]:
    """Teams alone, authentication off: only PATH, HOME and Frontline's own variables."""
    config = workdir / "frontline.yml"
    config.write_text(CONFIG)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(workdir)),
        "DATABASE_URL": database.url,
        "FRONTLINE_CONFIG": str(config),
    }


def agent_of(n: int) -> dict[str, str]:
    return {"id": f"29:1agent-{n % 25:02d}", "name": f"Agent {n % 25:02d}"}


@dataclass
class TeamsAgent(Agent):
    """Sends `flag …` @mentions to /api/messages; knows which activity was request `n`."""

    connector_url: str = ""
    activity_ids: dict[str, int] = field(default_factory=dict)

    def activity(self, text: str, **options: Any) -> dict[str, Any]:
        activity = channel_message(text, **options)
        activity["serviceUrl"] = self.connector_url
        return activity

    def request(self, n: int) -> tuple[bytes, dict[str, str]]:
        text = f"flag {self.kind(n)} {summary_for(n)} ZD-{n}"
        activity = self.activity(text, sender=agent_of(n), channel=SUPPORT)
        self.activity_ids[activity["id"]] = n
        return json.dumps(activity).encode(), {"Content-Type": "application/json"}

    def introduction(self) -> bytes:
        """A manager @mentions Frontline in the escalation channel, so it can post there."""
        return json.dumps(self.activity("flag help", sender=MARIA, channel=ESCALATIONS)).encode()


def _is_card_post(call: Call) -> bool:
    channel = (call.body.get("channelData") or {}).get("channel") or {}
    return call.kind == "create" and channel.get("id") == ESCALATIONS


async def teams_tally(
    database: ScratchDatabase, connector: FakeConnector, agent: TeamsAgent
) -> Tally:
    """The same counts as the Slack crash tests, from the connector's calls."""
    flags, flag_posts, strangers = await count_flags(database)
    posts: Counter[int] = Counter()
    post_ids: dict[int, set[str]] = {}
    answers: Counter[int] = Counter()
    calls = list(connector.calls)
    for call in calls:
        if not call.took_effect:
            continue
        if _is_card_post(call):
            n = case_of(call.texts())
            root = str(call.result.get("activityId") or "")
            if n is None:
                strangers.append(f"card {root} {call.texts()[:80]!r}")
                continue
            posts[n] += 1
            post_ids.setdefault(n, set()).add(root)
        elif call.kind == "reply" and call.conversation_id.startswith(f"{SUPPORT};messageid="):
            asked = agent.activity_ids.get(call.conversation_id.split("=", 1)[1])
            if asked is not None:
                answers[asked] += 1
    return Tally(flags, posts, answers, flag_posts, post_ids, strangers, len(calls))
