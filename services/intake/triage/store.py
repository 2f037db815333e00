"""The corpus intake learns from and the model trained on it.

``corpus.jsonl`` (beside this file, versioned with the code) holds labelled messages as a
desk receives them: kind, whether a complaint is major, department, referral number, and
the other kinds a mixed message carries. The model is trained from it when first needed
(intake's app asks at start-up), once per process, in well under two seconds: nothing
trained is kept in git or on disk, so the model is always the one the corpus describes.
Training is deterministic: the same corpus gives the same model on every replica.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import jieba
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from services.intake.triage import domain

CORPUS = Path(__file__).with_name("corpus.jsonl")
SEED = 7  # the held-out split and the model's own randomness
HELD_OUT = 0.25
READINGS_KEPT = 4096  # the last texts read, per process
_PUNCTUATION = re.compile(r"\W+")

jieba.setLogLevel(logging.WARNING)  # its dictionary banner on every start-up says nothing


@dataclass(frozen=True)
class Example:
    text: str
    kind: str
    major: bool
    department: str
    referral: str | None
    also: tuple[str, ...]


def corpus(path: Path = CORPUS) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(r["text"], r["kind"], r["major"], r["department"], r["referral"], tuple(r["also"])) for r in rows]


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Train and held-out parts: a quarter held out, in the same proportion of each kind,
    the same quarter on every run."""
    train, held_out = train_test_split(
        examples, test_size=HELD_OUT, stratify=[e.kind for e in examples], random_state=SEED
    )
    return list(train), list(held_out)


def words(text: str) -> list[str]:
    """jieba's words (English splits on spaces), punctuation dropped."""
    return [w for w in jieba.lcut(text.lower()) if w.strip() and not _PUNCTUATION.fullmatch(w)]


def _features() -> FeatureUnion:
    return FeatureUnion([
        # Characters carry Chinese without segmentation and survive typos (空掉, 睹了).
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)),
        ("words", TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False,
                                  ngram_range=(1, 2), sublinear_tf=True)),
        ("cues", CountVectorizer(analyzer=domain.cues, binary=True)),
    ])


def _classifier() -> CalibratedClassifierCV:
    # A linear SVM learns from a few hundred short texts better than a logistic regression
    # and trains in milliseconds; calibration turns its scores into the probability a
    # reason shows ("model: complaint (0.87)"). Folds are not shuffled: deterministic.
    svm = LinearSVC(C=1.0, class_weight="balanced", random_state=SEED)
    return CalibratedClassifierCV(svm, cv=3, method="sigmoid", ensemble=False)


class Model:
    """Kind and department classifiers over one set of features."""

    def __init__(self, examples: list[Example]) -> None:
        self.features = _features()
        x = self.features.fit_transform([e.text for e in examples])
        self.kinds = _classifier().fit(x, [e.kind for e in examples])
        self.departments = _classifier().fit(x, [e.department for e in examples])
        # A reading costs milliseconds of CPU; the text a clerk previewed is the text they
        # then log, and a preview is asked again for the same text as they pause and type.
        self.read = functools.lru_cache(maxsize=READINGS_KEPT)(self._read)

    def _read(self, text: str) -> domain.Reading:
        parts = domain.clauses(text)
        x = self.features.transform([text, *parts] if len(parts) > 1 else [text])
        kinds = self.kinds.predict_proba(x)
        departments = self.departments.predict_proba(x[:1])[0]
        return domain.Reading(
            kinds=_named(self.kinds.classes_, kinds[0]),
            departments=_named(self.departments.classes_, departments),
            parts=tuple(_named(self.kinds.classes_, row) for row in kinds[1:]),
        )


def _named(classes, probabilities) -> dict[str, float]:
    return {str(c): float(p) for c, p in zip(classes, probabilities)}


@dataclass(frozen=True)
class Trained:
    model: Model
    seconds: float  # training alone, the corpus read and jieba's dictionary loaded before


def train(examples: list[Example] | None = None) -> Trained:
    examples = corpus() if examples is None else examples
    jieba.initialize()
    started = time.perf_counter()
    model = Model(examples)
    return Trained(model, time.perf_counter() - started)


@functools.cache
def trained() -> Trained:
    """The model of this process, trained on the whole corpus the first time it is asked for."""
    return train()


def model() -> Model:
    return trained().model
