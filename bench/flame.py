"""Sums py-spy's collapsed stacks (``-f raw``) into inclusive shares per function.

``python -m bench.flame DIR/survey.txt [--top 60] [--under Connection.execute]``
"""

from __future__ import annotations

import argparse
import collections
import re


def shares(path: str, under: str | None = None) -> tuple[int, list[tuple[str, int]]]:
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in open(path, encoding="utf-8"):
        stack, _, n = line.rstrip().rpartition(" ")
        frames = [re.sub(r":\d+\)", ")", f) for f in stack.split(";")]
        if under and not any(f.startswith(under) for f in frames):
            continue
        total += int(n)
        for frame in dict.fromkeys(frames):
            inclusive[frame] += int(n)
    return total, inclusive.most_common()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path")
    ap.add_argument("--top", type=int, default=60)
    ap.add_argument("--under", default=None, help="only stacks through a frame starting with this")
    args = ap.parse_args()
    total, rows = shares(args.path, args.under)
    print(f"{total} samples")
    for frame, n in rows[: args.top]:
        print(f"{100 * n / total:5.1f}%  {frame[:160]}")


if __name__ == "__main__":
    main()
