"""Rotation (岗位每半年轮换一次, 要求对每个岗位的工作流程熟悉): every six months each person
moves to another post, every post stays staffed, and over the plans each person works
every post (the history: the post worked least is proposed first). A post whose training
a person lacks is proposed only when no qualified move does as well, and its training is
scheduled before the plan can be approved. Pure, no I/O."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.runtime import foureyes

STAY = 1000  # staying on one's post: only when nothing else can be
WORKED = 10  # each earlier time on the post
UNTRAINED = 1  # each course still to pass


class Move(msgspec.Struct, kw_only=True):
    username: str
    from_post: str | None
    to_post: str
    training_needed: list[str] = []
    times_worked: int = 0  # how often they worked to_post before


class Proposal(msgspec.Struct, kw_only=True):
    moves: list[Move]
    unstaffed: list[str]  # posts nobody is left for (fewer people than posts)


def half_year(day: dt.date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


DRAFT_AHEAD = dt.timedelta(days=30)


def next_rotation(today: dt.date) -> dt.date:
    """The first day of the next half-year (1 January or 1 July)."""
    return dt.date(today.year, 7, 1) if today.month <= 6 else dt.date(today.year + 1, 1, 1)


def draft_due(today: dt.date) -> dt.date | None:
    """The half-year whose plan is due for drafting today (within the month before it)."""
    start = next_rotation(today)
    return start if today >= start - DRAFT_AHEAD else None


def propose(people: dict[str, str | None], posts: list[str], worked: dict[tuple[str, str], int],
            missing: dict[tuple[str, str], list[str]]) -> Proposal:
    """``people``: username → current post; ``posts``: the posts that rotate; ``worked``:
    (username, post) → times worked; ``missing``: (username, post) → courses not passed.
    The cheapest assignment in which each post gets someone (while people last)."""
    names, posts = sorted(people), sorted(posts)
    if not names or not posts:
        return Proposal(moves=[], unstaffed=list(posts))

    def cost(name: str, post: str) -> int:
        return ((STAY if people[name] == post else 0) + WORKED * worked.get((name, post), 0)
                + UNTRAINED * len(missing.get((name, post), [])))

    # Columns: one slot per post that must be filled, then (if there are more people than
    # posts) free slots where a person takes whichever post suits them best.
    free = max(0, len(names) - len(posts))
    best = {n: min(posts, key=lambda p: (cost(n, p), p)) for n in names}
    columns = posts + [None] * free
    matrix = [[cost(n, c if c is not None else best[n]) for c in columns] for n in names]
    chosen = assign(matrix)
    moves = []
    for i, n in enumerate(names):
        post = columns[chosen[i]] or best[n]
        moves.append(Move(username=n, from_post=people[n], to_post=post,
                          training_needed=list(missing.get((n, post), [])), times_worked=worked.get((n, post), 0)))
    taken = {m.to_post for m in moves}
    return Proposal(moves=moves, unstaffed=[p for p in posts if p not in taken])


def assign(cost: list[list[int]]) -> list[int]:
    """The minimum-cost assignment of each row to a distinct column (rows ≤ columns): the
    Hungarian method, O(n² m). Returns each row's column."""
    n, m = len(cost), len(cost[0])
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    p, way = [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        p[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    found = [0] * n
    for j in range(1, m + 1):
        if p[j]:
            found[p[j] - 1] = j - 1
    return found


def approver(drafted_by: str, adjusted_by: str | None, actor: str) -> str:
    """A second person approves: neither who drafted the plan nor who last adjusted it."""
    foureyes.second_person(drafted_by, actor, "this rotation plan")
    return foureyes.second_person(adjusted_by, actor, "this rotation plan")
