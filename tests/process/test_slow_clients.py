"""Many idle clients against a real `frontline serve` with a low open-file limit.

The server runs with `ulimit -n 256`; the test opens 400 connections that send nothing, then
asks `/healthz` on a new one. It must answer, and the log must hold no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import subprocess
from pathlib import Path

import aiohttp

from adapters.http.connections import RESERVED_DESCRIPTORS
from tests.process.harness import HOST, _stop_now, free_port, frontline_executable

FILE_LIMIT = 256
IDLE_CONNECTIONS = 400


async def test_health_answers_with_more_idle_connections_than_the_file_limit(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "FRONTLINE_", "DATABASE_URL"))
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'frontline.db'}"
    serve = shlex.join([str(frontline_executable()), "serve", "--host", HOST, "--port", str(port)])
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220 (started once; the harness does the same)
            ["sh", "-c", f"ulimit -n {FILE_LIMIT} && exec {serve}"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            for _ in range(200):  # wait until it serves
                try:
                    async with session.get(f"http://{HOST}:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(
                    f"the server never answered /healthz: {log.read_text()[-2000:]}"
                )
            for _ in range(IDLE_CONNECTIONS):
                # Each is accepted at once: the oldest idle ones are closed to make room.
                connection = await asyncio.wait_for(asyncio.open_connection(HOST, port), 2)
                connections.append(connection)
            await asyncio.sleep(0.5)
            async with session.get(f"http://{HOST}:{port}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["status"] in ("ok", "degraded")
            closed = 0
            for reader, _ in connections:
                with contextlib.suppress(TimeoutError, ConnectionError):
                    if await asyncio.wait_for(reader.read(1), 0.01) == b"":
                        closed += 1
            # The guard dropped the oldest idle ones (without it: none, and connecting stalls).
            assert closed >= IDLE_CONNECTIONS // 3
        assert process.poll() is None, "the server died"
    finally:
        for _, writer in connections:
            writer.close()
        _stop_now(process)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text
    assert f"at most {FILE_LIMIT - RESERVED_DESCRIPTORS} client connections" in text
