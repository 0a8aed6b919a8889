"""Bot processes under test: start, wait until they poll, read their CPU and memory, stop them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fakebot import ApiCall, FakeBotApi

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent
_RUNNING: list[BotProcess] = []


def plain_env() -> dict[str, str]:
    """This process's environment minus FABDESK_* settings, with loopback out of any proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABDESK_")}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    env["PYTHONPATH"] = str(REPO)
    return env


def bot_env(fake: FakeBotApi, **values: str) -> dict[str, str]:
    """The environment of a bot process talking to `fake`, with fabdesk settings `values`."""
    env = plain_env()
    settings = {
        "bot_token": fake.token,
        "telegram_base_url": fake.base_url,
        "manager_ids": "900",
        "timezone": "Europe/Paris",
        "default_language": "en",
    }
    settings.update(values)
    env.update({f"FABDESK_{k.upper()}": v for k, v in settings.items()})
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


@dataclass
class BotProcess:
    """A bot running as its own process, polling the fake Bot API it was given."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    webhook_port: int | None = None  # in webhook mode: ready once it listens there (it does not poll)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, fake: FakeBotApi, timeout: float = 90.0) -> None:  # noqa: ASYNC109
        """Start the process and wait until it long-polls the fake (or listens on its webhook port)."""
        polling = asyncio.Event()

        def on_call(call: ApiCall) -> None:
            if call.method == "getUpdates":
                polling.set()

        fake.listeners.append(on_call)
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # our Ctrl-C is not theirs: we stop them ourselves
            )
        finally:
            log.close()
        _RUNNING.append(self)
        try:
            ended = asyncio.ensure_future(self.process.wait())
            ready = asyncio.ensure_future(
                polling.wait() if self.webhook_port is None else _listening(self.webhook_port)
            )
            done, _ = await asyncio.wait({ended, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            ended.cancel()
            if ready not in done:
                await self.stop()
                raise RuntimeError(f"{self.name} did not start polling; its log:\n{self.log_tail()}")
        finally:
            fake.listeners.remove(on_call)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def memory_kb(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def logged_errors(self) -> list[str]:
        """Lines of the log at ERROR level or with a traceback."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")]

    async def stop(self, timeout: float = 15.0) -> int | None:  # noqa: ASYNC109
        """Ask the bot to stop (SIGINT, as Ctrl-C), kill it if it does not."""
        process = self.process
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        try:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), timeout)
        except (TimeoutError, ProcessLookupError):
            kill(process.pid)
            await process.wait()
        finally:
            if self in _RUNNING:
                _RUNNING.remove(self)
        return process.returncode


async def _listening(port: int) -> None:
    """Return once something accepts connections on this local port."""
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        return


def kill(pid: int) -> None:
    """Kill one process we started (and its session), ignoring one already gone."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue


def kill_all() -> None:
    """Kill every bot process still running (the benchmark is ending, maybe on an error)."""
    for bot in list(_RUNNING):
        if bot.process is not None and bot.process.returncode is None:
            kill(bot.process.pid)
        _RUNNING.remove(bot)


def fabdesk_argv() -> list[str]:
    """`fabdesk run`, with this interpreter."""
    return [sys.executable, "-m", "bot.core.cli", "run"]


def script_argv(script: str, *args: str) -> list[str]:
    """A script of benchmarks/ run with this interpreter."""
    return [sys.executable, str(REPO / "benchmarks" / script), *args]
