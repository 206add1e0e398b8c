"""Stryker's mutants of the plugin: the same seed gives the same sample, each mutant changes one place, log lines
are left out; and bench/mutation_openclaw.py can fail: a reached mutant is killed, an unreached one survives."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import mutation_openclaw as bench
from bench.mutation import Equivalent, ModuleRun, Outcome, read_report
from harness import children, preparation, runner
from harness.openclaw import install, jsmutants

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed to fetch Node and Stryker")

SOURCES = {
    "twilio-AAAAAAAA.js": """
        function normalizeSmsPhoneNumber(raw) {
        \tconst trimmed = raw.trim();
        \tif (!trimmed) return "";
        \treturn trimmed.replace(/[^\\d+]/g, "");
        }
        function countDropped(params) {
        \tparams.log?.warn?.(`dropped ${params.count > 1 ? "messages" : "message"}`);
        \treturn params.count + 1;
        }
        export { normalizeSmsPhoneNumber as n, countDropped as t };
    """,
    "channel-plugin-api.js": """
        function chunkSmsPlainText(text, limit) {
        \treturn text.length <= limit ? [text] : [text.slice(0, limit), text.slice(limit)];
        }
        export { chunkSmsPlainText };
    """,
    "media-CCCCCCCC.js": """
        function isImage(contentType) {
        \treturn contentType.startsWith("image/");
        }
        export { isImage };
    """,
    "index.js": "export const entry = 1;\n",  # glue: not one of the channel's modules
}


@pytest.fixture(scope="module")
def tools() -> tuple[Path, Path]:
    return install.node(), jsmutants.tool()


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A tiny package shaped like the plugin: its three channel modules (with build hashes) and glue."""
    for name, text in SOURCES.items():
        path = tmp_path / "dist" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def test_the_same_seed_gives_the_same_mutants(package: Path, tools: tuple[Path, Path]) -> None:
    first, second = jsmutants.generate(package, *tools), jsmutants.generate(package, *tools)
    assert first == second and len(first) > 20
    assert {m.module for m in first} == set(jsmutants.MODULES)
    assert jsmutants.sample(first, 6, 7) == jsmutants.sample(second, 6, 7)
    assert jsmutants.sample(first, 6, 7) != jsmutants.sample(first, 6, 8)
    assert all(not m.left_out for m in jsmutants.sample(first, 6, 7))
    assert len({(m.module, m.id) for m in first}) == len(first)


def test_each_mutant_changes_exactly_its_own_place_and_stays_javascript(
    package: Path, tools: tuple[Path, Path], tmp_path: Path
) -> None:
    for mutant in jsmutants.generate(package, *tools):
        text = (package / "dist" / mutant.file).read_text(encoding="utf-8")
        mutated = mutant.mutated(text)
        assert mutated != text, mutant
        assert mutated[: mutant.start] == text[: mutant.start]
        assert mutated[mutant.start + len(mutant.replacement) :] == text[mutant.end :]
        diff = mutant.diff(package)
        assert diff.startswith(f"--- a/dist/{mutant.file}") and diff.count("\n@@ ") == 1, diff
        check = tmp_path / "check.mjs"
        check.write_text(mutated, encoding="utf-8")
        done = subprocess.run(
            [str(tools[0] / "node"), "--check", str(check)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (mutant, done.stderr)


def test_mutants_are_placed_by_their_function_and_log_lines_are_left_out(
    package: Path, tools: tuple[Path, Path]
) -> None:
    mutants = jsmutants.generate(package, *tools)
    by_scope = {m.scope.split(".")[0]: m for m in mutants}
    assert by_scope["normalizeSmsPhoneNumber"].features == ("allowlist", "outbound")
    assert by_scope["chunkSmsPlainText"].features == ("plain_text", "replies")
    assert by_scope["isImage"].features == ("mms",)
    logged = [m for m in mutants if m.scope == "countDropped" and m.original.startswith("`dropped")]
    assert logged and {m.left_out for m in logged} == {"logging"}
    counted = [m for m in mutants if m.scope == "countDropped" and m.original == "params.count + 1"]
    assert counted and counted[0].left_out == "not mapped"


def test_a_mutant_whose_text_is_gone_says_so(package: Path, tools: tuple[Path, Path]) -> None:
    mutant = next(m for m in jsmutants.generate(package, *tools) if m.original == '"image/"')
    mutant.apply(package)
    with pytest.raises(jsmutants.GenerationError, match="no longer reads '\"image/\"'"):
        mutant.apply(package)


def test_equivalents_must_name_a_mutant_and_quote_its_mutated_line(
    package: Path, tools: tuple[Path, Path], tmp_path: Path
) -> None:
    mutants = jsmutants.generate(package, *tools)
    mutant = next(m for m in mutants if m.original == '"image/"')
    listed = tmp_path / "equivalent.toml"
    line = bench.mutated_line(mutant, package)
    entry = f'[[equivalent]]\nmodule = "media"\nid = "{mutant.id}"\nline = {line!r}\nreason = "why"\n'
    listed.write_text(entry, encoding="utf-8")
    assert [e.id for e in bench.equivalents_for(mutants, package, listed)] == [mutant.id]
    listed.write_text(entry.replace(mutant.id, "Nothing#9"), encoding="utf-8")
    with pytest.raises(ValueError, match="media has no mutant Nothing#9"):
        bench.equivalents_for(mutants, package, listed)


def test_a_verdict_names_the_scenario_and_a_gateway_that_did_not_start() -> None:
    def report(outcome: str, message: str) -> dict:
        return {"scenarios": [{"outcome": outcome, "message": message, "feature": "Probe", "scenario": "S"}]}

    assert bench.verdict(0, report("passed", "")) == ("survived", "")
    assert bench.verdict(1, report("failed", "\nexpected 200, saw 403")) == (
        "killed",
        "Probe — S: expected 200, saw 403",
    )
    status, why = bench.verdict(1, report("failed", "[setup] OpenClaw did not report ready within 90s; log tail:"))
    assert status == "killed" and why.startswith("the gateway did not start (twice): Probe — S")
    assert bench.verdict(2, None) == ("incompetent", "pytest exited 2 with no failed scenario")
    baselines = bench.Unmutated(runner.RunOptions(gateway="openclaw"), Path("report"))
    baselines.seconds, baselines.overhead = {"probe": 30.0, "webhook": 10.0, "mms": 99.0}, 20.0
    assert baselines.bound(("probe", "webhook")) == 300


def test_an_unmutated_run_past_its_time_fails_its_features_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def too_slow(options: runner.RunOptions, quiet: bool, timeout: float) -> None:
        calls.append(options.features)
        raise children.TimedOut(f"stopped after {timeout:.0f}s")

    class Plugin:
        root = tmp_path

        def reset(self) -> None:
            pass

    monkeypatch.setattr(runner, "run_suite", too_slow)
    baselines = bench.Unmutated(runner.RunOptions(gateway="openclaw"), tmp_path)
    assert baselines.ready(Plugin(), ("probe", "webhook")) == []  # type: ignore[arg-type]
    assert calls == [["probe", "webhook"]] * 2 and baselines.passed == {"probe": False, "webhook": False}


def test_a_run_past_its_time_is_stopped_with_everything_it_started(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    script = (
        "import os, subprocess, sys, time\n"
        f"open({str(token_file)!r}, 'w').write(os.environ['{children.MARK}'])\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n"
        "time.sleep(300)\n"
    )
    # 8 s: the child must start Python and write its token first, which takes seconds on a loaded machine
    with pytest.raises(children.TimedOut, match="stopped after 8s"):
        children.run_child([sys.executable, "-c", script], tmp_path, subprocess.DEVNULL, timeout=8)
    assert children.carrying(token_file.read_text()) == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_reached_mutant_is_killed_and_an_unreached_one_survives(tmp_path: Path) -> None:
    options = runner.RunOptions(gateway="openclaw")
    install.install()
    with preparation.private_plugin(options) as plugin:
        package = plugin.packages[0]
        mutants = jsmutants.generate(package, install.node(), jsmutants.tool())
        # sendSmsViaTwilio's body emptied: nothing is sent, the service's first reply never comes
        reached = next(m for m in mutants if m.scope == "sendSmsViaTwilio" and m.id.startswith("BlockStatement#"))
        # the probe's comparison of the number's webhook: no messaging-service scenario runs a probe
        unreached = next(m for m in mutants if m.scope == "compareTwilioWebhook.status" and m.original == '"missing"')
        base = runner.RunOptions(gateway="openclaw", openclaw_state=str(plugin.root), verbose=False)
        outcomes = []
        for mutant, limit in ((reached, 300), (unreached, 300), (unreached, 5)):
            outcome = Outcome(mutant.module, mutant.id, mutant.line, mutant.scope, "not run")
            bench.run_one(plugin, mutant, ("messaging_service",), limit, base, tmp_path, outcome)
            outcomes.append(outcome)
        plugin.reset()
        assert jsmutants.generate(package, install.node(), jsmutants.tool()) == mutants  # the install is as published
    assert [o.status for o in outcomes] == ["killed", "survived", "timeout"], [o.output for o in outcomes]
    assert "Messaging Service" in outcomes[0].output


def test_the_report_has_the_refclaw_shape_with_start_failures_and_a_total(tmp_path: Path) -> None:
    outcomes = [
        Outcome("twilio", "BlockStatement#3", 19, "normalizeSmsPhoneNumber", "survived", 9.0, "-a\n+b"),
        Outcome("media", "StringLiteral#0", 7, "isImage", "killed", 5.0, "", "the gateway did not start (twice): S: x"),
        Outcome("media", "StringLiteral#1", 8, "isImage", "timeout", 9.0, "", "stopped after 300s"),
    ]
    runs = [ModuleRun("twilio", ("allowlist",), 60.0, True, 300, 2, outcomes[:1])]
    runs.append(ModuleRun("media", ("mms",), 60.0, True, 300, 0, outcomes[1:]))
    meta = {
        "stryker": "10.1.1", "openclaw": "2026.9.6", "sms_plugin": "2026.9.4", "generated": 9, "in_paths": 7,
        "sample": 3, "seed": 1, "budget_minutes": 5.0, "workers": 1, "wall_seconds": 30.0,
        "left_out": {"logging": 2, "ui text": 0, "not mapped": 0},
    }  # fmt: skip
    markdown = bench.write(tmp_path, runs, [], meta)
    assert "**All modules: 2/3 = 66.7 %**" in markdown and "| twilio | allowlist | 0 | 0 | 1 |" in markdown
    assert "## Killed by a gateway that did not start (1)\n\n- media `StringLiteral#0`" in markdown
    assert "+b" in markdown and read_report(tmp_path) == (runs, meta)
    judged = Equivalent("twilio", "BlockStatement#3", "b", "why")
    assert "**All modules: 2/2 = 100.0 %**" in bench.write(tmp_path, runs, [judged], meta)


class StubPlugin:
    """A private install as run_one uses it: reset, and a package the stub mutant is written into."""

    def __init__(self, root: Path) -> None:
        self.root, self.packages, self.resets = root, [root], 0

    def reset(self) -> None:
        self.resets += 1


class StubMutant:
    module, id = "media", "BooleanLiteral#1"

    def apply(self, package: Path) -> None:
        pass


def scenarios(outcome: str) -> dict:
    failed = outcome == "failed"
    return {
        "scenarios": [
            {
                "outcome": outcome,
                "message": "expected a reply, saw none" if failed else "",
                "feature": "MMS",
                "scenario": "S",
                "nodeid": "scenarios/test_features.py::test_s[a-b]",
            }
        ]
    }


@pytest.mark.parametrize(
    ("runs", "status", "keyword_run"),
    [
        (["failed", "failed"], "killed", 1),  # the kill repeats alone: it stands
        (["failed", "passed", "passed"], "survived", 1),  # a timing failure: the features once more, they pass
        (["failed", "passed", "failed"], "killed", 1),  # ... and fail again: killed, the second run's verdict
        (["passed"], "survived", None),
    ],
)
def test_a_kill_counts_only_when_its_scenario_fails_again_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runs: list[str], status: str, keyword_run: int | None
) -> None:
    calls: list[runner.RunOptions] = []

    def run_suite(options: runner.RunOptions, quiet: bool, timeout: float) -> tuple[int, dict]:
        outcome = runs[len(calls)]
        calls.append(options)
        return (1 if outcome == "failed" else 0), scenarios(outcome)

    monkeypatch.setattr(runner, "run_suite", run_suite)
    outcome = Outcome("media", "BooleanLiteral#1", 1, "f", "not run")
    base = runner.RunOptions(gateway="openclaw")
    bench.run_one(StubPlugin(tmp_path), StubMutant(), ("mms",), 60, base, tmp_path, outcome)  # type: ignore[arg-type]
    assert outcome.status == status and len(calls) == len(runs)
    assert [c.keyword for c in calls] == [("test_s" if i == keyword_run else None) for i in range(len(runs))]
    assert all(c.features == ["mms"] for c in calls)


def test_a_resumed_run_keeps_the_verdicts_of_the_same_sample_and_refuses_another(tmp_path: Path) -> None:
    outcomes = [
        Outcome("media", "A#1", 1, "f", "killed", 9.0, output="MMS — S: no"),
        Outcome("media", "A#2", 2, "f", "not run"),
        Outcome("media", "A#3", 3, "f", "survived", 8.0),
    ]
    meta = {
        "stryker": "10.1.1",
        "openclaw": "o",
        "sms_plugin": "p",
        "generated": 9,
        "in_paths": 9,
        "sample": 3,
        "seed": 1,
        "budget_minutes": 1,
        "workers": 1,
        "wall_seconds": 5.0,
        "left_out": {"logging": 0, "ui text": 0, "not mapped": 0},
    }
    bench.write(
        tmp_path, [ModuleRun("media", ("mms",), baseline_seconds=40.0, timeout=240, outcomes=outcomes)], [], meta
    )
    kept, before = bench.earlier_verdicts(tmp_path, 1, 3, "p")
    assert {key: o.status for key, o in kept.items()} == {("media", "A#1"): "killed", ("media", "A#3"): "survived"}
    assert before["wall_seconds"] == 5.0
    earlier = before["modules"]["media"]  # its figures carry into the resumed run's module row
    assert (earlier.baseline_seconds, earlier.timeout) == (40.0, 240)
    with pytest.raises(SystemExit, match="it ran seed 1, 3 mutants of p, not seed 2, 3 of p"):
        bench.earlier_verdicts(tmp_path, 2, 3, "p")
    with pytest.raises(SystemExit, match="no finished report there"):
        bench.earlier_verdicts(tmp_path / "none", 1, 3, "p")
