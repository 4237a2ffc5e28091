"""The Slack adapter assembled: Web API client, Bolt app, gateway and the inbox handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.endpoint import SlackEndpoint
from adapters.slack.errors import SlackStartupError
from adapters.slack.forms import Forms
from adapters.slack.gateway import PLATFORM, SlackGateway
from adapters.slack.identity import (
    Authorizer,
    BotIdentity,
    SlackUnreachable,
    check_bot_token,
)
from adapters.slack.interactions import Interactions
from adapters.slack.listeners import register
from adapters.slack.members import SlackMembers
from adapters.slack.people import People
from adapters.slack.requests import SlackRequests
from adapters.slack.socket_mode import SocketModeConnection
from adapters.slack.unhandled import answer_unhandled
from adapters.wiring import Runtime

log = logging.getLogger(__name__)
BOLT_LOG = logging.getLogger("adapters.slack.bolt")
DEFAULT_API_URL = "https://slack.com/api/"
WEB_API_TIMEOUT_SECONDS = 15
RECHECK = 30.0  # seconds between checks of a Slack that could not be reached at start


class _TokenIsUsed(logging.Filter):
    """Drops Bolt's start-up warning that SLACK_BOT_TOKEN "will be unused".

    Bolt reads the variable itself and warns because we hand it a client of our own; the
    token is used, by that client, so the warning would only mislead the admin.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


@dataclass(frozen=True)
class SlackCredentials:
    """What Slack needs from the environment; the secrets stay out of `repr`."""

    bot_token: str = field(repr=False)
    signing_secret: str | None = field(repr=False)
    app_token: str | None = field(repr=False)
    api_url: str | None


class SlackAdapter:
    """Everything Slack needs while the server runs; `lifecycle` opens and closes it."""

    def __init__(self, runtime: Runtime, credentials: SlackCredentials) -> None:
        self.credentials = credentials
        api_url = credentials.api_url or DEFAULT_API_URL
        # No retry handlers (the SDK's default retries a lost connection, which could post a
        # message twice): the outbox's delivery worker retries, off the request path, and knows
        # when a retry could post a message twice.
        self.client = AsyncWebClient(
            token=credentials.bot_token,
            base_url=api_url,
            timeout=WEB_API_TIMEOUT_SECONDS,
            retry_handlers=[],
        )
        self.authorizer = Authorizer(credentials.bot_token)
        # Bolt's own client carries no token: `authorize` hands it one per request, and our
        # Web API calls go through `self.client` anyway.
        self._bolt_client = AsyncWebClient(
            base_url=api_url, timeout=WEB_API_TIMEOUT_SECONDS, retry_handlers=[]
        )
        if not any(isinstance(f, _TokenIsUsed) for f in BOLT_LOG.filters):
            BOLT_LOG.addFilter(_TokenIsUsed())
        # Listeners only parse, store and ack, so Bolt can run them inline and answer at once
        # (otherwise it polls for the ack every 10 ms).
        self.bolt = AsyncApp(
            name="frontline",
            logger=BOLT_LOG,
            process_before_response=True,
            client=self._bolt_client,
            authorize=self.authorizer.function(),
            signing_secret=credentials.signing_secret or "",
            request_verification_enabled=not self.socket_mode,
            # A request no listener matches goes to `answer_unhandled` (a 200 and one log
            # line) instead of Bolt's 404 and its many-line listener suggestion.
            raise_error_for_unhandled_request=True,
        )
        self.bolt.error(answer_unhandled)
        self.gateway = SlackGateway(self.client)
        self.members = SlackMembers(self.client)
        people = People(self.client)
        self.interactions = Interactions(
            core=runtime.core, client=self.client, gateway=self.gateway, people=people
        )
        forms = Forms(core=runtime.core, client=self.client, people=people)
        self.requests = SlackRequests(runtime.intake, self.interactions)
        runtime.inbox.handle(PLATFORM, self.requests.run)
        self.commands = register(self.bolt, self.interactions, forms, self.requests)
        self.socket: SocketModeConnection | None = None
        self.identity: BotIdentity | None = None

    @property
    def socket_mode(self) -> bool:
        return self.credentials.app_token is not None

    def endpoint(self) -> SlackEndpoint:
        """The HTTP endpoint (HTTP mode only: it needs the signing secret)."""
        assert self.credentials.signing_secret is not None
        return SlackEndpoint(self.bolt, self.credentials.signing_secret, commands=self.commands)

    async def lifecycle(self, _: object) -> AsyncIterator[None]:
        """aiohttp cleanup context: check the token and connect at start; disconnect at the end."""
        # One connection pool for every Web API call instead of one per call. slack_sdk applies
        # its `timeout` only to sessions it opens itself, so the shared one carries the limit.
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT_SECONDS)
        )
        self.client.session = session
        self._bolt_client.session = session
        self.gateway.session = session
        waiting: asyncio.Task[None] | None = None
        try:
            try:
                await self._connect(await check_bot_token(self.client))
            except SlackUnreachable as error:
                # A bad token stops the start; Slack being down must not stop the server (and
                # Teams, and the stored work with it): requests are still stored and answered,
                # messages wait in the outbox, and the check is made again until Slack answers.
                log.error("%s; starting anyway, and checking again every %g s", error, RECHECK)
                waiting = asyncio.get_running_loop().create_task(self._connect_when_reachable())
        except BaseException:
            await session.close()
            raise
        try:
            yield
        finally:
            if waiting is not None:
                waiting.cancel()
                await asyncio.gather(waiting, return_exceptions=True)
            if self.socket is not None:
                await self.socket.stop()
            await session.close()

    async def _connect(self, identity: BotIdentity) -> None:
        self.identity = identity
        self.authorizer.identity = identity
        self.interactions.bot_user_id = identity.bot_user_id
        if self.credentials.app_token is not None:
            self.socket = SocketModeConnection(self.bolt, self.credentials.app_token, self.client)
            await self.socket.start()

    async def _connect_when_reachable(self) -> None:
        while True:
            await asyncio.sleep(RECHECK)
            try:
                identity = await check_bot_token(self.client)
            except SlackUnreachable:
                continue
            except SlackStartupError as error:  # reachable now, and the token is refused
                log.critical("%s; Slack requests cannot be served until this is fixed", error)
                return
            try:
                await self._connect(identity)
            except Exception:
                log.exception("Slack answered again, but Frontline could not connect to it")
                return
            log.info("Slack can be reached again")
            return
