"""The generator alone (no server): who may do what, as the configuration says it, and the
passwords file ``make run`` keeps."""

from __future__ import annotations

import stat

import pytest

from scripts import natsconf


def rights(user: natsconf.User) -> set[str]:
    return set(user.publish or ())


def test_a_service_publishes_its_own_subjects_and_uses_its_own_consumers_only():
    billing = natsconf.service_user("billing", natsconf.Password("x"))
    assert {"plazadesk.billing.>", "plazadesk.deadletter.billing.>"} <= rights(billing)
    # Beyond its own subjects, only its two records of the operators' audit trail (events set aside).
    audited = {"plazadesk.audit.ops.set_aside_replayed", "plazadesk.audit.ops.set_aside_discarded"}
    assert audited <= rights(billing)
    assert not {s for s in rights(billing) if s.startswith("plazadesk.") and ".billing." not in s} - audited
    assert "$JS.API.CONSUMER.MSG.NEXT.DISPATCH.billing-work-order-closed" in rights(billing)
    assert not {s for s in rights(billing) if s.startswith("$JS.API.CONSUMER.") and ".billing-" not in s}
    assert not {s for s in rights(billing) if ".DELETE." in s or ".PURGE." in s}
    assert billing.subscribe == ("_INBOX.billing.>",)


def test_a_department_reads_its_work_orders_through_its_own_durables_only():
    eng = natsconf.department_user("engineering", natsconf.Password("x"), plazas=("p1",))
    assert eng.name == "dept-engineering"
    assert eng.subscribe == ("plazadesk.dispatch.*.engineering.>", "_INBOX.dept-engineering.>")
    assert not {s for s in rights(eng) if s.startswith("plazadesk.")}  # publishes no event
    creates = {s for s in rights(eng) if ".CREATE." in s}
    assert creates == {
        "$JS.API.CONSUMER.CREATE.DISPATCH.dept-engineering-all.plazadesk.dispatch.*.engineering.>",
        "$JS.API.CONSUMER.CREATE.DISPATCH.dept-engineering-p1.plazadesk.dispatch.*.engineering.>",
    }
    assert all(".DISPATCH.dept-engineering-" in s for s in rights(eng))


def test_the_configuration_has_no_anonymous_user_and_an_unrestricted_operator():
    passwords = {name: natsconf.Password(f"pw-{name}") for name in natsconf.user_names()}
    text = natsconf.authorization(natsconf.users(passwords))
    assert "no_auth_user" not in text
    assert '{user: "operator", password: "pw-operator"}' in text
    assert text.count("{user: ") == len(natsconf.user_names())
    refs = {name: natsconf.Password(env=natsconf.env_name(name)) for name in natsconf.user_names()}
    assert "password: $DEPT_CUSTOMER_SERVICE_NATS_PASSWORD" in natsconf.authorization(natsconf.users(refs))


def test_passwords_are_generated_once_into_a_file_only_its_owner_reads(tmp_path):
    path = tmp_path / "nats" / "passwords.json"
    first = natsconf.ensure_passwords(path, ["intake", "operator"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = natsconf.ensure_passwords(path, ["intake", "operator", "staff"])
    assert again["intake"] == first["intake"] and again["operator"] == first["operator"]
    assert len({*again.values()}) == 3 and all(len(pw) == 48 for pw in again.values())


def test_a_department_or_plaza_that_is_no_subject_token_is_refused():
    for department, plazas in (("*", ()), ("engineering.>", ()), ("engineering", ("p1.x",))):
        with pytest.raises(ValueError):
            natsconf.department_user(department, natsconf.Password("x"), plazas)


def test_the_streams_are_the_ones_the_contracts_name():
    from libs.contracts import STREAMS

    assert {natsconf.stream_of(s) for s in STREAMS} == {spec.name for spec in STREAMS.values()}
    assert set(STREAMS) <= set(natsconf.SERVICES)
