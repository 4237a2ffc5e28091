"""Real processes for crash tests: `frontline serve`, a fake Slack Web API, and the counting.

The server is a black box here: it is started as `.venv/bin/frontline serve` with a clean
environment, driven over HTTP with signed `/flag escalate …` slash commands, killed with a
signal, restarted on the same database, and judged only by what it leaves behind: rows in the
`flags` table and calls recorded by the fake Slack (a process of its own that outlives it).

Requests are numbered; request `n` says `escalate checkout fails case 00042 ZD-42` (for n=42)
and names its response URL `cmd-42`, so flags, escalation posts and answers can be traced
back to the request that caused them. An `Agent` can mix in `/flag recurring …` requests
(a flag and an answer, no channel post): Slack takes about one message a second in a channel,
and the server paces its escalation posts accordingly, so a steady 100 requests/s can only be
checked end to end if about one a second of them is an escalation.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ctypes
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "slack" / "slash_command.json"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test"
ESCALATIONS = "C0ESCALAT1"
SUPPORT = "C0SUPPORT1"
# Every request is an escalation of the same synthetic problem, each to be posted on its own:
# bursts (which would join them into one post) are off, this is about durable delivery.
CONFIG = f"channels:\n  slack:\n    escalations: {ESCALATIONS}\nthemes:\n  coalesce_within: off\n"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"

SUMMARY = "checkout fails case {n:05d}"
CASE = re.compile(r"checkout fails case (\d{5})(?!\d)")
RESPONSE_NAME = re.compile(r"^cmd-(\d+)$")


def frontline_executable() -> Path:
    """`frontline` of the virtualenv running the tests (`.venv/bin/frontline`).

    `FRONTLINE_PROCESS_EXECUTABLE` names another one, to run these tests against another
    build of the server (say, a checkout of an older commit with a launcher script).
    """
    chosen = os.environ.get("FRONTLINE_PROCESS_EXECUTABLE")
    if chosen:
        return Path(chosen)
    beside = Path(sys.executable).parent / "frontline"
    return beside if beside.exists() else REPO / ".venv" / "bin" / "frontline"


def free_port() -> int:
    """A port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def summary_for(n: int) -> str:
    return SUMMARY.format(n=n)


def case_of(text: str) -> int | None:
    """The request number a flag summary or message text is about (None: not one of ours)."""
    found = CASE.search(text)
    return int(found.group(1)) if found else None


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    """Slack's v0 signature (kept here so the harness does not import the server's code)."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


async def _wait_process(process: subprocess.Popen[bytes], within: float) -> int | None:
    """The exit code, or None if the process still runs after `within` seconds."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        await asyncio.to_thread(process.wait, within)
    return process.poll()


def _prctl() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _prctl()  # looked up here: after fork, in the child, only the call itself is safe
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the thread that started it ends.

    Teardown stops every process; this covers the ends that skip teardown (pytest-timeout's
    thread method calls os._exit, a Ctrl-C twice, a crash of pytest itself). Processes are
    started from the event loop's thread, the main one, so it fires when pytest ends.
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _spawn(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Popen in this (the main) thread, in its own session, dying with the test process."""
    # Not in a worker thread (asyncio.to_thread): see _die_with_parent.
    return subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent, **options)


def _stop_now(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL (if still running) and reap; for teardown."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


# --- the fake Slack Web API process -------------------------------------------------------


class FakeSlackProcess:
    """`python -m tests.process.fake_slack_server` in its own process, and its call log."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port_file = workdir / "fake-slack.port"
        self.log_path = workdir / "fake-slack.calls.jsonl"
        self.output = workdir / "fake-slack.out"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._offset = 0
        self._calls: list[dict[str, Any]] = []

    async def start(self, within: float = 20.0) -> None:
        self.port_file.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "tests.process.fake_slack_server",
            "--port-file",
            str(self.port_file),
            "--log",
            str(self.log_path),
        ]
        with self.output.open("ab") as output:
            self.process = _spawn(command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the fake Slack exited early:\n{_tail(self.output)}")
            if self.port_file.exists():
                self.port = int(self.port_file.read_text())
                if await self._healthy():
                    return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the fake Slack did not start within {within:g} s")

    async def _healthy(self) -> bool:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
                session.get(f"{self.base}/control/health") as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            if await _wait_process(self.process, 5) is None:
                _stop_now(self.process)

    def kill_now(self) -> None:
        if self.process is not None:
            _stop_now(self.process)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        """What goes in SLACK_API_URL."""
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/respond/{name}"

    async def _control(self, path: str, body: dict[str, Any] | None = None) -> None:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.post(f"{self.base}{path}", json=body or {}) as response,
        ):
            text = await response.text()
            if response.status != 200:
                raise RuntimeError(f"fake Slack {path} answered {response.status}: {text}")

    async def refuse(self, method: str, **rule: Any) -> None:
        """Add a fault rule (see tests/process/fake_slack_server.py), e.g.
        `refuse("chat.postMessage", status=429, error="ratelimited", times=3, retry_after=2)`."""
        await self._control("/control/refuse", {"method": method, **rule})

    async def reset(self) -> None:
        await self._control("/control/reset")

    def calls(self) -> list[dict[str, Any]]:
        """Every call so far, from the durable log (complete lines only; read incrementally)."""
        if not self.log_path.exists():
            return self._calls
        with self.log_path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        complete = chunk.rfind(b"\n") + 1
        for line in chunk[:complete].splitlines():
            if line.strip():
                self._calls.append(json.loads(line))
        self._offset += complete
        return self._calls

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call for call in self.calls() if call["method"] == method]

    async def wait_for(self, check: Callable[[], bool], within: float = 10.0) -> None:
        """Poll `check` (which may look at `calls()`) until true; AssertionError after `within`."""
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                methods = Counter(call["method"] for call in self.calls())
                raise AssertionError(f"timed out after {within:g} s; calls so far: {methods}")
            await asyncio.sleep(0.05)


# --- the database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagRecord:
    number: int
    summary: str
    post_message_id: str | None


@dataclass
class ScratchDatabase:
    """A database of one test: an SQLite file, or a PostgreSQL database created for it."""

    kind: str  # "sqlite" or "postgresql"
    url: str  # what DATABASE_URL says
    path: Path | None = None  # SQLite
    admin_url: str | None = None  # PostgreSQL: where it was created from
    name: str | None = None  # PostgreSQL: its name

    @classmethod
    def sqlite(cls, workdir: Path) -> ScratchDatabase:
        path = workdir / "frontline.db"
        return cls("sqlite", f"sqlite:///{path}", path=path)

    @classmethod
    async def postgresql(cls, admin_url: str | None = None) -> ScratchDatabase:
        """Create an empty database (the caller runs `frontline db upgrade`)."""
        import asyncpg  # type: ignore[import-untyped]

        admin = _plain_postgres_url(admin_url or postgres_admin_url())
        name = f"frontline_process_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return cls("postgresql", _with_database(admin, name), admin_url=admin, name=name)

    async def drop(self) -> None:
        if self.kind != "postgresql" or self.admin_url is None:
            return
        import asyncpg

        connection = await asyncpg.connect(self.admin_url, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await connection.close()

    async def flags(self) -> list[FlagRecord]:
        """Every row of `flags` (nothing when the table does not exist yet)."""
        query = "SELECT number, summary, post_message_id FROM flags ORDER BY number"
        if self.kind == "sqlite":
            return await asyncio.to_thread(self._sqlite_flags, query)
        import asyncpg

        connection = await asyncpg.connect(self.url, timeout=5)
        try:
            rows = await connection.fetch(query)
        except asyncpg.UndefinedTableError:
            return []
        finally:
            await connection.close()
        return [FlagRecord(int(r[0]), str(r[1]), r[2]) for r in rows]

    def _sqlite_flags(self, query: str) -> list[FlagRecord]:
        assert self.path is not None
        if not self.path.exists():
            return []
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            rows = connection.execute(query).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise
        finally:
            connection.close()
        return [FlagRecord(int(r[0]), str(r[1]), r[2]) for r in rows]


def postgres_admin_url() -> str:
    """The server scratch databases are created on (`FRONTLINE_TEST_PG_URL` overrides)."""
    return os.environ.get("FRONTLINE_TEST_PG_URL") or DEFAULT_POSTGRES


def _plain_postgres_url(url: str) -> str:
    """asyncpg wants postgresql://…, not SQLAlchemy's postgresql+asyncpg://…"""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def _with_database(url: str, name: str) -> str:
    head, _, tail = url.partition("://")
    rest, _, query = tail.partition("?")
    authority = rest.split("/", 1)[0]
    return f"{head}://{authority}/{name}" + (f"?{query}" if query else "")


# --- the server process --------------------------------------------------------------------


def server_environment(
    fake: FakeSlackProcess, database: ScratchDatabase, workdir: Path
) -> dict[str, str]:
    """Only PATH, HOME and Frontline's own variables: nothing leaks in from the test run."""
    config = workdir / "frontline.yml"
    if not config.exists():
        config.write_text(CONFIG)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(workdir)),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database.url,
        "FRONTLINE_CONFIG": str(config),
    }


class FrontlineProcess:
    """`frontline serve --host 127.0.0.1 --port P`; restartable on the same port and database."""

    def __init__(self, env: dict[str, str], workdir: Path, port: int | None = None) -> None:
        self.env = env
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.exit_codes: list[int | None] = []

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base}/slack/events"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_paths(self, start: int | None = None) -> tuple[Path, Path]:
        number = self.starts if start is None else start
        return (
            self.workdir / f"frontline-{number}.stdout",
            self.workdir / f"frontline-{number}.stderr",
        )

    async def upgrade_database(self, within: float = 90.0) -> None:
        """`frontline db upgrade` with the server's environment."""
        process = await asyncio.create_subprocess_exec(
            str(frontline_executable()),
            "db",
            "upgrade",
            env=self.env,
            cwd=self.workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), within)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise RuntimeError(f"`frontline db upgrade` took over {within:g} s") from None
        if process.returncode != 0:
            text = output.decode(errors="replace")
            raise RuntimeError(f"`frontline db upgrade` failed:\n{text}")

    async def start(self, within: float = 45.0) -> None:
        """Start it and wait until GET /healthz answers 200."""
        assert not self.running, "already running"
        self.starts += 1
        stdout, stderr = self.log_paths()
        command = [
            str(frontline_executable()),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        with stdout.open("wb") as out, stderr.open("wb") as err:
            self.process = _spawn(command, cwd=self.workdir, env=self.env, stdout=out, stderr=err)
        await self.wait_healthy(within)

    async def wait_healthy(self, within: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + within
        last = "no answer"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"frontline serve exited with {self.process.returncode} at start:\n"
                        f"{_tail(self.log_paths()[1])}"
                    )
                try:
                    async with session.get(f"{self.base}/healthz") as response:
                        if response.status == 200:
                            return
                        last = f"{response.status}: {(await response.text())[:200]}"
                except (aiohttp.ClientError, TimeoutError) as error:
                    last = type(error).__name__
                await asyncio.sleep(0.1)
        raise RuntimeError(
            f"frontline serve: /healthz not 200 within {within:g} s ({last}):\n"
            f"{_tail(self.log_paths()[1])}"
        )

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Send `signum` now (SIGKILL: no cleanup at all; SIGTERM: aiohttp's graceful exit)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)

    async def wait_exit(self, within: float = 40.0) -> int | None:
        """Wait for the process to end; SIGKILL it if it has not after `within` seconds."""
        assert self.process is not None
        code = await _wait_process(self.process, within)
        if code is None:
            _stop_now(self.process)
            code = self.process.returncode
        self.exit_codes.append(code)
        return code

    async def crash(self, signum: int = signal.SIGKILL, within: float = 40.0) -> int | None:
        """Send `signum` and wait for the exit (SIGKILL after `within` s); the exit code."""
        self.kill(signum)
        return await self.wait_exit(within)

    def stop_now(self) -> None:
        """Teardown: SIGKILL whatever is left."""
        if self.process is not None:
            _stop_now(self.process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{_tail(path, 2000)}"
            for start in range(1, self.starts + 1)
            for path in self.log_paths(start)
        )


@contextlib.asynccontextmanager
async def started_server(
    env: dict[str, str], workdir: Path, database: ScratchDatabase
) -> AsyncIterator[FrontlineProcess]:
    """`frontline serve` on `database` (upgraded first on PostgreSQL), healthy; killed after."""
    server = FrontlineProcess(env, workdir)
    try:
        if database.kind == "postgresql":
            await server.upgrade_database()
        await server.start()
        yield server
    finally:
        server.stop_now()


# --- the requests --------------------------------------------------------------------------


@dataclass
class Sent:
    n: int
    status: int | None = None  # None: no HTTP answer at all
    error: str | None = None
    seconds: float = 0.0

    @property
    def acked(self) -> bool:
        return self.status == 200


@dataclass
class Agent:
    """Sends signed `/flag escalate …` slash commands and remembers which were acknowledged.

    `request` makes the body of each; a subclass can speak another platform (`TeamsAgent`)."""

    fake: FakeSlackProcess | None
    url: str
    secret: str = SECRET
    timeout: float = 10.0
    escalate_every: int = 1  # request n escalates when n % escalate_every == 0, else recurring
    sent: dict[int, Sent] = field(default_factory=dict)
    escalations: set[int] = field(default_factory=set)
    _next: int = 1
    _template: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._template = json.loads(FIXTURE.read_text())

    def kind(self, n: int) -> str:
        """What request `n` flags (noted when an escalation)."""
        if n % self.escalate_every == 0:
            self.escalations.add(n)
            return "escalate"
        return "recurring"

    def body(self, n: int) -> bytes:
        assert self.fake is not None
        form = copy.deepcopy(self._template)
        user = f"U0AGENT{n % 25:02d}"
        form.update(
            text=f"{self.kind(n)} {summary_for(n)} ZD-{n}",
            user_id=user,
            user_name=user.lower(),
            channel_id=SUPPORT,
            channel_name="support",
            trigger_id=f"{n}00000.738474920.{uuid.uuid4().hex}",
            response_url=self.fake.response_url(f"cmd-{n}"),
        )
        return urlencode(form).encode()

    def take(self, count: int) -> list[int]:
        numbers = list(range(self._next, self._next + count))
        self._next += count
        return numbers

    def request(self, n: int) -> tuple[bytes, dict[str, str]]:
        """The body and headers of request `n`: a signed slash command."""
        body = self.body(n)
        headers = {
            **signed_headers(self.secret, body),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return body, headers

    async def send(self, session: aiohttp.ClientSession, n: int) -> Sent:
        body, headers = self.request(n)
        record = self.sent[n] = Sent(n)
        started = time.perf_counter()
        try:
            async with session.post(self.url, data=body, headers=headers) as response:
                await response.read()
                record.status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            record.error = type(error).__name__
        record.seconds = time.perf_counter() - started
        return record

    def session(self, limit: int = 256) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, force_close=True),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )

    async def burst(self, count: int, *, concurrency: int = 16) -> list[Sent]:
        """`count` requests, `concurrency` at a time; returns when all are answered."""
        numbers = self.take(count)
        gate = asyncio.Semaphore(concurrency)
        async with self.session() as session:

            async def one(n: int) -> Sent:
                async with gate:
                    return await self.send(session, n)

            return list(await asyncio.gather(*(one(n) for n in numbers)))

    async def at_rate(self, rate: float, seconds: float) -> list[Sent]:
        """Open loop: request i leaves at start + i/rate, whatever became of the earlier ones."""
        numbers = self.take(int(rate * seconds))
        tasks: list[asyncio.Task[Sent]] = []
        async with self.session(limit=1024) as session:
            begin = time.monotonic()
            for i, n in enumerate(numbers):
                delay = begin + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.send(session, n)))
            return list(await asyncio.gather(*tasks))

    @property
    def acked(self) -> set[int]:
        return {n for n, record in self.sent.items() if record.acked}

    def summary(self) -> str:
        statuses = Counter(
            str(record.status) if record.status is not None else record.error or "?"
            for record in self.sent.values()
        )
        return f"sent {len(self.sent)} ({len(self.escalations)} escalations): " + ", ".join(
            f"{k}×{v}" for k, v in statuses.items()
        )


# --- what the server left behind -----------------------------------------------------------


def is_escalation_post(call: dict[str, Any]) -> bool:
    """A chat.postMessage that put a message at top level of the escalation channel."""
    params = call.get("params", {})
    return (
        call["method"] == "chat.postMessage"
        and "posted_ts" in call  # the fake stored it (even if it then answered an error)
        and params.get("channel") == ESCALATIONS
        and not params.get("thread_ts")
    )


def _message_case(call: dict[str, Any]) -> int | None:
    params = call.get("params", {})
    found = case_of(str(params.get("text", "")))
    if found is None and params.get("blocks"):
        found = case_of(json.dumps(params["blocks"]))
    return found


@dataclass
class Tally:
    """Per request number: flags in the database, escalation posts and answers at the fake."""

    flags: Counter[int]
    posts: Counter[int]
    answers: Counter[int]
    flag_posts: dict[int, set[str | None]]  # request -> post_message_id of its flag(s)
    post_ts: dict[int, set[str]]  # request -> ts of its escalation post(s)
    strangers: list[str]  # flags or posts that belong to no request of ours
    calls: int

    def fingerprint(self) -> tuple[Any, ...]:
        return (
            sum(self.flags.values()),
            sum(self.posts.values()),
            sum(self.answers.values()),
            sum(1 for ids in self.flag_posts.values() for i in ids if i),
            self.calls,
        )


async def count_flags(
    database: ScratchDatabase,
) -> tuple[Counter[int], dict[int, set[str | None]], list[str]]:
    """Per request number: its flags, their post ids; and the flags of no request."""
    flags: Counter[int] = Counter()
    flag_posts: dict[int, set[str | None]] = {}
    strangers: list[str] = []
    for row in await database.flags():
        n = case_of(row.summary)
        if n is None:
            strangers.append(f"flag F-{row.number} {row.summary!r}")
            continue
        flags[n] += 1
        flag_posts.setdefault(n, set()).add(row.post_message_id)
    return flags, flag_posts, strangers


async def tally(database: ScratchDatabase, fake: FakeSlackProcess) -> Tally:
    flags, flag_posts, strangers = await count_flags(database)
    posts: Counter[int] = Counter()
    post_ts: dict[int, set[str]] = {}
    answers: Counter[int] = Counter()
    calls = fake.calls()
    for call in calls:
        if is_escalation_post(call):
            n = _message_case(call)
            if n is None:
                strangers.append(f"post {call['posted_ts']} {call['params'].get('text')!r}")
                continue
            posts[n] += 1
            post_ts.setdefault(n, set()).add(call["posted_ts"])
        elif call["method"] == "response_url" and call.get("outcome") == "ok":
            found = RESPONSE_NAME.match(str(call["params"].get("name", "")))
            if found:
                answers[int(found.group(1))] += 1
    return Tally(flags, posts, answers, flag_posts, post_ts, strangers, len(calls))


def problems(
    result: Tally, sent: Iterable[int], acked: set[int], escalations: set[int] | None = None
) -> list[str]:
    """Everything that breaks exactly-once; empty when the outcome is right.

    - every acknowledged request: exactly one flag and at least one answer; an escalation
      also exactly one escalation post, its flag pointing at it (post_message_id = its ts);
    - any request (acknowledged or not, e.g. in flight at the kill): at most one flag, and a
      flag that exists is posted (escalations) and answered like an acknowledged one;
    - no escalation post for a recurring flag, and no flag or post that no request asked for.

    `escalations`: which requests were escalations (None: all of them).
    """
    found: dict[str, list[int]] = {}

    def note(kind: str, n: int) -> None:
        found.setdefault(kind, []).append(n)

    for n in sorted(set(sent)):
        flags, posts, answers = result.flags[n], result.posts[n], result.answers[n]
        if n in acked and flags == 0:
            note("acknowledged but no flag", n)
        if flags > 1:
            note("more than one flag", n)
        if escalations is not None and n not in escalations:
            if posts:
                note("escalation post for a recurring flag", n)
        else:
            if flags and posts == 0:
                note("flag without escalation post", n)
            if posts > 1:
                note("more than one escalation post", n)
            if posts and not flags:
                note("escalation post without flag", n)
            if flags == 1 and posts == 1:
                (post_id,) = result.flag_posts[n]
                if post_id not in result.post_ts[n]:
                    note("flag's post_message_id is not the ts of its post", n)
        if (flags or n in acked) and answers == 0:
            note("no answer reached the agent (response_url)", n)
    lines = [
        f"{kind}: {len(numbers)} request(s), e.g. {numbers[:10]}" for kind, numbers in found.items()
    ]
    if result.strangers:
        lines.append(
            f"{len(result.strangers)} flag(s)/post(s) of no request: {result.strangers[:5]}"
        )
    return lines


async def queue_depths(server: FrontlineProcess | None) -> tuple[int, int] | None:
    """(inbox_depth, outbox_pending) as GET /healthz reports them; None when it does not."""
    if server is None or not server.running:
        return None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(f"{server.base}/healthz") as response,
        ):
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    if not isinstance(body, dict) or "outbox_pending" not in body:
        return None
    return int(body.get("inbox_depth") or 0), int(body.get("outbox_pending") or 0)


async def settle(
    database: ScratchDatabase,
    fake: FakeSlackProcess,
    sent: Iterable[int],
    acked: set[int],
    escalations: set[int] | None = None,
    **options: Any,
) -> Tally:
    """`settle_on` what the database and the fake Slack hold."""
    return await settle_on(lambda: tally(database, fake), sent, acked, escalations, **options)


async def settle_on(
    count: Callable[[], Awaitable[Tally]],
    sent: Iterable[int],
    acked: set[int],
    escalations: set[int] | None = None,
    *,
    server: FrontlineProcess | None = None,
    within: float = 60.0,
    quiet: float = 20.0,
    linger: float = 2.0,
    every: float = 0.5,
) -> Tally:
    """Poll `count` until the outcome is right (then watch `linger` more seconds for
    duplicates), or nothing changed for `quiet` seconds, or `within` seconds passed; the last
    tally.

    "Changed" means a new flag, post, answer, post_message_id or any call at the fake
    platform; `quiet` must be longer than the server's longest pause between deliveries (a
    retry backoff, or the lease after which work claimed by a killed process is taken up
    again). With `server`, a /healthz that reports work still queued (`inbox_depth`,
    `outbox_pending`) also keeps the wait going, up to `within`.
    """
    sent = list(sent)
    deadline = time.monotonic() + within
    result = await count()
    last_change = time.monotonic()
    fingerprint = result.fingerprint()
    while time.monotonic() < deadline:
        if not problems(result, sent, acked, escalations):
            await asyncio.sleep(linger)
            return await count()
        if time.monotonic() - last_change > quiet:
            depths = await queue_depths(server)
            if not depths or not any(depths):
                return result
        await asyncio.sleep(every)
        result = await count()
        if result.fingerprint() != fingerprint:
            fingerprint = result.fingerprint()
            last_change = time.monotonic()
    return result


async def settle_agent(
    count: Callable[[], Awaitable[Tally]],
    agent: Agent,
    server: FrontlineProcess,
    *,
    within: float,
    quiet: float,
) -> Tally:
    """`settle_on` what `agent` sent, with `server`'s queues in view."""
    return await settle_on(
        count,
        agent.sent,
        agent.acked,
        agent.escalations,
        server=server,
        within=within,
        quiet=quiet,
    )


async def demand_exactly_once(
    count: Callable[[], Awaitable[Tally]],
    agent: Agent,
    server: FrontlineProcess,
    *,
    within: float,
    quiet: float,
) -> None:
    """Wait for the (restarted) server to finish what it owes, then demand exactly-once."""
    assert agent.acked, f"no request was acknowledged at all: {agent.summary()}\n{server.logs()}"
    result = await settle_agent(count, agent, server, within=within, quiet=quiet)
    assert not problems(result, agent.sent, agent.acked, agent.escalations), report(
        result, agent, server
    )


def report(result: Tally, agent: Agent, server: FrontlineProcess) -> str:
    """A failure message: what was wrong, how many, and where the logs are."""
    sent = list(agent.sent)
    acked = agent.acked
    lines = problems(result, sent, acked, agent.escalations)
    repeated = sorted(n for n, count in result.answers.items() if count > 1)
    if repeated:  # not a failure by itself: at-least-once is what the agent is promised
        lines.append(f"(answered more than once: {len(repeated)} request(s), e.g. {repeated[:10]})")
    return "\n".join(
        [
            f"{agent.summary()}; acknowledged {len(acked)} "
            f"({len(acked & agent.escalations)} escalations); "
            f"flags {sum(result.flags.values())}, escalation posts {sum(result.posts.values())}, "
            f"answers {sum(result.answers.values())}; server exits {server.exit_codes}",
            *lines,
            f"logs in {server.workdir}",
        ]
    )
