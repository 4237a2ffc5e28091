"""A Teams turn's one transaction, kept in the turn state for the handlers of that turn."""

from __future__ import annotations

from contextvars import ContextVar

from botbuilder.core import TurnContext

from bot.core import Core
from bot.inbox.shared import SharedUnitOfWork

TURN = "frontline.turn"  # the turn's one transaction
CORE = "frontline.core"  # the core whose units of work are that transaction
# The same transaction, for code that runs in the turn without its context (the platform's
# membership lookups for bot.access): on SQLite a second transaction would wait for this one.
CURRENT_TURN: ContextVar[SharedUnitOfWork | None] = ContextVar("frontline_turn", default=None)


def core_of(turn_context: TurnContext) -> Core:
    """The core of this turn: its use cases write into the turn's transaction."""
    core: Core = turn_context.turn_state[CORE]
    return core


async def complete(turn_context: TurnContext) -> None:
    """Commit the turn's work now, before rendering an answer that reads other data."""
    turn: SharedUnitOfWork = turn_context.turn_state[TURN]
    await turn.complete()
