"""Four eyes: whoever asked for a refund, a correction, a stock adjustment or drafted a
plan can never be the one who approves it."""

from __future__ import annotations

import pytest

from libs.runtime.foureyes import FourEyesRefused, second_person


def test_a_second_person_approves():
    assert second_person("clerk-li", "fin-zhou", "this refund") == "fin-zhou"
    assert second_person(None, "fin-zhou", "this plan") == "fin-zhou"  # asked before askers were kept


@pytest.mark.parametrize("approver", ["clerk-li", "", "  "])
def test_the_asker_or_nobody_is_refused_403_naming_four_eyes(approver):
    with pytest.raises(FourEyesRefused, match="^four eyes: this refund") as refused:
        second_person("clerk-li", approver, "this refund")
    assert (refused.value.status, refused.value.field) == (403, "actor")
