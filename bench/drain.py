"""One consumer draining a backlog, alone, optionally under py-spy.

``python -m bench.drain survey [--events 10000] [--profile DIR]`` starts its own nats-server
(``sync_interval: always``), declares the streams, publishes the backlog ``make bench``
uses for that service, starts the real service process and times the drain. With
``--profile`` py-spy samples the service while it drains and writes ``DIR/<service>.txt``
(collapsed stacks; ``bench/flame.py`` sums them). py-spy is not a dependency:
``pip install py-spy`` first.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import DRAIN, measure_drain_alone
from scripts import system


def _with_py_spy(out: Path, seconds: int, idle: bool = False):
    """``System.start_service``, with py-spy attached to the service it starts."""
    start = system.System.start_service

    def start_service(self, name: str) -> None:
        start(self, name)
        subprocess.Popen(
            [shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record", "-r", "200",
             "-f", "raw", "-d", str(seconds), *(["--idle"] if idle else []), "-o", str(out / f"{name}.txt"), "--pid", str(self.procs[name].pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    return start_service


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("service", choices=sorted(DRAIN))
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--profile", default=None, help="directory for py-spy's collapsed stacks")
    ap.add_argument("--seconds", type=int, default=8, help="how long py-spy samples")
    ap.add_argument("--idle", action="store_true", help="py-spy also samples waiting threads (wall clock)")
    args = ap.parse_args()
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        system.System.start_service = _with_py_spy(Path(args.profile), args.seconds, args.idle)
    work = Path(tempfile.mkdtemp(prefix=f"plazadesk-drain-{args.service}-"))
    print(asyncio.run(measure_drain_alone(args.service, work, args.events)))


if __name__ == "__main__":
    main()
