"""Escalation bursts: in an outage, forty escalations of one problem make one post, not forty.

An escalation whose text is like that of an open escalation raised within
`themes.coalesce_within` (default 30 minutes) joins it: no post of its own, a thread line under
the first one's post with its customer, and the post says how many customers are affected.
Acknowledging the post acknowledges every joined flag and tells each reporter. Each joined flag
keeps its own customer and update clock.

"Like" is the theme matcher's similarity (`bot.themes`), held to a stricter bar than themes
(`themes.similarity` + `BURST_MARGIN`): a wrongly joined escalation loses its own post.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from bot.core import Core
from bot.flags.models import Flag, FlagKind, Severity
from bot.ports import UnitOfWork
from bot.themes.embedding import Vector
from bot.themes.matching import decode, encode

BURST_MARGIN = 0.25  # with the default similarity 0.5: 0.75
_RANK = {Severity.LOW: 0, Severity.NORMAL: 1, Severity.HIGH: 2}


def wants_vector(core: Core) -> bool:
    """Whether a new escalation is compared with open ones (bursts are on)."""
    return core.config.themes.coalesce_within is not None


async def burst_lead(
    core: Core, uow: UnitOfWork, flag: Flag, now: datetime, vector: Vector | None = None
) -> Flag | None:
    """The open escalation `flag` should join, if any (sets the flag's embedding to compare)."""
    within = core.config.themes.coalesce_within
    if within is None:
        return None
    matcher = core.themes
    if vector is None:
        vector = await matcher.vector(flag.summary)
    flag.embedding = encode(vector)
    bar = matcher.threshold(core.config.themes) + BURST_MARGIN
    best: tuple[float, Flag] | None = None
    recent = await uow.flags.list_created_between(
        flag.workspace_id, now - within, now + timedelta(seconds=1)
    )
    for other in recent:
        if not _can_lead(other, flag) or other.embedding is None:
            continue
        their = decode(other.embedding, matcher.similarity.dimension)
        if their is None:
            continue
        score = float(np.dot(vector, their))
        if score >= bar and (best is None or score > best[0]):
            best = (score, other)
    return best[1] if best else None


def _can_lead(other: Flag, flag: Flag) -> bool:
    return (
        other.kind is FlagKind.ESCALATE
        and other.is_open
        and other.joined_to is None
        and other.platform == flag.platform
        and other.id is not None
        # A more urgent escalation gets a post of its own rather than hide under a calmer one.
        and _RANK[flag.severity] <= _RANK[other.severity]
    )


def customers_affected(lead: Flag, joined: Sequence[Flag]) -> int:
    """Distinct customers across the burst; a flag without customer refs counts as one."""
    refs: set[str] = set()
    anonymous = 0
    for flag in (lead, *joined):
        if flag.customer_refs:
            refs.update(ref.encode() for ref in flag.customer_refs)
        else:
            anonymous += 1
    return len(refs) + anonymous
