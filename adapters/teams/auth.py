"""Who may post activities to /api/messages: the Bot Framework, proven by a signed token.

The SDK validates tokens against OpenID keys it fetches from Microsoft with a blocking HTTP
client, and fails in assorted ways (some of them not PermissionError). Validation therefore runs
in a worker thread with a time limit, and every failure, whatever its kind, becomes
`Unauthorized` so the endpoint answers 401 quickly and changes nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ServiceClientCredentialsFactory,
)

from bot.config.environment import Environment

log = logging.getLogger(__name__)
_BEARER_JWT = re.compile(r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_VALIDATION_SECONDS = 10.0
_MAX_HEADER_CHARS = 8192


class Unauthorized(Exception):
    """The activity does not carry a token proving it comes from the Bot Framework."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BotSettings:
    """The configuration object the SDK's authentication reads (attribute names are its own)."""

    APP_ID: str | None
    APP_PASSWORD: str | None = field(repr=False)
    APP_TENANTID: str | None
    APP_TYPE: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None


class TeamsAuthentication:
    """Checks incoming activities; with no app id configured, checks nothing (local only)."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        *,
        enabled: bool,
        timeout: float = _VALIDATION_SECONDS,
    ) -> None:
        self.inner = inner
        self.enabled = enabled
        self._timeout = timeout

    def check_peer(self, remote: str | None, headers: Mapping[str, str]) -> None:
        """Without authentication, accept only requests made on this machine, not proxied ones."""
        if self.enabled:
            return
        proxied = any(name in headers for name in ("Forwarded", "X-Forwarded-For"))
        if proxied or not _is_loopback_host(remote or ""):
            raise Unauthorized("authentication is off, so only local requests are accepted")

    def check_header(self, header: str) -> None:
        """Reject at once a request whose Authorization header cannot hold a valid token."""
        if not self.enabled:
            return
        if len(header) > _MAX_HEADER_CHARS or not _BEARER_JWT.match(header):
            raise Unauthorized("no bearer token" if not header else "malformed bearer token")

    async def authenticate(self, activity: Activity, header: str) -> AuthenticateRequestResult:
        """The SDK's result for a genuine activity; raise Unauthorized for anything else."""
        if not self.enabled:
            if not _is_local(activity.service_url):
                # Without authentication, answering other hosts would let anyone aim the bot.
                raise Unauthorized("authentication is off, so only local serviceUrls are accepted")
            result: AuthenticateRequestResult = await self.inner.authenticate_request(activity, "")
            return result
        self.check_header(header)
        validation = self.inner.authenticate_request(activity, header)
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(_run_in_own_loop, validation), self._timeout
            )
        except TimeoutError:
            raise Unauthorized("token validation timed out") from None
        except Exception as error:
            raise Unauthorized(f"invalid token ({type(error).__name__})") from None


# The SDK makes new credentials (with an empty token cache) for every connector client, which
# would fetch a fresh token from Entra for every message sent.
class ReusedCredentials(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """One credentials object per app id and audience, so its cached token is reused."""

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self._inner = inner
        self._made: dict[tuple[str, str, str, bool], Any] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        if key not in self._made:
            self._made[key] = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
        return self._made[key]


def _run_in_own_loop(validation: Coroutine[Any, Any, AuthenticateRequestResult]) -> Any:
    # The SDK fetches signing keys with blocking `requests`; in this thread that blocks no one.
    return asyncio.run(validation)


def _is_local(service_url: str | None) -> bool:
    return _is_loopback_host(urlsplit(service_url or "").hostname or "")


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bot_settings(env: Environment, *, openid_metadata_url: str | None = None) -> BotSettings:
    """The SDK's view of MICROSOFT_APP_ID/PASSWORD/TENANT_ID/TYPE (and where keys are published)."""
    # `openid_metadata_url` replaces Microsoft's signing-key document (private clouds, tests);
    # everything else stays the public cloud's.
    password = env.microsoft_app_password
    settings = BotSettings(
        APP_ID=env.microsoft_app_id,
        APP_PASSWORD=password.get_secret_value() if password is not None else None,
        APP_TENANTID=env.microsoft_app_tenant_id,
        APP_TYPE=env.microsoft_app_type or "MultiTenant",
    )
    if openid_metadata_url is None:
        return settings
    return BotSettings(
        APP_ID=settings.APP_ID,
        APP_PASSWORD=settings.APP_PASSWORD,
        APP_TENANTID=settings.APP_TENANTID,
        APP_TYPE=settings.APP_TYPE,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=openid_metadata_url,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=openid_metadata_url,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
    )


def build_authentication(
    env: Environment, *, openid_metadata_url: str | None = None
) -> TeamsAuthentication:
    """Authentication from the environment: on with an app id, off (local only) without."""
    settings = bot_settings(env, openid_metadata_url=openid_metadata_url)
    credentials = ReusedCredentials(ConfigurationServiceClientCredentialFactory(settings))
    inner = ConfigurationBotFrameworkAuthentication(settings, credentials_factory=credentials)
    return TeamsAuthentication(inner, enabled=bool(env.microsoft_app_id))
