"""A console session: act as named people in named channels and watch what the bot does."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from adapters.console.gateway import (
    PLATFORM,
    WORKSPACE,
    ConsoleGateway,
    conversation,
    is_private,
)
from adapters.console.render import message_lines
from bot import dispatch
from bot.clock import FakeClock
from bot.core import Core
from bot.digests.sending import send_due_digests
from bot.due import next_due_at, run_due_work
from bot.durations import format_duration, parse_duration
from bot.errors import FrontlineError, UserFacingError
from bot.flag_form import form_problems
from bot.flags.rendering import local_time
from bot.messages import Message, Person, Reply, Where
from bot.outbox.models import Outgoing
from bot.outbox.worker import DeliveryWorker
from bot.reactions import reaction_name

log = logging.getLogger(__name__)

CONSOLE_HELP = """\
Console commands (you act as a person in a channel):
  /flag …                 run a /flag command (try /flag help); /flag alone opens the form
  @frontline flag …       mention the bot instead of using the slash command
  as <name>               become someone else, e.g. `as maria`
  in <channel>            move to a channel, e.g. `in escalations`; `dm` and channels named
                          dm-… or private-… are private (flags there are never quoted)
  say <text>              post a plain message in the current channel
  press <msg> <button>    press a button of a message, by numbers (`press 3 1`) or label
  reply <msg> <text>      reply in the thread of message <msg>, e.g. `reply 3 on it`
  react <msg> <emoji>     react to a message, e.g. `react 3 ✅`, `react 3 eyes`
  show <msg>              print a message and its thread again
  +<duration>             move the clock forward and run what became due, e.g. +4h, +30m
  time                    print the current time
  help                    this text; quit (or Ctrl-D) leaves"""

MAX_STOPS = 10_000  # alarms on the way of one `+` (each moves on once taken)
_FORM_FIELDS = (
    ("kind", "Kind (recurring / escalate; type cancel to leave)"),
    ("summary", "What happened"),
    ("customer_refs", "Customer refs (ticket ids, URLs, customer:name; empty for none)"),
    ("severity", "Severity (high / normal / low; empty for normal)"),
)
_MENTION = re.compile(r"^@?frontline\s+flag\b", re.IGNORECASE)
# Whole lines that are console commands even while the form is open: they leave it. Shaped
# strictly (`as maria`, `press 3 1`), so an answer like "as soon as checkout loads" stays one.
_COMMAND_LINE = re.compile(
    r"""^(?:
        /flag(?:\s.*)? | @?frontline\s+flag\b.*
      | help | time | quit | exit
      | as\s+@?[\w.-]{1,40} | in\s+\#?[\w.-]{1,80}
      | say\s.+ | show\s+\#?\d+ | (?:press|reply|react)\s+\#?\d+\s.+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass
class _Form:
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def next_field(self) -> tuple[str, str] | None:
        for name, prompt in _FORM_FIELDS:
            if name not in self.answers:
                return name, prompt
        return None


class ConsoleSession:
    """Turns console lines into the same core calls a chat platform adapter makes."""

    def __init__(
        self,
        core: Core,
        gateway: ConsoleGateway,
        clock: FakeClock,
        write: Callable[[str], None],
        delivery: DeliveryWorker,
        *,
        user: str = "ana",
        channel: str = "support",
    ) -> None:
        self.core = core
        self.delivery = delivery
        self.gateway = gateway
        self.clock = clock
        self.write = write
        self.user = user
        self.channel = channel
        gateway.enter(user, channel)
        self._form: _Form | None = None

    @property
    def prompt(self) -> str:
        if self._form is not None and self._form.next_field is not None:
            return f"{self._form.next_field[1]}: "
        return f"{self.user} in #{self.channel}> "

    @property
    def person(self) -> Person:
        return Person(PLATFORM, WORKSPACE, self.user, self.user)

    def _where(self, thread: str | None = None) -> Where:
        return Where(conversation(self.channel), thread, private=is_private(self.channel))

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; False when the session should end."""
        try:
            return await self._handle(line.strip())
        except UserFacingError as error:
            await self._show_reply(dispatch.error_reply(error))
        except FrontlineError as error:
            self.write(f"! {error}")
        finally:
            # Like a chat platform, only faster: what the bot has to say arrives at once.
            await self.delivery.drain()
        return True

    async def _handle(self, line: str) -> bool:
        if self._form is not None:
            if line.lower() == "cancel":
                self._form = None
                self.write("Form cancelled; nothing was flagged.")
                return True
            if not _is_command(line):
                await self._answer_form(line)
                return True
            self._form = None
            self.write("Left the form; nothing was flagged.")
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        lowered = word.lower()
        if lowered in ("quit", "exit"):
            return False
        if lowered == "help":
            self.write(CONSOLE_HELP)
        elif lowered == "/flag":
            await self._command(rest)
        elif _MENTION.match(line):
            await self._command(_MENTION.sub("", line, count=1).strip())
        elif lowered == "as":
            self._switch_user(rest)
        elif lowered == "in":
            self._switch_channel(rest)
        elif lowered == "say":
            self._say(rest)
        elif lowered == "press":
            await self._press(rest)
        elif lowered == "reply":
            await self._reply(rest)
        elif lowered == "react":
            await self._react(rest)
        elif lowered == "show":
            self._show_message(self._message_number(rest.split(" ")[0] if rest else ""))
        elif lowered == "time":
            self.write(f"It is {local_time(self.clock.now(), self.core.config.tz)}.")
        elif line.startswith("+"):
            await self.advance(line[1:])
        else:
            self.write(f"? `{word}` is not a console command; type `help`.")
        return True

    async def _command(self, text: str) -> None:
        reply = await dispatch.handle_command(
            self.core, actor=self.person, where=self._where(), text=text
        )
        if reply.open_form:
            self._form = _Form()
            self.write("The flag form (answer each line):")
            return
        await self._show_reply(reply)

    async def _answer_form(self, answer: str) -> None:
        assert self._form is not None
        current = self._form.next_field
        assert current is not None
        self._form.answers[current[0]] = answer
        if self._form.next_field is not None:
            return
        answers = self._form.answers
        problems = form_problems(
            kind=answers["kind"],
            summary=answers["summary"],
            customer_refs=answers["customer_refs"],
            severity=answers["severity"],
        )
        if problems:
            # Like a form that keeps what was typed: ask again only for the wrong fields.
            for name, problem in problems.items():
                self.write(f"! {problem}")
                del answers[name]
            return
        self._form = None
        reply = await dispatch.handle_form(
            self.core,
            actor=self.person,
            where=self._where(),
            kind=answers["kind"],
            summary=answers["summary"],
            customer_refs=answers["customer_refs"],
            severity=answers["severity"] or "normal",
        )
        await self._show_reply(reply)

    async def _show_reply(self, reply: Reply | None) -> None:
        """The answer to the person who acted, through the outbox like every message."""
        if reply is None:
            return
        answer = Outgoing.answer(
            self.person,
            reply.message,
            {"channel_id": self.channel},
            after_post_of=reply.after_post_of,
        )
        async with self.core.uow() as uow:
            await uow.outbox.record(answer, self.clock.now())
            await uow.commit()

    def _switch_user(self, name: str) -> None:
        name = name.lstrip("@").strip()
        if not re.fullmatch(r"[\w.-]{1,40}", name):
            self.write("? Say who to become, e.g. `as maria`.")
            return
        self.user = name
        self.gateway.enter(self.user, self.channel)
        self.write(f"You are now @{name}.")

    def _switch_channel(self, name: str) -> None:
        name = name.lstrip("#").strip()
        if not re.fullmatch(r"[\w.-]{1,80}", name):
            self.write("? Say which channel, e.g. `in escalations`.")
            return
        self.channel = name
        self.gateway.enter(self.user, self.channel)
        self.write(f"You are now in #{name}.")

    def _say(self, text: str) -> None:
        number = self.gateway.record(conversation(self.channel), self.user, Message(text), None)
        self.write(f"(message {number} in #{self.channel})")

    def _message_number(self, text: str) -> int:
        try:
            number = int(text.lstrip("#"))
        except ValueError:
            raise UserFacingError(
                f"`{text[:20]}` is not a message number; they are shown as `message N`."
            ) from None
        if number not in self.gateway.messages:
            raise UserFacingError(f"There is no message {number}.")
        return number

    async def _press(self, rest: str) -> None:
        msg_text, _, button_text = rest.partition(" ")
        stored = self.gateway.messages[self._message_number(msg_text)]
        buttons = stored.message.buttons
        if not buttons:
            raise UserFacingError(f"Message {stored.number} has no buttons (any more).")
        choice = button_text.strip().lower()
        chosen = None
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            chosen = buttons[int(choice) - 1]
        else:
            chosen = next(
                (b for b in buttons if choice and b.label.lower().startswith(choice)), None
            )
        if chosen is None:
            labels = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1))
            raise UserFacingError(f"Message {stored.number} has these buttons: {labels}")
        reply = await dispatch.handle_action(
            self.core, actor=self.person, action_id=chosen.action_id, value=chosen.value
        )
        await self._show_reply(reply)

    async def _reply(self, rest: str) -> None:
        msg_text, _, text = rest.partition(" ")
        stored = self.gateway.messages[self._message_number(msg_text)]
        root = stored.ref.thread_root
        conv = stored.ref.conversation
        number = self.gateway.record(conv, self.user, Message(text), root)
        self.write(f"(message {number}, in the thread of message {self.gateway.number_of(root)})")
        reply_id = self.gateway.messages[number].ref.message_id
        reply = await dispatch.handle_thread_reply(
            self.core, actor=self.person, where=Where(conv, root, reply_id), text=text
        )
        await self._show_reply(reply)

    async def _react(self, rest: str) -> None:
        msg_text, _, emoji = rest.partition(" ")
        stored = self.gateway.messages[self._message_number(msg_text)]
        if not emoji.strip():
            raise UserFacingError("Say which reaction, e.g. `react 3 ✅` or `react 3 eyes`.")
        # Shown by name, like Slack; the core names the reaction again when it compares it.
        self.write(f"(@{self.user} reacted :{reaction_name(emoji)}: to message {stored.number})")
        reply = await dispatch.handle_reaction(
            self.core,
            actor=self.person,
            conversation=stored.ref.conversation,
            message_id=stored.ref.message_id,
            reaction=emoji.strip(),
        )
        await self._show_reply(reply)

    def _show_message(self, number: int) -> None:
        stored = self.gateway.messages[number]
        self.write(f"┌ message {number} · {stored.author}")
        for line in message_lines(stored.message):
            self.write(f"│ {line}")
        for reply_number in stored.replies:
            reply = self.gateway.messages[reply_number]
            for i, line in enumerate(message_lines(reply.message)):
                prefix = f"↳ {reply_number} {reply.author}: " if i == 0 else "    "
                self.write(f"│ {prefix}{line}")
        self.write("└")

    async def advance(self, text: str) -> None:
        """Move the fake clock forward, stopping at each moment something comes due on the way.

        The server sweeps every few seconds; the console stops at each alarm instead, so a
        jump of a day shows every reminder and nudge at the time it would have been sent.
        """
        try:
            delta = parse_duration(text)
        except ValueError as error:
            raise UserFacingError(str(error)) from None
        target = self.clock.now() + delta
        self.write(f"⏩ {format_duration(delta)} later: {self._local(target)}")
        for _ in range(MAX_STOPS):
            due = await next_due_at(self.core)
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            with self.gateway.holding() as printed:
                await self._due_work()
            if printed:
                self.write(f"🕒 {self._local(self.clock.now())}")
            for line in printed:
                self.write(line)
        self.clock.set(target)
        await self._due_work()

    async def _due_work(self) -> None:
        """What the server's scheduler would run now: the sweep, then the weekly digests."""
        await run_due_work(self.core)
        await send_due_digests(self.core)
        await self.delivery.drain()

    def _local(self, at: datetime) -> str:
        return local_time(at, self.core.config.tz)


def _is_command(line: str) -> bool:
    """True when the whole line is a console command (a `+4h` only when it is a duration)."""
    if line.startswith("+"):
        try:
            parse_duration(line[1:])
        except ValueError:
            return False
        return True
    return _COMMAND_LINE.match(line) is not None
