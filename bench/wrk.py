"""Load from `wrk` (Debian's package), not from Python: a load generator written in Python takes
the cores the server under test needs (on 2 cores it made our own ceiling look 35 % lower).

One call is one bounded measurement: at most `seconds` long (wrk's -d) and at most `count`
requests (a Lua `response` hook stops each wrk thread at its share), on loopback only.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

THREADS = 1  # wrk is C and event driven: one thread keeps up with any of these servers and leaves a core
SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
local done, limit = 0, {per_thread}
response = function(status, headers, body)
  done = done + 1
  if done >= limit then wrk.thread:stop() end
end
"""
ROTATE = """
local logins, turn = {{ {logins} }}, 0
request = function()
  turn = turn % #logins + 1
  wrk.headers["Authorization"] = logins[turn]
  return wrk.format()
end
"""


@dataclass
class Load:
    """What wrk measured: requests per second, 99th-percentile latency, and how many answers were not 2xx/3xx."""

    rps: float
    p99_ms: float
    requests: int
    errors: int


def available() -> str | None:
    """Why wrk cannot run here, or None."""
    return None if shutil.which("wrk") else "wrk is not installed (Debian: apt-get install wrk)"


def basic(login: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]" if text else "nil"


def run(
    url: str,
    *,
    seconds: float,
    count: int,
    connections: int,
    method: str = "GET",
    body: str = "",
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    logins: list[tuple[str, str]] | None = None,
) -> Load:
    """`logins`: Basic credentials taken in turn, one per request (a peer that limits each login)."""
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError(f"load goes to loopback only, not {host}")
    headers = dict(headers or {})
    if auth:
        headers["Authorization"] = basic(auth)
    lines = "\n".join(
        f"wrk.headers[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items()
    )  # "[ [" is not "[["
    script = SCRIPT.format(
        method=lua_string(method), body=lua_string(body), headers=lines, per_thread=max(1, count // THREADS)
    )
    if logins:
        script += ROTATE.format(logins=", ".join(lua_string(basic(login)) for login in logins))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.lua"
        path.write_text(script)
        argv = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(path)]
        proc = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {proc.stderr.strip() or proc.stdout.strip()}")
    return parse(proc.stdout)


def parse(output: str) -> Load:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if not (rps and p99 and total):
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return Load(
        float(rps.group(1)), float(p99.group(1)) * scale, int(total.group(1)), int(errors.group(1)) if errors else 0
    )
