"""`create_app`: the aiohttp application with every active platform mounted."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from adapters.http.metrics import METRICS_KEY, Metrics, count_requests, metrics_endpoint
from adapters.wiring import Runtime

log = logging.getLogger(__name__)
RUNTIME_KEY = web.AppKey("runtime", Runtime)
PLATFORMS_KEY = web.AppKey("platforms", list[str])


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the server is up and its database answers."""
    runtime = request.app[RUNTIME_KEY]
    healthy = await runtime.database.ping()
    body = {
        "status": "ok" if healthy else "database unavailable",
        "platforms": request.app[PLATFORMS_KEY],
    }
    return web.json_response(body, status=200 if healthy else 503)


def create_app(runtime: Runtime) -> web.Application:
    """The one aiohttp application: health, metrics and the platforms that are configured."""
    app = web.Application(middlewares=[count_requests], client_max_size=1024 * 1024)
    app[RUNTIME_KEY] = runtime
    app[METRICS_KEY] = Metrics.create()
    app[PLATFORMS_KEY] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)

    async def close_runtime(_: web.Application) -> None:
        # run_app cleans up inside a cancelled task on shutdown; finish closing regardless.
        await asyncio.shield(runtime.close())

    app.on_cleanup.append(close_runtime)
    return app
