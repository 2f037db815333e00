"""PlazaCache: a plaza's settings are read once per ttl, never mixed between databases."""

from __future__ import annotations

from libs.runtime import cache
from libs.runtime.cache import PlazaCache


class Loads:
    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.asked: list[list[str]] = []

    async def __call__(self, missing: list[str]) -> dict:
        self.asked.append(missing)
        return {p: self.answers[p] for p in missing if p in self.answers}


async def test_kept_values_are_not_asked_again_until_they_expire(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    kept, load = PlazaCache(ttl_s=5), Loads({"p1": "Asia/Shanghai", "p2": "America/New_York"})
    assert await kept.many(("db",), ["p1", "p2"], load) == {"p1": "Asia/Shanghai", "p2": "America/New_York"}
    assert await kept.many(("db",), ["p2", "p1"], load) == {"p1": "Asia/Shanghai", "p2": "America/New_York"}
    assert load.asked == [["p1", "p2"]]
    clock[0] += 5.1
    load.answers["p1"] = "Europe/Paris"
    assert (await kept.many(("db",), ["p1"], load))["p1"] == "Europe/Paris"
    assert load.asked[-1] == ["p1"]


async def test_a_plaza_not_found_is_asked_again_and_a_forgotten_one_at_once():
    kept, load = PlazaCache(), Loads({"p1": "Asia/Shanghai"})
    assert await kept.many(("db",), ["p1", "p9"], load) == {"p1": "Asia/Shanghai"}
    load.answers["p9"] = "Asia/Tokyo"
    assert await kept.many(("db",), ["p1", "p9"], load) == {"p1": "Asia/Shanghai", "p9": "Asia/Tokyo"}
    assert load.asked == [["p1", "p9"], ["p9"]]
    load.answers["p1"] = "Europe/Paris"
    kept.forget(("db",), ["p1"])
    assert kept.get(("db",), "p1") is None
    assert (await kept.many(("db",), ["p1"], load))["p1"] == "Europe/Paris"


async def test_two_databases_never_share_an_entry():
    kept = PlazaCache()
    kept.put(("sqlite:///a.db", None), "p1", "Asia/Shanghai")
    assert kept.get(("sqlite:///b.db", None), "p1") is None
    assert kept.get(("sqlite:///a.db", None), "p1") == "Asia/Shanghai"
