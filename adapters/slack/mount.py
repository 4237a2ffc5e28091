"""Mount Slack on the server: `POST /slack/events`, or Socket Mode when an app token is set."""

from __future__ import annotations

from aiohttp import web

from adapters.slack.adapter import SlackAdapter, SlackCredentials
from adapters.slack.endpoint import EVENTS_PATH
from adapters.slack.gateway import PLATFORM
from adapters.wiring import Runtime

SLACK_ADAPTER_KEY = web.AppKey("slack_adapter", SlackAdapter)


def mount_slack(app: web.Application, runtime: Runtime) -> str | None:
    """Mount Slack when its credentials are set; returns the platform label, or None."""
    env = runtime.settings.env
    if env.slack_bot_token is None:
        return None
    credentials = SlackCredentials(
        bot_token=env.slack_bot_token.get_secret_value(),
        signing_secret=(
            env.slack_signing_secret.get_secret_value() if env.slack_signing_secret else None
        ),
        app_token=env.slack_app_token.get_secret_value() if env.slack_app_token else None,
        api_url=env.slack_api_url,
    )
    adapter = SlackAdapter(runtime, credentials)
    runtime.router.add(PLATFORM, adapter.gateway, adapter.members)
    app[SLACK_ADAPTER_KEY] = adapter
    app.cleanup_ctx.append(adapter.lifecycle)
    if adapter.socket_mode:
        return "slack (socket mode)"
    app.router.add_post(EVENTS_PATH, adapter.endpoint().handle)
    return "slack (http)"
