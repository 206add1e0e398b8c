"""The benchmarks' own parts: reading wrk's figures, and load that never leaves loopback."""

from __future__ import annotations

import pytest

from bench import instructions, wrk

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    13.21ms    2.11ms  41.20ms   90.12%
    Req/Sec     2.42k   120.33     2.60k    80.00%
  Latency Distribution
     50%   12.90ms
     75%   13.80ms
     90%   15.02ms
     99%    1.02s
  24123 requests in 10.00s, 3.51MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   2412.30
Transfer/sec:    359.12KB
"""


def test_wrk_figures_are_read_with_their_units() -> None:
    load = wrk.parse(WRK_OUTPUT)
    assert (load.rps, load.p99_ms, load.requests, load.errors) == (2412.30, 1020.0, 24123, 7)
    assert wrk.parse(WRK_OUTPUT.replace("1.02s", "870.00us")).p99_ms == pytest.approx(0.87)


def test_wrk_output_without_figures_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no figures"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


def test_load_goes_to_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        wrk.run("http://example.com/", seconds=1, count=1, connections=1)


def test_the_instruction_count_workload_runs_on_this_checkout() -> None:
    """bench/instructions.py's requests, without valgrind: a create that is not answered 201 stops it."""
    instructions.workload(instructions.ROOT, 3, 2)
