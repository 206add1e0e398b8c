"""A listed divergence is an expected failure only at its own step with its own observation.

Unit checks of the rule, then whole runs: the reference gateway with a defect (`no_chunking`) and
divergence lists of our own making, and OpenClaw that cannot start, whose listed divergences must
all count as failures.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser

from harness import divergences, layout
from harness.divergences import Divergence
from harness.hermes import DIVERGENCES as HERMES_DIVERGENCES
from harness.openclaw import DIVERGENCES
from tests.processes import run_python, sms_harness

WORDS = '["one two ", "three ", "four five ", "six"]'
STEP = f'phone "A" gets the messages {WORDS}'


def entry(**changes: object) -> Divergence:
    fields = dict(
        test="t",
        scenario="s",
        step=STEP,
        guide="g",
        gateway="o",
        seen=("expected: 4 messages", "'one two three four five six'"),
    )
    fields.update(changes)
    return Divergence(**fields)  # type: ignore[arg-type]


def test_the_rule() -> None:
    pinned = entry()
    said = "expected: 4 messages to phone A within 15s\nseen: +15553357717: 'one two three four five six'"
    assert pinned.judge(False, STEP, said) is None
    assert "now passes" in (pinned.judge(True, None, "") or "")
    other = pinned.judge(False, "the gateway is running", "DriverError: gateway exited with code 1")
    assert other and "failed at step «the gateway is running», not at the divergence's step" in other
    setup = pinned.judge(False, None, "")
    assert setup and "outside any step" in setup
    third = pinned.judge(False, STEP, "expected: 4 messages to phone A\nseen: +1555: 'one'")
    assert third and "not as pinned: the message lacks \"'one two three four five six'\"" in third
    assert "pinned: openclaw o" in third


def test_a_list_without_a_step_or_an_observation_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text('[[divergence]]\ntest = "t"\nscenario = "s"\nguide = "g"\nopenclaw = "o"\n')
    with pytest.raises(pytest.UsageError, match="lacks seen, step"):
        divergences.load(path, "openclaw")
    path.write_text('[[divergence]]\ntest = "t"\nscenario = "s"\nstep = "x"\nguide = "g"\nopenclaw = "o"\nseen = []\n')
    with pytest.raises(pytest.UsageError, match="seen must list"):
        divergences.load(path, "openclaw")


def label(example: dict[str, str]) -> str:
    """An outline example's name as the report gives it: its "id" column, else its values."""
    return example.get("id") or " · ".join(map(str, example.values()))


def scenario_steps() -> dict[str, list[str]]:
    """Each scenario's steps as they run, by title ("Title [example id]" for an outline's example)."""
    steps = {}
    for path in layout.features_dir().glob("*.feature"):
        for template in FeatureParser(str(path.parent), path.name).parse().scenarios.values():
            contexts = [(f" [{label(c)}]", c) for e in template.examples for c in e.as_contexts()] or [("", {})]
            for suffix, context in contexts:
                steps[template.name + suffix] = [step.name for step in template.render(context).steps]
    return steps


@pytest.mark.parametrize(("gateway", "path"), [("openclaw", DIVERGENCES), ("hermes", HERMES_DIVERGENCES)])
def test_every_listed_divergence_names_a_scenario_and_one_of_its_steps(gateway: str, path: Path) -> None:
    """A renamed scenario or an edited step would leave an entry that can never match."""
    listed = run_python("-m", "pytest", "scenarios", "--collect-only", "-q", "-p", "no:cacheprovider", timeout=120)
    names = [line.split("::", 1)[1] for line in listed.stdout.splitlines() if "::" in line]
    steps = scenario_steps()
    assert names and steps
    listed_divergences = divergences.load(path, gateway)
    assert listed_divergences
    for d in listed_divergences:
        assert any(fnmatch.fnmatchcase(name, d.test) for name in names), d.test
        assert d.scenario in steps, d.scenario
        assert d.step in steps[d.scenario], f"{d.scenario}: no step {d.step!r} in {steps[d.scenario]}"


def write_list(path: Path, entries: list[dict[str, object]]) -> Path:
    lines = []
    for e in entries:
        lines.append("[[divergence]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in e.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pin(example: str, step: str, seen: list[str]) -> dict[str, object]:
    return {
        "test": f"test_a_long_answer_arrives_in_exactly_these_chunks[[]{example}-*",
        "scenario": f"A long answer arrives in exactly these chunks [{example}]",
        "step": step,
        "guide": "long replies arrive in chunks",
        "reference": "sends the whole reply as one message",
        "seen": seen,
    }


def outcomes(report: Path) -> dict[str, tuple[str, str]]:
    data = json.loads((report / "report.json").read_text())
    return {s["example"]: (s["outcome"], s["message"]) for s in data["scenarios"]}


@pytest.mark.slow
def test_only_the_pinned_step_and_observation_count_as_the_divergence(tmp_path: Path) -> None:
    listed = write_list(
        tmp_path / "divergences.toml",
        [
            pin("words keep their spaces", STEP, ["expected: 4 messages", "'one two three four five six'"]),
            pin(
                "newline preferred",
                'phone "A" gets the messages ["first line is here\n", "second line\nthird"]',
                ["expected: 2 messages", "something the gateway never said"],
            ),
            pin("no break at all", "the channel's textChunkLimit is 8", ["anything"]),
        ],
    )
    k = "test_a_long_answer_arrives_in_exactly_these_chunks and (words or newline or abcdefghij)"
    report = tmp_path / "mutated"
    done = sms_harness(  # on two workers: the judged reports cross xdist's serialization
        "run", "--mutant", "no_chunking", "--divergences", str(listed), "-k", k, "-n", "2", "--report", str(report)
    )
    seen = outcomes(report)
    assert seen["words keep their spaces"][0] == "divergence", seen
    assert 'reference diverges at step «phone "A" gets the messages' in seen["words keep their spaces"][1]
    assert seen["newline preferred"][0] == "failed"
    assert "not as pinned: the message lacks 'something the gateway never said'" in seen["newline preferred"][1]
    assert seen["no break at all"][0] == "failed"
    assert "not at the divergence's step «the channel's textChunkLimit is 8»" in seen["no break at all"][1]
    assert done.returncode == 1, done.stderr[-2000:]

    report = tmp_path / "clean"
    done = sms_harness("run", "--divergences", str(listed), "-k", k, "--report", str(report))
    seen = outcomes(report)
    assert seen["words keep their spaces"][0] == "failed"
    assert "listed divergence now passes" in seen["words keep their spaces"][1]
    assert done.returncode == 1


@pytest.mark.slow
def test_a_gateway_that_cannot_start_diverges_nowhere(tmp_path: Path) -> None:
    """Every listed divergence of OpenClaw fails with the cause when openclaw cannot even run; the
    Mac's imsg scenario is skipped before any of that, with its reason."""
    broken = tmp_path / "openclaw"
    broken.write_text("#!/bin/sh\necho 'openclaw: cannot load cli-root-options.mjs' >&2\nexit 1\n")
    broken.chmod(0o755)
    k = " or ".join(d.test.split("[")[0] for d in divergences.load(DIVERGENCES, "openclaw"))
    report = tmp_path / "report"
    done = sms_harness(
        "run", "--gateway", "openclaw", "--openclaw-bin", str(broken), "-k", f"{k} or imsg", "--report", str(report)
    )
    data = json.loads((report / "report.json").read_text())
    imsg = [s for s in data["scenarios"] if "imsg" in s["tags"]]
    assert [(s["outcome"], s["message"]) for s in imsg] == [
        (
            "skipped",
            "imsg: needs --sender imsg (a Mac that sends carrier SMS through Messages, and a real Twilio number)",
        )
    ]
    others = [s for s in data["scenarios"] if s not in imsg]
    assert data["totals"]["divergence"] == 0, data["totals"]
    assert data["totals"]["failed"] == len(others) > 0, data["totals"]
    cause = "failed: `" + str(broken) + " plugins install @openclaw/sms@2026.9.4` exit 1: openclaw: cannot load cli"
    for scenario in others:
        head = scenario["message"].splitlines()[:3]  # [why it is no divergence,] expected, seen: the cause
        assert any(line.startswith("seen: installing @openclaw/sms") and cause in line for line in head), head
    assert "cannot load cli-root-options.mjs" in done.stdout
    assert done.returncode == 1
