"""frontline.yml's `digests:` section: when the weekly digests go out."""

from __future__ import annotations

from datetime import time

from pydantic import Field

from bot.config.fields import ClockTime, Text, Weekday
from bot.config.section import Section


class DigestSchedule(Section):
    """When a weekly digest goes out: a weekday (0 = Monday) and a time in the config time zone."""

    day: Weekday = 0
    time: ClockTime = Field(default_factory=lambda: time(9, 0))


class FlowDigest(DigestSchedule):
    """The flow digest to each platform's support_leads channel."""

    # A week with no flags at all sends nothing instead of a one-line "quiet week".
    skip_empty: bool = False


class ProductDigest(FlowDigest):
    """The product digest to each owner channel; a channel may have a schedule of its own."""

    channels: dict[Text, DigestSchedule] = Field(default_factory=dict)

    def schedule_for(self, channel_id: str) -> DigestSchedule:
        """The channel's own schedule, else this one."""
        return self.channels.get(channel_id) or self


class DigestsConfig(Section):
    """The schedules of the product digest and the flow digest."""

    product: ProductDigest = Field(default_factory=ProductDigest)
    flow: FlowDigest = Field(default_factory=FlowDigest)
