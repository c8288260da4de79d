"""Start-up time of the CLI next to its floor, measured in the same run.

    .venv/bin/python bench/startup.py [--runs N]

Prints the median wall and CPU time (of N runs, default 7, after one warm-up each) of
``python -c "import typer"`` (the floor: the CLI cannot start faster than typer
imports), ``newsradar --help``, and a few simple commands, and the ratio of each to
the floor. Each command is a fresh process, as a user's would be.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _once(cmd: list[str], cwd: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def timed_together(cmds: list[list[str]], runs: int, cwd: str) -> list[tuple[float, float]]:
    """(median wall seconds, median CPU seconds of the child) per command. The commands
    take turns, round after round, so that a load that comes and goes on a shared machine
    weighs on all of them alike; the CPU time is the steadier figure."""
    for cmd in cmds:
        subprocess.run(cmd, capture_output=True, cwd=cwd, check=False)  # warm the file cache
    samples: list[list[tuple[float, float]]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            samples[i].append(_once(cmd, cwd))
    return [(statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for s in samples]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    exe = shutil.which("newsradar", path=str(Path(sys.executable).parent)) or "newsradar"
    argvs = (["--help"], ["feeds", "--help"], ["config", "check"], ["feeds", "list"], ["status"])
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([exe, "init", tmp, "--force"], capture_output=True, check=True)
        cmds = [[sys.executable, "-c", "import typer"]] + [[exe, *argv] for argv in argvs]
        (wall0, cpu0), *rest = timed_together(cmds, args.runs, tmp)
        print(f"{'command':<34} {'wall':>8} {'ratio':>6} {'cpu':>8} {'ratio':>6}")
        label = 'python -c "import typer"'
        print(f"{label:<34} {wall0 * 1000:5.0f} ms {1:5.1f}x {cpu0 * 1000:5.0f} ms {1:5.1f}x")
        for argv, (wall, cpu) in zip(argvs, rest):
            print(f"{'newsradar ' + ' '.join(argv):<34} {wall * 1000:5.0f} ms {wall / wall0:5.1f}x "
                  f"{cpu * 1000:5.0f} ms {cpu / cpu0:5.1f}x")


if __name__ == "__main__":
    main()
