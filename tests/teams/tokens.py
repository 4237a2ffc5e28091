"""A stand-in for Microsoft's token signing keys: an OpenID document and JWKS on loopback."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class KeyServer:
    """Publishes one signing key the way login.botframework.com does; signs test tokens."""

    def __init__(self, key: rsa.RSAPrivateKey, key_id: str = "frontline-test-key") -> None:
        self.key = key
        self.key_id = key_id
        # A fresh path per server: the SDK caches keys per metadata URL for the whole process.
        self._path = f"/{uuid.uuid4().hex}"
        self._server: TestServer | None = None

    @property
    def metadata_url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url(f"{self._path}/openidconfiguration"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"{self._path}/openidconfiguration", self._metadata)
        app.router.add_get(f"{self._path}/keys", self._keys)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    async def _metadata(self, request: web.Request) -> web.Response:
        assert self._server is not None
        keys = str(self._server.make_url(f"{self._path}/keys"))
        return web.json_response({"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": keys})

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.key_id, "use": "sig", "endorsements": ["msteams"]})
        return web.json_response({"keys": [jwk]})


def token(
    key: rsa.RSAPrivateKey,
    *,
    audience: str,
    service_url: str,
    key_id: str = "frontline-test-key",
    issuer: str = BOT_FRAMEWORK_ISSUER,
    expires_in: int = 3600,
) -> str:
    """A Bot Framework channel token, signed with `key`."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "serviceurl": service_url,
        "nbf": now - 60,
        "exp": now + expires_in,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": key_id})
