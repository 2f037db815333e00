"""Intake's triage on the held-out quarter of its corpus: how often it gets the kind right
(per kind, with the confusion matrix), whether every major complaint and every referral is
caught, the department and the other kinds of mixed messages; how long training takes and
how long the preview's work takes per text.

``python -m bench.triage`` prints the table (``--json`` the figures); ``make bench`` prints
it too. Not a timed test: the figures are what they are on the machine that ran them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sklearn.model_selection import StratifiedKFold

from services.intake.requests import domain
from services.intake.triage import store
from services.intake.triage.domain import KINDS

LOOPS = 5  # each held-out text assessed this many times for the latency


def measure() -> dict:
    train, held_out = store.split(store.corpus())
    trained = store.train(train)
    found = [domain.assess(e.text, model=trained.model) for e in held_out]
    confusion = {k: dict.fromkeys(KINDS, 0) for k in KINDS}
    for e, f in zip(held_out, found):
        confusion[e.kind][f.kind] += 1
    majors = [f.major for e, f in zip(held_out, found) if e.major]
    referrals = [bool(f.referral) and f.referral.phone == e.referral for e, f in zip(held_out, found) if e.referral]
    return {
        "examples": {"train": len(train), "held_out": len(held_out)},
        "kind_accuracy": _share(e.kind == f.kind for e, f in zip(held_out, found)),
        "per_kind": {k: _share(f.kind == k for e, f in zip(held_out, found) if e.kind == k) for k in KINDS},
        "confusion": confusion,
        "major_flagged": {"caught": sum(majors), "of": len(majors)},
        "false_major": sum(f.major and not e.major for e, f in zip(held_out, found)),
        "referrals": {"caught": sum(referrals), "of": len(referrals)},
        "false_referrals": sum(bool(f.referral) and not e.referral for e, f in zip(held_out, found)),
        "department_accuracy": _share(e.department == f.department for e, f in zip(held_out, found)),
        "also_exact": _share(e.also == f.also for e, f in zip(held_out, found)),
        "misread": [{"text": e.text, "kind": e.kind, "read": f.kind, "reason": f.kind_reason}
                    for e, f in zip(held_out, found) if e.kind != f.kind],
        "cross_validated_kind_accuracy": cross_validated(),
        "train_s": round(trained.seconds, 3),
        "train_whole_corpus_s": round(store.train().seconds, 3),
        "assess_ms": _latency(trained.model, [e.text for e in held_out]),
    }


def cross_validated(folds: int = 4) -> float:
    """Kind accuracy over the whole corpus, each text read by a model trained on the other
    folds: one held-out quarter is few texts, so this says how much it owes to its draw."""
    examples = store.corpus()
    splits = StratifiedKFold(folds, shuffle=True, random_state=store.SEED).split(examples, [e.kind for e in examples])
    hits = []
    for train, test in splits:
        model = store.train([examples[i] for i in train]).model
        hits += [domain.assess(examples[i].text, model=model).kind == examples[i].kind for i in test]
    return _share(hits)


def _share(hits) -> float:
    hits = list(hits)
    return round(sum(hits) / len(hits), 3) if hits else float("nan")


def _latency(model: store.Model, texts: list[str]) -> dict:
    """The preview's own work per text (model reading plus rules), without HTTP, each text
    read afresh (not from the model's cache of recent readings)."""
    times = []
    for _ in range(LOOPS):
        for text in texts:
            model.read.cache_clear()
            started = time.perf_counter()
            domain.assess(text, model=model)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 2), "p99": round(times[int(len(times) * 0.99)], 2), "calls": len(times)}


def table(r: dict) -> str:
    n = r["examples"]
    lines = [f"intake triage on the held-out quarter of its corpus ({n['held_out']} texts; trained on {n['train']})",
             f"  kind accuracy {r['kind_accuracy']:.1%}; per kind (recall): "
             + ", ".join(f"{k} {v:.1%}" for k, v in r["per_kind"].items())
             + f"; 4-fold cross-validated over the whole corpus {r['cross_validated_kind_accuracy']:.1%}",
             f"  major complaints flagged {r['major_flagged']['caught']} of {r['major_flagged']['of']} (false {r['false_major']});"
             f" referrals {r['referrals']['caught']} of {r['referrals']['of']} (false {r['false_referrals']});"
             f" department {r['department_accuracy']:.1%}; mixed messages' also exact {r['also_exact']:.1%}",
             f"  training {r['train_s']} s (whole corpus {r['train_whole_corpus_s']} s); assess per text p50 {r['assess_ms']['p50']} ms,"
             f" p99 {r['assess_ms']['p99']} ms",
             "  confusion (rows: labelled, columns: read)",
             "  " + " " * 12 + "".join(f"{k:>12}" for k in KINDS)]
    for k, row in r["confusion"].items():
        lines.append(f"  {k:>12}" + "".join(f"{row[c]:>12}" for c in KINDS))
    for m in r["misread"]:
        lines.append(f"  misread: {m['kind']} read as {m['read']} ({m['reason']}): {m['text']}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    result = measure()
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else table(result))


if __name__ == "__main__":
    main()
