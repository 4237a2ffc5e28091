"""Prometheus metrics, one registry per application (no module-level globals).

Besides HTTP requests: the inbox and outbox as they stand (read from the database at each
scrape, so every replica reports the shared queues) and what this replica's delivery worker
did (attempts, deliveries, retries, rate limits, dead letters) per platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from adapters.http.queues import QUEUES_KEY


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    deliveries: Counter
    inbox_depth: Gauge
    outbox_pending: Gauge
    outbox_dead: Gauge
    outbox_oldest_age: Gauge

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            requests=Counter(
                "frontline_http_requests",
                "HTTP requests handled, by route and status",
                ["route", "status"],
                registry=registry,
            ),
            deliveries=Counter(
                "frontline_outbox_deliveries",
                "What this replica's delivery worker did with outgoing messages, by platform "
                "and outcome: attempt, delivered, retry, rate_limited, skipped, dead",
                ["platform", "outcome"],
                registry=registry,
            ),
            inbox_depth=Gauge(
                "frontline_inbox_depth",
                "Acknowledged requests stored and not yet run",
                registry=registry,
            ),
            outbox_pending=Gauge(
                "frontline_outbox_pending",
                "Outgoing messages not yet delivered (due now or waiting for a retry)",
                registry=registry,
            ),
            outbox_dead=Gauge(
                "frontline_outbox_dead",
                "Outgoing messages given up, by platform (see `frontline outbox`)",
                ["platform"],
                registry=registry,
            ),
            outbox_oldest_age=Gauge(
                "frontline_outbox_oldest_pending_age_seconds",
                "Age of the oldest undelivered outgoing message (0 when none)",
                registry=registry,
            ),
        )

    def attempted(self, platform: str, outcome: str) -> None:
        """The delivery worker's observer (`bot.outbox.worker.DeliveryObserver`)."""
        self.deliveries.labels(platform, outcome).inc()


METRICS_KEY = web.AppKey("metrics", Metrics)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """GET /metrics in the Prometheus text format."""
    metrics = request.app[METRICS_KEY]
    queues = await request.app[QUEUES_KEY].read()
    if queues is not None:
        metrics.inbox_depth.set(queues.inbox_depth)
        metrics.outbox_pending.set(queues.outbox.pending)
        metrics.outbox_dead.clear()  # a platform whose dead letters were all retried: gone
        for platform, dead in queues.dead_by_platform.items():
            metrics.outbox_dead.labels(platform).set(dead)
        metrics.outbox_oldest_age.set(queues.oldest_age_seconds)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def count_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count each request by its route and final status."""
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as error:
        request.app[METRICS_KEY].requests.labels(name, str(error.status)).inc()
        raise
    request.app[METRICS_KEY].requests.labels(name, str(response.status)).inc()
    return response
