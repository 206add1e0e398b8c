"""Instructions per request in our stack, counted by valgrind: a before and after that load cannot blur.

wrk's figures on two shared cores move 10-15 % between two runs of the same code, more than most
changes do. valgrind's callgrind counts the instructions a process runs, the same for the same
code and input whatever else the machine is doing. Each tree (this checkout, and `--baseline DIR`, a
`git worktree add DIR <commit>`) serves Messages.json creates and list pages through its own app,
in process (Quart's test client: our code and Quart, without sockets or hypercorn), three times,
each after one create and one list page (what only the first request costs: lazy imports, caches):
with no more, with the creates, with the creates and the lists. The differences over the counts
are the instructions per create and per list page.

    python bench/instructions.py [--creates 200] [--lists 40] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN = "AC" + "0" * 32, "twilio_test_auth_token"
NUMBER, HANDSET = "+15551000001", "+15557654321"
RUN_TIMEOUT = 1800.0  # one tree's longest run under callgrind, some 50 times slower than without it
COLLECTED = re.compile(r"Collected : (\d+)")


def workload(root: Path, creates: int, lists: int) -> None:
    """A warm-up create and list page, then the requests, served by the app of the tree at `root`
    (run in the child, under valgrind)."""
    import asyncio
    import base64

    sys.path.insert(0, str(root))
    from emulator.app import create_app
    from emulator.server import build_backend

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "accounts.toml"
        config.write_text(
            f'[[accounts]]\nsid = "{SID}"\nauth_token = "{TOKEN}"\n[[accounts.numbers]]\nphone_number = "{NUMBER}"\n'
        )
        app = create_app(build_backend(0, config))
    auth = {"Authorization": "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()}
    path = f"/2010-04-01/Accounts/{SID}/Messages.json"

    async def serve() -> None:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            for _ in range(1 + creates):
                answer = await client.post(path, form={"To": HANDSET, "From": NUMBER, "Body": "b"}, headers=auth)
                if answer.status_code != 201:
                    raise SystemExit(f"a create answered {answer.status_code}: {(await answer.get_data())[:200]!r}")
            for _ in range(1 + lists):
                answer = await client.get(path + "?PageSize=50", headers=auth)
                if answer.status_code != 200:
                    raise SystemExit(f"a list answered {answer.status_code}")

    asyncio.run(serve())


def instructions(root: Path, creates: int, lists: int) -> int:
    """What callgrind counts for one child serving these requests from the tree at `root`."""
    command = [
        os.environ.get("VALGRIND", "valgrind"),
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(root),
        str(creates),
        str(lists),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0")  # the same dict layouts, so the same count
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env, cwd=root)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"instructions.py: the run of {root} took over {RUN_TIMEOUT:.0f} s") from None
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or not found:
        ours = [line for line in done.stderr.strip().splitlines() if not line.startswith("==")]  # not valgrind's
        raise SystemExit(
            f"instructions.py: the run of {root} failed (exit {done.returncode}): {(ours or ['no output'])[-1]}"
        )
    return int(found.group(1))


def per_request(root: Path, creates: int, lists: int) -> tuple[float, float]:
    """Instructions per create and per list page for one tree (its three runs, two at once)."""
    with ThreadPoolExecutor(2) as pool:
        idle, made, listed = pool.map(lambda n: instructions(root, *n), [(0, 0), (creates, 0), (creates, lists)])
    return (made - idle) / creates, (listed - made) / lists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--lists", type=int, default=40)
    parser.add_argument("--baseline", type=Path, help="another checkout (git worktree) to count beside this one")
    parser.add_argument("--child", nargs=3, metavar=("ROOT", "CREATES", "LISTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workload(Path(args.child[0]), int(args.child[1]), int(args.child[2]))
        return
    if shutil.which(os.environ.get("VALGRIND", "valgrind")) is None:
        raise SystemExit("instructions.py: needs valgrind (Debian's package valgrind)")
    if args.creates < 1 or args.lists < 1:
        raise SystemExit("instructions.py: --creates and --lists must be at least 1")
    if args.baseline is not None and not (args.baseline / "emulator" / "server.py").is_file():
        raise SystemExit(f"instructions.py: --baseline {args.baseline} is not a checkout of this project")
    trees = [("ours", ROOT), *([("baseline", args.baseline.resolve())] if args.baseline else [])]
    counted = {name: per_request(root, args.creates, args.lists) for name, root in trees}
    print(f"instructions per request, counted by callgrind ({args.creates} creates, {args.lists} list pages)")
    print(f"{'':12}" + "".join(f"{name:>14}" for name, _ in trees) + ("   ours/baseline" if args.baseline else ""))
    for index, what in enumerate(("create", "list page")):
        figures = [counted[name][index] for name, _ in trees]
        ratio = f"{figures[0] / figures[1]:>16.3f}" if args.baseline else ""
        print(f"{what:12}" + "".join(f"{value / 1e6:>12.3f} M" for value in figures) + ratio)


if __name__ == "__main__":
    main()
