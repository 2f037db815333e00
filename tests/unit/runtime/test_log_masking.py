"""A log line never carries a token, a password or a phone number, whoever wrote it."""

from libs.runtime.logging import MASK, mask_secrets


def test_tokens_passwords_and_phone_numbers_are_masked():
    line = mask_secrets(None, "info", {
        "event": "http_unhandled",
        "headers": {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJsaSJ9.c2ln", "accept": "*/*"},
        "detail": "request by Bearer abc.def.ghi from 138 0013 8000 and +86 139-1234-5678, again eyJx.eyJy.z",
        "body": [{"occupant": {"name": "Li", "phone": "13800138000"}}],
        "password": "hunter2", "count": 3,
    })
    assert line["headers"] == {"Authorization": MASK, "accept": "*/*"}
    assert line["detail"] == f"request by {MASK} from {MASK} and {MASK}, again {MASK}"
    assert line["body"] == [{"occupant": {"name": "Li", "phone": MASK}}]
    assert line["password"] == MASK and line["count"] == 3


def test_ids_dates_and_amounts_are_left_alone():
    values = {"event": "x", "plaza_id": "p1", "at": "2026-12-05T02:37:38.749543Z", "amount_fen": 13800138000,
              "id": "0192a1b2c3d4e5f6-13800138000", "work_order": "wo-13800138000x", "n": "20261205123456"}
    assert mask_secrets(None, "info", dict(values)) == values
