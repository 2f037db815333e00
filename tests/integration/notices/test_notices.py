"""Notices against a real nats-server and a real database (SQLite, and PostgreSQL if here):
an audience chosen by the facts of archive, billing, intake and dispatch; four-eyes
approval; one copy per recipient unit with its placeholders filled; read receipts by the
signed link and in the console; messages through the recording provider, with retries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from libs.contracts import utcnow
from libs.contracts.events import (
    DunningReminderIssued,
    InvoiceIssued,
    NoticeDelivered,
    NoticeRead,
    Occupant,
    PaymentReceived,
    PublicShareCharged,
    PublicShareCost,
    PublicShareDisclosed,
    PublicShareLine,
    RenovationApproved,
    RenovationClosed,
    WorkOrderClosed,
    WorkOrderCreated,
    decode,
)
from services.notices.app import create_app
from services.notices.settings import Settings
from tests.support.archive_facts import plaza_registered, unit_registered
from tests.support.documents import pdf_text, xlsx_rows
from tests.support.harness import as_actor, bearer, client_for, eventually, service_settings

PLAZA = "p1"
NOTICES = f"/v1/plazas/{PLAZA}/notices"
WRITER, APPROVER = as_actor("clerk-wang"), as_actor("supervisor-li")


@pytest.fixture
async def notices(bus, nats_server, db_kind, tmp_path, cleanup_schemas):
    await bus.declare_streams("archive", "billing", "intake", "dispatch", "notices")
    settings = service_settings(Settings, nats_url=nats_server.url, db_kind=db_kind, tmp_path=tmp_path,
                                schemas=cleanup_schemas, send_every_s=0.2, retry_after_s=0.2)
    app = create_app(settings)
    async with client_for(app) as client:
        client.app_state = app.state
        await bus.publish(plaza_registered(PLAZA))
        await caught_up(bus, "ARCHIVE", "notices-archive")
        yield client


def invoice(unit: str, amount: int, due: dt.date, entry: str) -> InvoiceIssued:
    return InvoiceIssued(plaza_id=PLAZA, correlation_id="fee-run", unit=unit, invoice_id=f"inv-{entry}", entry_id=entry,
                         period="2026-10", amount_fen=amount, due_date=due, use="shop", area_m2=80.0, rate_fen=100)


async def caught_up(bus, stream: str, durable: str) -> None:
    await eventually(lambda: bus.caught_up(stream, durable), timeout=30, what=f"{durable} to catch up")


async def seed(bus) -> None:
    """Floor 3: A-301 (70 days overdue), A-302 (40 days, paid half: still overdue),
    A-303 (20 days), A-304 (40 days, paid in full); floor 2: A-201 (70 days)."""
    today = utcnow().date()
    floors = {"A-301": "3", "A-302": "3", "A-303": "3", "A-304": "3", "A-201": "2"}
    for unit, floor in floors.items():
        await bus.publish(unit_registered(PLAZA, unit, floor=floor, building="A"))
    await bus.publish(unit_registered(PLAZA, "B-101", key_account=True,
                                      occupant=Occupant(name="王芳", kind="resident", phone="139")))
    await caught_up(bus, "ARCHIVE", "notices-archive")
    for unit, days, entry in (("A-301", 70, "e1"), ("A-302", 40, "e2"), ("A-303", 20, "e3"), ("A-304", 40, "e4"),
                              ("A-201", 70, "e5")):
        await bus.publish(invoice(unit, 10000, today - dt.timedelta(days=days), entry))
    await bus.publish(PaymentReceived(plaza_id=PLAZA, correlation_id="pay", unit="A-302", entry_id="p2",
                                      amount_fen=5000, method="cash"))
    await bus.publish(PaymentReceived(plaza_id=PLAZA, correlation_id="pay", unit="A-304", entry_id="p4",
                                      amount_fen=10000, method="cash"))
    await caught_up(bus, "BILLING", "notices-invoices")
    await caught_up(bus, "BILLING", "notices-accounts")


async def publish(client, body: dict) -> dict:
    r = await client.post(NOTICES, json=body, headers=WRITER)
    assert r.status_code == 201, r.text
    notice = r.json()
    r = await client.post(f"{NOTICES}/{notice['id']}/submit", headers=WRITER)
    assert r.status_code == 200, r.text
    r = await client.post(f"{NOTICES}/{notice['id']}/approve", headers=APPROVER)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_notice_to_floor_3_in_arrears_over_30_days_reaches_exactly_those_units(notices, bus):
    await seed(bus)
    notice = await publish(notices, {
        "title": "缴费通知", "urgent": True, "channels": ["sms"],
        "body": "{merchant}（{unit}）您好：贵铺费用已逾期，请于 {due_date} 前缴纳。",
        "values": {"due_date": "2026-12-31"}, "audience": {"floors": ["3"], "arrears_over_days": 30}})
    assert (notice["status"], notice["recipients"], notice["read"]) == ("published", 2, 0)
    assert notice["audience_text"] == "floors 3; in arrears over 30 days"

    unread = (await notices.get(f"{NOTICES}/{notice['id']}/recipients", params={"read": "false"})).json()["items"]
    assert [r["unit"] for r in unread] == ["A-301", "A-302"]

    # Each unit's copy has its own facts in place of the placeholders.
    mine = (await notices.get(f"/v1/plazas/{PLAZA}/units/A-301/notices")).json()["items"]
    assert mine[0]["body"] == "Li Ming（A-301）您好：贵铺费用已逾期，请于 2026-12-31 前缴纳。" and mine[0]["read_at"] is None
    assert (await notices.get(f"/v1/plazas/{PLAZA}/units/A-303/notices")).json()["items"] == []

    # A-302 opens its signed link (no login): read, once.
    anonymous = {"Authorization": ""}
    r = await notices.get(f"/v1/plazas/{PLAZA}/notice-links/{unread[1]['link']}", headers=anonymous)
    assert r.status_code == 200, r.text
    assert r.json()["read_at"] is not None
    assert (await notices.get(f"/v1/plazas/{PLAZA}/notice-links/{unread[1]['link']}", headers=anonymous)).status_code == 200
    unread = (await notices.get(f"{NOTICES}/{notice['id']}/recipients", params={"read": "false"})).json()["items"]
    assert [r["unit"] for r in unread] == ["A-301"]
    assert (await notices.get(f"{NOTICES}/{notice['id']}")).json()["read"] == 1

    # An altered link is refused.
    forged = unread[0]["link"][:-3] + "AAA"
    assert (await notices.get(f"/v1/plazas/{PLAZA}/notice-links/{forged}", headers=anonymous)).status_code == 403

    # What went on the bus: one delivery per unit, one reading (the second opening says nothing).
    async def announced():
        events = [decode(m.data) for m in await bus.messages("NOTICES")]
        return events if sum(isinstance(e, NoticeRead) for e in events) == 1 else None
    events = await eventually(announced, what="the notice's events")
    assert sorted(e.unit for e in events if isinstance(e, NoticeDelivered)) == ["A-301", "A-302"]
    assert [e.unit for e in events if isinstance(e, NoticeRead)] == ["A-302"]

    # The SMS went through the recording provider, one per unit.
    recorder = notices.app_state["notice_adapters"]["sms"]
    await eventually(lambda: _ready(len(recorder.sent) == 2), what="two SMS recorded")
    assert sorted(m.address for m in recorder.sent) == ["138", "138"]


async def _ready(value):
    return value


async def test_the_writer_cannot_approve_and_an_empty_audience_is_refused(notices, bus):
    await seed(bus)
    r = await notices.post(NOTICES, json={"kind": "tip", "title": "温馨提示", "body": "天气转冷，注意防火。"}, headers=WRITER)
    notice = r.json()
    assert (await notices.post(f"{NOTICES}/{notice['id']}/approve", headers=APPROVER)).status_code == 409  # a draft
    await notices.post(f"{NOTICES}/{notice['id']}/submit", headers=WRITER)
    r = await notices.post(f"{NOTICES}/{notice['id']}/approve", headers=WRITER)
    assert r.status_code == 403 and "four eyes" in r.text
    r = await notices.post(f"{NOTICES}/{notice['id']}/reject", json={"reason": "写明日期"}, headers=APPROVER)
    assert r.json()["status"] == "rejected"
    r = await notices.put(f"{NOTICES}/{notice['id']}", json={
        "kind": "tip", "title": "温馨提示", "body": "天气转冷，注意防火。", "audience": {"buildings": ["Z"]}}, headers=WRITER)
    assert r.json()["status"] == "draft"
    await notices.post(f"{NOTICES}/{notice['id']}/submit", headers=WRITER)
    r = await notices.post(f"{NOTICES}/{notice['id']}/approve", headers=APPROVER)
    assert r.status_code == 422 and r.json()["field"] == "audience"


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x", "body": "{nonsense}"}, "body"),
    ({"title": "x", "body": "请于 {due_date} 前缴纳"}, "values.due_date"),
    ({"kind": "letter", "title": "x", "body": "y"}, "audience.units"),
    ({"title": "x", "body": "y", "channels": ["fax"]}, "channels"),
    ({"title": "x", "body": "y", "audience": {"occupant_kind": "tenant"}}, "audience.occupant_kind"),
])
async def test_a_bad_notice_is_refused_naming_the_field(notices, body, field):
    r = await notices.post(NOTICES, json=body, headers=WRITER)
    assert r.status_code in (400, 422), r.text
    assert r.json()["field"] == field


async def test_audiences_by_key_account_kind_renovation_and_work_order(notices, bus):
    await seed(bus)
    await bus.publish(RenovationApproved(
        plaza_id=PLAZA, correlation_id="r", unit="A-303", permit_id="perm-1", valid_from=utcnow().date(),
        valid_until=utcnow().date(), deposit_fen=0, workers=[]))
    await bus.publish(RenovationApproved(
        plaza_id=PLAZA, correlation_id="r", unit="A-304", permit_id="perm-2", valid_from=utcnow().date(),
        valid_until=utcnow().date(), deposit_fen=0, workers=[]))
    await bus.publish(RenovationClosed(plaza_id=PLAZA, correlation_id="r", unit="A-304", permit_id="perm-2",
                                       deduction_fen=0))
    await caught_up(bus, "INTAKE", "notices-renovations")
    await bus.publish(WorkOrderCreated(plaza_id=PLAZA, correlation_id="w", work_order_id="wo-1", request_id="rq-1",
                                       unit="A-201", department="engineering", reopen_count=0, kind="service",
                                       text="停电"))
    await caught_up(bus, "DISPATCH", "notices-work-orders")
    for audience, units in (({"key_account": True}, ["B-101"]), ({"occupant_kind": "resident"}, ["B-101"]),
                            ({"open_renovation": True}, ["A-303"]), ({"work_order_id": "wo-1"}, ["A-201"]),
                            ({"buildings": ["A"], "floors": ["2"]}, ["A-201"]), ({}, ["A-201", "A-301", "A-302",
                                                                                     "A-303", "A-304", "B-101"])):
        notice = await publish(notices, {"title": "通知", "body": "{unit}", "audience": audience})
        got = (await notices.get(f"{NOTICES}/{notice['id']}/recipients")).json()["items"]
        assert [r["unit"] for r in got] == units, audience


async def test_an_occupant_sees_and_reads_only_their_own_units_notices(notices, bus):
    await seed(bus)
    notice = await publish(notices, {"title": "停水通知", "body": "{unit} 明日停水", "audience": {"units": ["A-301", "A-302"]}})
    occupant = bearer("occupant-a301", plazas={PLAZA: ["occupant"]}, unit="A-301")
    mine = await notices.get(f"/v1/plazas/{PLAZA}/units/A-301/notices", headers=occupant)
    assert mine.status_code == 200, mine.text
    assert [n["body"] for n in mine.json()["items"]] == ["A-301 明日停水"]
    assert (await notices.get(f"/v1/plazas/{PLAZA}/units/A-302/notices", headers=occupant)).status_code == 404
    r = await notices.post(f"/v1/plazas/{PLAZA}/units/A-301/notices/{notice['id']}/read", headers=occupant)
    assert r.status_code == 200 and r.json()["read_at"]
    read = (await notices.get(f"{NOTICES}/{notice['id']}/recipients", params={"read": "true"})).json()["items"]
    assert [(r["unit"], r["read_via"]) for r in read] == [("A-301", "console")]


class FlakyProvider:
    """Refuses each message the first time it sees it, takes it the second."""

    name = "flaky"

    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def send(self, message):
        from services.notices.delivery.domain import SendFailed

        if message.id not in self.seen:
            self.seen.add(message.id)
            raise SendFailed("provider busy")
        return f"ok-{message.id}"


async def test_a_message_the_provider_refuses_is_sent_again_and_one_without_address_fails(notices, bus):
    await seed(bus)
    notices.app_state["notice_adapters"]["wechat"] = FlakyProvider()
    notice = await publish(notices, {"title": "停电通知", "body": "{unit} 周六停电", "channels": ["wechat", "email"],
                                     "audience": {"units": ["A-301"]}})

    async def settled():
        items = (await notices.get(f"{NOTICES}/{notice['id']}/messages")).json()["items"]
        return items if all(m["status"] != "pending" for m in items) else None
    email, wechat = await eventually(settled, what="the messages to be settled")
    assert (wechat["channel"], wechat["status"], wechat["attempts"], wechat["provider"]) == ("wechat", "sent", 2, "flaky")
    assert wechat["address"] == "138" and wechat["text"].startswith("停电通知: A-301 周六停电")
    assert (email["status"], email["error"]) == ("failed", "the unit has no email address")


async def test_a_letter_to_one_unit_prints_as_a_chinese_pdf(notices, bus):
    await seed(bus)
    notice = await publish(notices, {
        "kind": "letter", "title": "整改通知书", "audience": {"units": ["A-301"]}, "values": {"date": "2026年12月20日"},
        "body": "贵铺（{unit}）门前堆放杂物，影响消防通道。\n\n请于 {date} 前清理完毕。"})
    r = await notices.get(f"/v1/plazas/{PLAZA}/units/A-301/notices/{notice['id']}/letter.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    for words in ("整改通知书", "致：LiMing（A-301）", "贵铺（A-301）门前堆放杂物，影响消防通道。", "请于2026年12月20日前清理完毕。",
                  "Plazap1物业服务中心（客服部）"):
        assert words in text, (words, text)
    assert (await notices.get(f"/v1/plazas/{PLAZA}/units/A-302/notices/{notice['id']}/letter.pdf")).status_code == 404


async def test_a_public_share_table_becomes_a_disclosure_notice_with_the_table(notices, bus):
    await seed(bus)
    lines = [("A-301", 50.0, 498), ("A-302", 30.0, 298), ("A-303", 20.5, 204)]
    due = utcnow().date() - dt.timedelta(days=45)
    for unit, area, share in lines:
        await bus.publish(PublicShareCharged(plaza_id=PLAZA, correlation_id="public-share:2026-10", actor="finance-zhou",
                                             unit=unit, entry_id=f"ps-{unit}", period="2026-10", amount_fen=share,
                                             due_date=due, area_m2=area))
    disclosed = PublicShareDisclosed(
        plaza_id=PLAZA, correlation_id="public-share:2026-10", actor="finance-zhou", period="2026-10", rule="area",
        total_fen=1000, costs=[PublicShareCost(category="公共区域电费", amount_fen=1000, documents=["doc-1"])],
        lines=[PublicShareLine(unit=u, area_m2=a, share_fen=s) for u, a, s in lines])
    await bus.publish(disclosed)
    await bus.publish(disclosed, msg_id="sent-again")  # a second delivery makes no second notice

    async def pending():
        items = (await notices.get(NOTICES, params={"kind": "disclosure"})).json()["items"]
        return items if items and items[0]["status"] == "pending" else None
    await caught_up(bus, "BILLING", "notices-public-share")
    [notice] = await eventually(pending, what="the disclosure notice")
    assert notice["title"] == "2026-10 公摊费用公示" and notice["created_by"] == "finance-zhou" and notice["has_table"]
    assert "公共区域电费 10.00 元" in notice["body"]
    # Finance ran the charge; a lead publishes the disclosure (four eyes).
    assert (await notices.post(f"{NOTICES}/{notice['id']}/approve", headers=as_actor("finance-zhou"))).status_code == 403
    r = await notices.post(f"{NOTICES}/{notice['id']}/approve", headers=APPROVER)
    assert r.status_code == 200 and r.json()["recipients"] == 6  # the whole plaza

    rows = xlsx_rows((await notices.get(f"{NOTICES}/{notice['id']}/attachment.xlsx")).content)
    assert rows[0] == ["单元", "面积（㎡）", "分摊（元）"] and rows[1] == ["A-301", "50.00", "4.98"]
    assert rows[-1] == ["合计", "100.50", "10.00"]
    text = pdf_text((await notices.get(f"{NOTICES}/{notice['id']}/attachment.pdf")).content)
    assert "2026-10公摊费用分摊明细" in text and "A-30320.502.04" in text and "合计100.5010.00" in text
    # Each occupant's printed copy carries the table too.
    text = pdf_text((await notices.get(f"/v1/plazas/{PLAZA}/units/B-101/notices/{notice['id']}/letter.pdf")).content)
    assert "A-30150.004.98" in text

    # The shares are debts too: 45 days past due.
    units = await notices.post(NOTICES, json={"title": "催缴", "body": "{unit}", "audience": {
        "arrears_over_days": 40, "units": ["A-303"]}}, headers=WRITER)
    audience = (await notices.get(f"{NOTICES}/{units.json()['id']}/audience")).json()["items"]
    assert [u["unit"] for u in audience] == ["A-303"]


async def test_an_activity_of_capacity_2_refuses_the_third_sign_up(notices, bus):
    await seed(bus)
    now = utcnow()
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities", headers=WRITER, json={
        "title": "元宵节猜灯谜", "kind": "community", "description": "中庭猜灯谜", "place": "一楼中庭",
        "starts_at": (now + dt.timedelta(hours=2)).isoformat(), "ends_at": (now + dt.timedelta(hours=4)).isoformat(),
        "capacity": 2})
    assert r.status_code == 201, r.text
    activity = r.json()
    signups = f"/v1/plazas/{PLAZA}/activities/{activity['id']}/signups"
    r = await notices.post(signups, json={"unit": "A-301"})
    assert r.status_code == 409 and r.json()["field"] == "status"  # not published yet
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/publish", headers=WRITER, json={})
    assert r.status_code == 200 and r.json()["status"] == "published"
    notice = (await notices.get(f"{NOTICES}/{r.json()['notice_id']}")).json()
    assert (notice["kind"], notice["status"], notice["title"]) == ("activity", "pending", "元宵节猜灯谜")
    assert "名额：2 个" in notice["body"]

    assert (await notices.post(signups, json={"unit": "A-301", "name": "李明"})).status_code == 201
    assert (await notices.post(signups, json={"unit": "A-301"})).status_code == 409  # once per unit
    occupant = bearer("occupant-a302", plazas={PLAZA: ["occupant"]}, unit="A-302")
    assert (await notices.post(signups, json={"unit": "A-303"}, headers=occupant)).status_code == 404  # not theirs
    assert (await notices.post(signups, json={"unit": "A-302"}, headers=occupant)).status_code == 201
    r = await notices.post(signups, json={"unit": "A-303"})
    assert r.status_code == 409 and r.json()["field"] == "capacity" and "full" in r.json()["detail"]
    assert [s["unit"] for s in (await notices.get(signups)).json()["items"]] == ["A-301", "A-302"]
    shown = (await notices.get(f"/v1/plazas/{PLAZA}/activities/{activity['id']}")).json()
    assert (shown["signed_up"], shown["places_left"]) == (2, 0)

    r = await notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/attendance", json={"attended": ["B-101"]})
    assert r.status_code == 422 and r.json()["field"] == "attended"
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/attendance", json={"attended": ["A-301"]})
    assert r.status_code == 200 and r.json()["attended"] == 1
    assert [(s["unit"], s["attended"]) for s in (await notices.get(signups)).json()["items"]] == [
        ("A-301", True), ("A-302", False)]
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/report", json={"text": "x", "photos": []})
    assert r.status_code == 409 and r.json()["field"] == "starts_at"  # it has not taken place yet

    year = now.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).year
    calendar = (await notices.get(f"/v1/plazas/{PLAZA}/activities", params={"year": year})).json()["items"]
    assert [a["title"] for a in calendar] == ["元宵节猜灯谜"]
    assert (await notices.get(f"/v1/plazas/{PLAZA}/activities", params={"year": year + 1})).json()["items"] == []


async def test_a_past_activity_is_reported_with_photos(notices, bus):
    await seed(bus)
    now = utcnow()
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities", headers=WRITER, json={
        "title": "义诊", "kind": "public_welfare", "description": "社区义诊", "place": "广场",
        "starts_at": (now - dt.timedelta(minutes=30)).isoformat(), "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
        "capacity": 30})
    activity = r.json()
    await notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/publish", headers=WRITER)
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities/{activity['id']}/report",
                           json={"text": "到场 26 人，测血压 40 人次。", "photos": ["doc-photo-1", "doc-photo-2"]})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["photos"]) == ("reported", ["doc-photo-1", "doc-photo-2"])
    r = await notices.post(f"/v1/plazas/{PLAZA}/activities", headers=WRITER, json={
        "title": "x", "description": "x", "place": "x", "starts_at": now.isoformat(), "ends_at": now.isoformat(),
        "capacity": 3})
    assert r.status_code == 422 and r.json()["field"] == "ends_at"


async def test_a_dunning_reminder_becomes_a_letter_that_waits_while_a_complaint_is_open(notices, bus):
    await seed(bus)
    reminder = DunningReminderIssued(
        plaza_id=PLAZA, correlation_id="dunning-run", actor="billing", unit="A-301", task_id="t1", entry_id="e1",
        stage="60-89", days_past_due=70, open_fen=10000, due_date=utcnow().date() - dt.timedelta(days=70))
    await bus.publish(reminder)
    await bus.publish(reminder, msg_id="delivered-again")
    complaint = dict(plaza_id=PLAZA, correlation_id="c", work_order_id="wo-c", request_id="rq-c", unit="A-301",
                     department="customer_service", kind="complaint")
    await bus.publish(WorkOrderCreated(**complaint, text="噪音投诉"))
    await caught_up(bus, "BILLING", "notices-dunning-reminders")
    await caught_up(bus, "DISPATCH", "notices-work-orders")
    [letter] = (await notices.get(NOTICES, params={"kind": "dunning"})).json()["items"]
    assert (letter["status"], letter["title"], letter["audience"]) == ("pending", "催缴通知书", {"units": ["A-301"]})

    r = await notices.post(f"{NOTICES}/{letter['id']}/approve", headers=APPROVER)
    assert r.status_code == 409 and r.json()["field"] == "unit" and "complaint" in r.json()["detail"]

    await bus.publish(WorkOrderClosed(**complaint, reopen_count=0, paid=False))
    await caught_up(bus, "DISPATCH", "notices-work-orders-closed")
    r = await notices.post(f"{NOTICES}/{letter['id']}/approve", headers=APPROVER)
    assert r.status_code == 200 and r.json()["recipients"] == 1
    [copy] = [n for n in (await notices.get(f"/v1/plazas/{PLAZA}/units/A-301/notices")).json()["items"]
              if n["kind"] == "dunning"]
    assert "Li Ming（A-301）" in copy["body"] and "100.00 元，至今已逾期 70 天" in copy["body"]
    text = pdf_text((await notices.get(f"/v1/plazas/{PLAZA}/units/A-301/notices/{letter['id']}/letter.pdf")).content)
    assert "催缴通知书" in text and "至今已逾期70天" in text


async def test_a_lead_approves_the_days_dunning_letters_at_once_and_sees_each_one_refused(notices, bus):
    await seed(bus)
    for unit, entry, days in (("A-301", "e1", 70), ("A-302", "e2", 40), ("A-201", "e5", 70)):
        await bus.publish(DunningReminderIssued(
            plaza_id=PLAZA, correlation_id="dunning-run", actor="billing", unit=unit, task_id=f"t-{unit}",
            entry_id=entry, stage="30-59", days_past_due=days, open_fen=10000,
            due_date=utcnow().date() - dt.timedelta(days=days)))
    complaint = dict(plaza_id=PLAZA, correlation_id="c", work_order_id="wo-c", request_id="rq-c", unit="A-301",
                     department="customer_service", kind="complaint")
    await bus.publish(WorkOrderCreated(**complaint, text="噪音投诉"))
    await caught_up(bus, "BILLING", "notices-dunning-reminders")
    await caught_up(bus, "DISPATCH", "notices-work-orders")
    letters = {n["audience"]["units"][0]: n["id"]
               for n in (await notices.get(NOTICES, params={"kind": "dunning"})).json()["items"]}
    assert set(letters) == {"A-301", "A-302", "A-201"}
    r = await notices.post(NOTICES, json={"kind": "tip", "title": "温馨提示", "body": "注意防火。"}, headers=APPROVER)
    own = r.json()["id"]
    await notices.post(f"{NOTICES}/{own}/submit", headers=APPROVER)

    asked = [letters["A-301"], letters["A-302"], own, "no-such-notice", letters["A-201"], letters["A-302"]]
    r = await notices.post(f"{NOTICES}/approvals", json={"notice_ids": asked}, headers=APPROVER)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["approved"] == [letters["A-302"], letters["A-201"]]
    refused = {x["notice_id"]: (x["status"], x["field"]) for x in answer["refused"]}
    assert refused == {letters["A-301"]: (409, "unit"), own: (403, "actor"), "no-such-notice": (404, "notice_id")}
    assert "complaint" in next(x["detail"] for x in answer["refused"] if x["notice_id"] == letters["A-301"])

    # Those approved went out, each to its unit; the held one and the approver's own still wait.
    for unit in ("A-302", "A-201"):
        assert (await notices.get(f"{NOTICES}/{letters[unit]}")).json()["status"] == "published"
        assert [n["kind"] for n in (await notices.get(f"/v1/plazas/{PLAZA}/units/{unit}/notices")).json()["items"]] == ["dunning"]
    for notice_id in (letters["A-301"], own):
        assert (await notices.get(f"{NOTICES}/{notice_id}")).json()["status"] == "pending"

    # Asked again, nothing goes out twice: those already out are refused as no longer pending.
    r = await notices.post(f"{NOTICES}/approvals", json={"notice_ids": [letters["A-302"]]}, headers=APPROVER)
    assert r.json()["approved"] == [] and r.json()["refused"][0]["status"] == 409


CLERK = bearer("clerk-wang", plazas={PLAZA: ["clerk"]})


@pytest.mark.parametrize(("body", "who"), [({"notice_ids": []}, APPROVER), ({}, APPROVER),
                                            ({"notice_ids": ["x"] * 201}, APPROVER), ({"notice_ids": ["x"]}, CLERK)])
async def test_approvals_refuse_an_empty_or_oversized_list_and_a_clerk(notices, body, who):
    r = await notices.post(f"{NOTICES}/approvals", json=body, headers=who)
    if who is CLERK:
        assert r.status_code == 403
    else:
        assert r.status_code in (400, 422) and "notice_ids" in r.text, r.text
