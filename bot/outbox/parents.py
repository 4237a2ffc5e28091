"""What a recorded message needs only at delivery: the post it belongs under, a link to it,
or the post drawn as it stands now.

A thread reply or an update is recorded before its flag's (or theme's, or digest's) post may
have been delivered; the delivery worker fills in that post's platform id when it sends. A
message about a post that was never delivered has nothing to go under, and is skipped.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core import Core
from bot.errors import DeliveryError
from bot.escalations.service import current_post
from bot.flags.models import Flag
from bot.messages import Message, MessageRef
from bot.outbox.models import POST_LINK, DeliveryStatus, Outgoing, OutgoingKind
from bot.outbox.outcomes import post_failed_answer
from bot.ports import ChatGateway
from bot.silence.ladder import ClockKind
from bot.themes.routing import current_theme_post


class Skip(Exception):
    """Nothing to deliver any more (a thread line whose post never existed)."""


class Parents:
    """Finds the posts messages belong under, for the delivery worker."""

    def __init__(self, core: Core, gateway: ChatGateway) -> None:
        self._core = core
        self._gateway = gateway

    async def resolved(self, outgoing: Outgoing) -> Outgoing:
        """The message with what was unknown when it was recorded: its flag's post, its link,
        and for an update drawn at delivery (`renders_post`) the post as it stands now.

        A reminder or nudge whose clock moved on while it waited (the platform was down, its
        conversation slow) is skipped: nobody is told a flag waits once it no longer does."""
        needs_post = outgoing.kind in (OutgoingKind.REPLY, OutgoingKind.UPDATE)
        needs_post = needs_post and outgoing.ref is None
        if not needs_post and not outgoing.links_post and outgoing.while_due is None:
            return outgoing
        parent = await self._theme_or_digest_post(outgoing)
        if parent is not None:
            what, post = parent
            if post is None:
                raise Skip(f"its {what} post was never delivered")
            if outgoing.renders_post:
                outgoing = replace(outgoing, message=await self._current_theme_post(outgoing))
            return replace(outgoing, ref=post)
        assert outgoing.flag_id is not None
        drawn = None
        async with self._core.uow() as uow:
            flag = await uow.flags.get_by_id(outgoing.flag_id)
            post_state = await uow.outbox.post_state(outgoing.flag_id)
            if outgoing.renders_post and flag is not None and flag.post is not None:
                drawn = await current_post(self._core, uow, flag)
        if outgoing.while_due is not None:
            self._still_due(flag, outgoing.while_due)
        post = flag.post if flag is not None else None
        if outgoing.links_post:
            given_up = post_state in (DeliveryStatus.DEAD, DeliveryStatus.SKIPPED)
            if outgoing.kind is OutgoingKind.ANSWER and post is None and given_up:
                assert flag is not None
                triage = self._core.config.channels_for(flag.platform).triage
                failed = post_failed_answer(flag, reported=bool(triage))
                return replace(outgoing, message=failed)
            return replace(outgoing, message=await self._with_post_link(outgoing.message, post))
        if not needs_post:
            return outgoing  # a direct reminder: nothing to fill in
        if post is None:
            raise Skip("its escalation post was never delivered")
        return replace(outgoing, ref=post, message=drawn or outgoing.message)

    def _still_due(self, flag: Flag | None, clock: ClockKind) -> None:
        if flag is None or not flag.is_open:
            raise Skip("its flag was resolved before it could be sent")
        if clock is ClockKind.ACK and flag.acknowledged_by is not None:
            raise Skip("its flag was acknowledged before it could be sent")
        now = self._core.clock.now()
        if clock is ClockKind.UPDATE and (
            flag.silent_since is None or (flag.snoozed_until and flag.snoozed_until > now)
        ):
            raise Skip("its customer was updated, or the flag snoozed, before it could be sent")

    async def _current_theme_post(self, outgoing: Outgoing) -> Message:
        """The theme's post drawn as it stands now."""
        assert outgoing.theme_id is not None
        async with self._core.uow() as uow:
            theme = await uow.themes.get(outgoing.theme_id)
            if theme is None:
                raise Skip("its theme no longer exists")
            return await current_theme_post(self._core, uow, theme)

    async def adopted_post(self, outgoing: Outgoing) -> MessageRef | None:
        """The post this message would create, when it exists already: a flag's adopted from a
        button pressed on it, or a theme's or digest's recorded by an earlier attempt."""
        if not outgoing.records_post:
            return None
        parent = await self._theme_or_digest_post(outgoing)
        if parent is not None:
            return parent[1]
        if outgoing.flag_id is None:
            return None
        async with self._core.uow() as uow:
            flag = await uow.flags.get_by_id(outgoing.flag_id)
        return flag.post if flag is not None else None

    async def _theme_or_digest_post(
        self, outgoing: Outgoing
    ) -> tuple[str, MessageRef | None] | None:
        """("theme" or "digest", its post so far) for a message about one; None otherwise."""
        if outgoing.theme_id is not None:
            async with self._core.uow() as uow:
                theme = await uow.themes.get(outgoing.theme_id)
            return "theme", theme.post if theme is not None else None
        if outgoing.digest_id is not None:
            async with self._core.uow() as uow:
                digest = await uow.digests.get(outgoing.digest_id)
            return "digest", digest.post if digest is not None else None
        return None

    async def _with_post_link(self, message: Message, post: MessageRef | None) -> Message:
        link = None
        if post is not None:
            try:
                link = await self._gateway.permalink(post)
            except DeliveryError:
                link = None
        where = f"<{link}|the escalation post>" if link else "the escalation channel"
        return replace(message, text=message.text.replace(POST_LINK, where))
