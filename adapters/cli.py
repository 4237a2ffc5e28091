"""The `frontline` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config.environment import ENVIRONMENT_SOURCE, load_environment
from bot.config.example import write_example
from bot.config.models import TeamsAppConfig
from bot.config.settings import (
    DEFAULT_CONFIG_PATH,
    Settings,
    check_config,
    load_settings,
    missing_file_problem,
    named_config_path,
)
from bot.errors import ConfigError, FrontlineError

log = logging.getLogger(__name__)

COMMANDS = {
    "serve": "run the server: Slack and Teams endpoints, /healthz and /metrics",
    "console": "chat with Frontline in the terminal, as anyone in any channel (no credentials)",
    "demo": "a scripted walk-through of the loop with a fast-forwarded clock",
    "init": "write a commented example frontline.yml",
    "check-config": (
        "validate frontline.yml and the environment variables; say exactly what is wrong and where"
    ),
    "db": "database maintenance: `frontline db upgrade` applies migrations",
    "outbox": "list messages not yet delivered or given up; `outbox retry` sends them again",
    "teams-package": "write the Teams app package (manifest and icons, zipped) to upload",
    "export": "write every flag with its theme, status and timestamps as CSV or JSON",
    "digest": "print the weekly digests as they would be sent (`--preview`); sends nothing",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontline",
        description="Frontline: no customer left in silence; recurring problems routed to "
        "the team that owns them.",
    )
    parser.add_argument("--config", help="path of frontline.yml (default: $FRONTLINE_CONFIG)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = sub.add_parser("serve", help=COMMANDS["serve"], description=COMMANDS["serve"])
    serve.add_argument("--host", help="address to listen on (default: $FRONTLINE_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $FRONTLINE_PORT)")
    console = sub.add_parser("console", help=COMMANDS["console"], description=COMMANDS["console"])
    console.add_argument(
        "--fresh",
        action="store_true",
        help="start over: forget the console's flags, themes and clock in this folder",
    )
    sub.add_parser("demo", help=COMMANDS["demo"], description=COMMANDS["demo"])
    init = sub.add_parser("init", help=COMMANDS["init"], description=COMMANDS["init"])
    init.add_argument(
        "path",
        nargs="?",
        help="file to write (default: --config, else $FRONTLINE_CONFIG, else frontline.yml)",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = sub.add_parser(
        "check-config", help=COMMANDS["check-config"], description=COMMANDS["check-config"]
    )
    check.add_argument("path", nargs="?", help="file to check (default: the configured one)")
    db = sub.add_parser("db", help=COMMANDS["db"], description=COMMANDS["db"])
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply every pending migration to DATABASE_URL")
    outbox = sub.add_parser("outbox", help=COMMANDS["outbox"], description=COMMANDS["outbox"])
    outbox_sub = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    retry = outbox_sub.add_parser("retry", help="make given-up (or waiting) messages due now")
    retry.add_argument("ids", nargs="*", type=int, help="outbox ids, as `frontline outbox` shows")
    retry.add_argument("--dead", action="store_true", help="every given-up message")
    package = sub.add_parser(
        "teams-package", help=COMMANDS["teams-package"], description=COMMANDS["teams-package"]
    )
    package.add_argument(
        "output", nargs="?", default="frontline-teams.zip", help="zip file to write"
    )
    for key, field in TeamsAppConfig.model_fields.items():
        package.add_argument(
            "--" + key.replace("_", "-"),  # as adapters.teams.package.developer_option names it
            dest=key,
            metavar="NAME" if key == "developer_name" else "URL",
            help=f"{field.description} (default: teams_app.{key} in frontline.yml)",
        )
    export = sub.add_parser("export", help=COMMANDS["export"], description=COMMANDS["export"])
    export.add_argument("--format", choices=("csv", "json"), default="csv", dest="fmt")
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.add_argument(
        "--include-private",
        action="store_true",
        help="include the words of flags raised in private conversations (left out by default)",
    )
    export.add_argument(
        "--console",
        action="store_true",
        help="export the console's database in this folder instead of DATABASE_URL",
    )
    digest = sub.add_parser("digest", help=COMMANDS["digest"], description=COMMANDS["digest"])
    digest.add_argument(
        "--preview",
        action="store_true",
        required=True,
        help="print the digests instead of sending them (the scheduler sends them)",
    )
    digest.add_argument("--channel", help="only the digest to this channel (its id or name)")
    digest.add_argument("--week", help="the ISO week to report on, like 2026-W47 (default: last)")
    digest.add_argument("--chart", type=Path, help="write the product digest's chart PNG here")
    digest.add_argument(
        "--console",
        action="store_true",
        help="preview from the console's database and clock in this folder",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `frontline` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return 2
    except FrontlineError as error:
        print(f"frontline: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        return _init(args.path or args.config, force=args.force)
    if args.command == "check-config":
        return _check_config(args.path or args.config)
    # Packaging the Teams app needs only the app id, not the server's secrets.
    settings = load_settings(
        config_path=args.config,
        check_combinations=args.command != "teams-package",
        named_file_required=True,
    )
    _configure_logging(settings, quiet=args.command in ("console", "demo", "export", "digest"))
    if args.command == "console":
        from adapters.console.repl import run_console

        asyncio.run(run_console(settings, fresh=args.fresh))
        return 0
    if args.command == "demo":
        from adapters.console.demo import run_demo

        asyncio.run(run_demo(settings))
        return 0
    if args.command == "db":
        return asyncio.run(_db_upgrade(settings))
    if args.command == "outbox":
        from adapters.outbox_command import run_outbox

        retrying = args.outbox_command == "retry"
        if retrying and not (args.ids or args.dead):
            print("Say which: `frontline outbox retry ID …` or `--dead`.", file=sys.stderr)
            return 2
        ids = args.ids if retrying else []
        return asyncio.run(run_outbox(settings, retry=ids, retry_dead=retrying and args.dead))
    if args.command == "export":
        from adapters.console.repl import console_database_url
        from adapters.export_command import run_export

        url = console_database_url() if args.console else None
        return asyncio.run(
            run_export(
                settings,
                output=args.output,
                fmt=args.fmt,
                include_private=args.include_private,
                url=url,
            )
        )
    if args.command == "digest":
        from adapters.console.repl import console_database_url, resumed_time
        from adapters.digest_command import run_digest_preview

        return asyncio.run(
            run_digest_preview(
                settings,
                channel=args.channel,
                week=args.week,
                chart=args.chart,
                url=console_database_url() if args.console else None,
                now=resumed_time(Path.cwd()) if args.console else None,
            )
        )
    if args.command == "teams-package":
        from adapters.teams.package import write_teams_package

        developer = {key: getattr(args, key) for key in TeamsAppConfig.model_fields}
        written = write_teams_package(settings, Path(args.output), developer=developer)
        print(f"Wrote {written}. Upload it in Teams: Apps → Manage your apps → Upload an app.")
        return 0
    from adapters.http.serve import serve

    serve(settings, host=args.host, port=args.port)
    return 0


def _configure_logging(settings: Settings, *, quiet: bool) -> None:
    level = logging.WARNING if quiet else settings.env.frontline_log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin and step at INFO, APScheduler every job it adds and runs;
    # their warnings are what an operator acts on.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _init(named: str | None, *, force: bool) -> int:
    # Without a path, write the file `frontline serve` will read.
    from_environment = named is None and named_config_path(os.environ) is not None
    path = Path(named or named_config_path(os.environ) or DEFAULT_CONFIG_PATH)
    try:
        write_example(path, overwrite=force)
    except FileExistsError:
        print(f"{path} already exists; use --force to overwrite it.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"frontline: cannot write {path}: {exc.strerror or exc}.", file=sys.stderr)
        return 1
    where = " (the file FRONTLINE_CONFIG names)" if from_environment else ""
    print(f"Wrote {path}{where}. Edit it, then run `frontline check-config {path}`.")
    return 0


def _check_config(named: str | None) -> int:
    """The config file and the environment's variables, as `serve` would read them."""
    environment = _environment_problems()
    if environment:
        print(ConfigError(ENVIRONMENT_SOURCE, environment))
    return max(_check_config_file(named), 1 if environment else 0)


def _environment_problems() -> list[str]:
    from storage.database import DatabaseUnusable, usable_url

    try:
        env = load_environment(os.environ)
    except ConfigError as exc:
        return list(exc.problems)
    if env.database_url is None:
        return []
    try:
        usable_url(env.database_url)
    except DatabaseUnusable as exc:
        return [f"DATABASE_URL: {str(exc).removeprefix('DATABASE_URL ')}"]
    return []


def _check_config_file(named: str | None) -> int:
    target = named or named_config_path(os.environ)
    if target is None:
        target = DEFAULT_CONFIG_PATH
        if not Path(target).exists():
            print(
                f"{target} not found: the defaults will be used. "
                "`frontline init` writes a commented example to start from."
            )
            return 0
    if not Path(target).exists():
        print(f"{target}: {missing_file_problem(target)}.")
        return 1
    problems = check_config(Path(target))
    if problems:
        print(ConfigError(target, problems))
        return 1
    print(f"{target} is valid.")
    return 0


async def _db_upgrade(settings: Settings) -> int:
    from adapters.wiring import database_url
    from storage.database import Database

    database = Database.from_url(database_url(settings))
    try:
        await database.upgrade()
    finally:
        await database.dispose()
    print(f"Database {database.description} is up to date.")
    return 0
