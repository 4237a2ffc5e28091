"""Who receives which digest: each channel that owns themes, and each platform's support leads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config.digests import DigestSchedule
from bot.config.models import FrontlineConfig
from bot.digests.models import DigestKind
from bot.messages import Conversation
from bot.ports import UnitOfWork
from bot.themes.models import Theme
from bot.themes.routing import owner_channel


@dataclass(frozen=True, slots=True)
class Target:
    """One digest to send: what, where, and on which schedule."""

    kind: DigestKind
    conversation: Conversation
    schedule: DigestSchedule


async def digest_targets(config: FrontlineConfig, uow: UnitOfWork) -> list[Target]:
    """Every digest recipient of every workspace with flags."""
    targets = []
    for platform, workspace_id in await uow.digests.workspaces():
        themes = await uow.themes.list_all(workspace_id)
        for channel in product_channels(config, platform, workspace_id, themes):
            schedule = config.digests.product.schedule_for(channel.channel_id)
            targets.append(Target(DigestKind.PRODUCT, channel, schedule))
        leads = config.channels_for(platform).support_leads
        if leads:
            conversation = Conversation(platform, workspace_id, leads)
            targets.append(Target(DigestKind.FLOW, conversation, config.digests.flow))
    return targets


def product_channels(
    config: FrontlineConfig, platform: str, workspace_id: str, themes: Sequence[Theme]
) -> list[Conversation]:
    """Channels owning themes here: routing rules' owners, and where themes were routed to."""
    channels = {
        Conversation(platform, workspace_id, rule.owner[platform]): None
        for rule in config.themes.rules
        if platform in rule.owner
    }
    for theme in themes:
        place = theme_owner(config, theme, platform)
        if place is not None:
            channels[place] = None
    return list(channels)


def theme_owner(config: FrontlineConfig, theme: Theme, platform: str) -> Conversation | None:
    """The channel whose digest a theme belongs to: its owner, or triage once routed there.

    A theme below its threshold with no owner has not reached any team yet: it is in nobody's
    digest (it is counted in the flow digest's recurrence).
    """
    if theme.merged_into is not None:
        return None
    if theme.owner_channel is None and theme.routed_at is None:
        return None
    return owner_channel(config, theme, platform)
