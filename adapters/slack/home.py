"""The App Home tab: the viewer's open flags and the escalations waiting for an acknowledgement."""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import Block, actions_block, mrkdwn, plain
from adapters.slack.text import clip
from bot.home import HomeView
from bot.messages import Message

MAX_BLOCKS = 100  # Slack's limit for a Home tab view


def home_tab(view: HomeView) -> dict[str, Any]:
    """The `views.publish` view of a person's Home tab."""
    blocks: list[Block] = [{"type": "header", "text": plain("Your open flags")}]
    blocks += _cards(view.mine, "mine", "You have no open flags. `/flag` raises one.")
    blocks += _more(view.more_mine, "`/flag mine` lists them all")
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": plain("Escalations waiting for acknowledgement")})
    blocks += _cards(view.awaiting_ack, "waiting", "None: every escalation has an owner. ✅")
    blocks += _more(view.more_awaiting, "see the escalation channel")
    return {"type": "home", "blocks": _fit(blocks)}


def _cards(cards: tuple[Message, ...], prefix: str, empty: str) -> list[Block]:
    if not cards:
        return [{"type": "context", "elements": [mrkdwn(empty)]}]
    blocks: list[Block] = []
    for index, card in enumerate(cards):
        blocks.append({"type": "section", "text": mrkdwn(clip(card.text, 3000))})
        if card.buttons:
            # Block ids keep the same flag's buttons apart when it is in both lists.
            blocks.append(actions_block(card.buttons, block_id=f"{prefix}-{index}"))
    return blocks


def _more(count: int, where: str) -> list[Block]:
    if count <= 0:
        return []
    return [{"type": "context", "elements": [mrkdwn(f"…and {count} more: {where}.")]}]


def _fit(blocks: list[Block]) -> list[Block]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    note = {"type": "context", "elements": [mrkdwn("…more than fits here: `/flag mine`.")]}
    return [*blocks[: MAX_BLOCKS - 1], note]
