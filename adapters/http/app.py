"""`create_app`: the aiohttp application with every active platform mounted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.http.metrics import METRICS_KEY, Metrics, count_requests, metrics_endpoint
from adapters.http.queues import QUEUES_KEY, QueueReader
from adapters.wiring import Runtime

log = logging.getLogger(__name__)
RUNTIME_KEY = web.AppKey("runtime", Runtime)
PLATFORMS_KEY = web.AppKey("platforms", list[str])


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the server is up and its database answers; degraded when delivery lags.

    503 when the database does not answer. When a message has waited longer than
    FRONTLINE_OUTBOX_STALE_SECONDS, still 200 (this replica can serve; restarting it would not
    help) but `"status": "degraded"` with the reason, for the monitoring to show.
    """
    runtime = request.app[RUNTIME_KEY]
    if not await runtime.database.ping():
        down = {"status": "database unavailable", "platforms": request.app[PLATFORMS_KEY]}
        return web.json_response(down, status=503)
    body: dict[str, object] = {"status": "ok", "platforms": request.app[PLATFORMS_KEY]}
    queues = await request.app[QUEUES_KEY].read()
    if queues is not None:
        body["inbox_depth"] = queues.inbox_depth
        body["outbox_pending"] = queues.outbox.pending
        body["outbox_dead"] = queues.outbox.dead
        limit = runtime.settings.env.frontline_outbox_stale_seconds
        if queues.oldest_age_seconds > limit:
            body["status"] = "degraded"
            body["reason"] = (
                f"the oldest undelivered message has waited {queues.oldest_age_seconds:.0f} s "
                f"(more than {limit} s); `frontline outbox` lists what is stuck and why"
            )
    return web.json_response(body)


@web.middleware
async def answering(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count the request as being answered, so the workers claim more work in the gaps."""
    arrivals = request.app[RUNTIME_KEY].arrivals
    arrivals.begin()
    try:
        return await handler(request)
    finally:
        arrivals.end()


def create_app(runtime: Runtime) -> web.Application:
    """The one aiohttp application: health, metrics and the platforms that are configured."""
    app = web.Application(middlewares=[answering, count_requests], client_max_size=1024 * 1024)
    app[RUNTIME_KEY] = runtime
    metrics = Metrics.create()
    app[METRICS_KEY] = metrics
    app[QUEUES_KEY] = QueueReader(runtime)
    runtime.delivery.observe(metrics)
    app[PLATFORMS_KEY] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)

    async def close_runtime(_: web.Application) -> None:
        # run_app cleans up inside a cancelled task on shutdown; finish closing regardless.
        await asyncio.shield(runtime.close())

    app.on_cleanup.append(close_runtime)
    return app
