"""bench/mutation.py can fail: a mutant the scenarios reach is killed, one they never reach survives, and
the hand-judged equivalents name real mutants."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

pytest.importorskip("cosmic_ray")

from bench import mutation

FEATURE = ("messaging_service",)  # three scenarios, a few seconds


def pick(module: str, operator: str, definition: str, tmp_path: Path) -> mutation.Mutant:
    """A mutant found by what it does, not by its occurrence number, so edits elsewhere do not move it."""
    found = [
        m
        for m in mutation.discover(module, tmp_path / f"{module}.sqlite")
        if m.spec.operator_name == operator and m.spec.definition_name == definition
    ]
    assert found, f"no {operator} in {module}.{definition}"
    return found[0]


def running_from(copy: Path) -> list[int]:
    """Processes that import from a worker's copy (pytest, the gateway), found through their environment."""
    needle = f"PYTHONPATH={copy}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_refclaw_s_own_tests_can_kill_a_mutant_no_scenario_reaches(tmp_path: Path) -> None:
    # `del turns[:-1000]` -> `del turns[:not 1000]`: the turn log grows past its cap
    capped = pick("state", "core/ReplaceUnaryOperator_USub_Not", "record_turn", tmp_path)
    run = mutation.ModuleRun("state", ("tests/test_reference_state.py",))
    with mutation.workspaces(1) as copies:
        mutation.baseline(copies, run)  # the same command passes unmutated: the kill is the mutant's
        [outcome] = mutation.run_mutants([(capped, run.features, 120)], copies, workers=1)
    assert run.baseline_ok
    assert outcome.status == "killed"


@pytest.mark.slow
def test_a_reached_mutant_is_killed_and_an_unreached_one_survives(tmp_path: Path) -> None:
    # `if sender is None: raise` -> `is not None`: no reply goes out, the feature's first scenario fails
    reached = pick("twilio_api", "core/ReplaceComparisonOperator_Is_IsNot", "send_message", tmp_path)
    # the probe's recent outbound status: no messaging-service scenario runs a probe
    unreached = pick("probe", "core/ReplaceTrueWithFalse", "recent_outbound", tmp_path)
    with mutation.workspaces(2) as copies:
        jobs = [(reached, FEATURE, 120), (unreached, FEATURE, 120), (unreached, FEATURE, 3)]
        outcomes = mutation.run_mutants(jobs, copies, workers=2)
        left = [pid for copy in list(copies.queue) for pid in running_from(copy)]
    assert [(o.module, o.status) for o in outcomes] == [
        ("twilio_api", "killed"),
        ("probe", "survived"),
        ("probe", "timeout"),
    ]
    assert not left, "a timeout left the gateway or the emulator running"
    assert "+    if sender is not None:" in outcomes[0].diff
    assert outcomes[1].diff.startswith("--- mutation diff ---\n--- a/refclaw/probe.py")
    assert mutation.module_path("twilio_api").read_text(encoding="utf-8").count("if sender is None:") == 1


def test_the_score_leaves_out_equivalents_and_counts_timeouts_as_killed() -> None:
    outcomes = [
        mutation.Outcome("limits", f"op#{i}", 1, None, status)
        for i, status in enumerate(("killed", "timeout", "survived", "survived", "incompetent", "not run"))
    ]
    figures = mutation.score(outcomes, {("limits", "op#3")})
    assert (figures["total"], figures["equivalent"], figures["score"]) == (3, 1, 66.7)


def test_a_report_can_be_scored_again_from_its_json(tmp_path: Path) -> None:
    outcome = mutation.Outcome("limits", "op#0", 14, None, "survived", 3.0, "-a\n+b")
    run = mutation.ModuleRun("limits", ("webhook",), 9.0, True, 48, 0, [outcome])
    meta = {"cosmic_ray": "8", "sample": 5, "seed": 1, "workers": 2, "budget_minutes": 1.0, "wall_seconds": 9.0}
    markdown = mutation.write_report(tmp_path, [run], [], meta)
    assert "0/1 = 0.0 %" in markdown and "+b" in markdown
    assert mutation.read_report(tmp_path) == ([run], meta)
    judged = mutation.Equivalent("limits", "op#0", "b", "why")
    assert "0/0 = 0.0 %" in mutation.write_report(tmp_path, [run], [judged], meta)


def test_mutants_in_lazy_annotations_are_left_out(tmp_path: Path) -> None:
    mutants = mutation.discover("numbers", tmp_path / "numbers.sqlite")
    in_notes = [m for m in mutants if mutation.in_annotations(m)]
    assert in_notes and all(m.spec.operator_name.startswith("core/ReplaceBinaryOperator_BitOr_") for m in in_notes)
    assert "-> str + None" in mutation.mutated_line(in_notes[0])


def test_the_equivalents_file_parses_and_names_real_mutants(tmp_path: Path) -> None:
    entries = mutation.load_equivalents()
    assert all(entry.reason.strip() for entry in entries)
    wrong = tmp_path / "equivalent.toml"
    wrong.write_text('[[equivalent]]\nmodule = "limits"\nid = "core/NoSuchOperator#0"\nline = "x"\nreason = "r"\n')
    with pytest.raises(ValueError, match="has no mutant"):
        mutation.load_equivalents(wrong)
