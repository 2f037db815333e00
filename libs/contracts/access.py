"""Who may do what: the roles and, per service, every route's permitted roles.

One table for the five services (and the staff service): ``"METHOD /path/template"``, as
the route's OpenAPI document writes it, to the roles that may call it. The runtime refuses
to start a service with a route that has no row here, so no route is left open by mistake;
``docs/access.md`` is rendered from this table (``python -m scripts.access_doc``).

Roles are held per plaza (a token's ``plazas``: {plaza: [roles]}); only ``operator`` and
``auditor`` may also be global (a token's ``roles``), and a global role holds every plaza.
``PUBLIC`` marks a route that takes no token (a survey link carries its own signature).
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "clerk": "客服专员 front desk: logs requests, reads units and accounts, records visits and dunning calls",
    "supervisor": "客服主管 supervisor: what a clerk does, plus approvals, routing, SLA and survey policy",
    "manager": "物业经理 property manager: escalations and every report, reads everything of the plaza",
    "staff": "部门员工 department staff (工程部, 安保部, 保洁部…): the work orders of their own department",
    "finance": "财务 finance: payments, refunds, corrections, fees, tariffs, dunning",
    "auditor": "审计 auditor: reads everything, writes nothing (may be global)",
    "operator": "运维 operator: registers plazas and units, sets settings, manages staff (may be global)",
    "occupant": "商户/住户 occupant: their own unit's requests, account and return visits, nothing else",
}
GLOBAL_ROLES = frozenset({"operator", "auditor"})
PUBLIC = frozenset({"*"})

_ALL = frozenset({"clerk", "supervisor", "manager", "staff", "finance", "auditor", "operator"})
# Who reads what: everyone of the plaza's office reads its records; department staff read
# work orders (their department's) and stock, not accounts or the register's documents.
READ = _ALL - {"staff"}
DESK = frozenset({"clerk", "supervisor", "manager", "operator"})  # logs and handles requests
LEADS = frozenset({"supervisor", "manager", "operator"})  # approvals, routing, policy
MONEY = frozenset({"finance", "manager", "operator"})
REPORTS = frozenset({"manager", "supervisor", "finance", "auditor", "operator"})
SETTINGS = frozenset({"operator"})
WORKERS = frozenset({"staff", "supervisor", "manager", "operator"})  # act on a work order
# An occupant (a magic link from the desk, one unit at one plaza) may call these few routes
# only; each route narrows them to the token's unit (libs.runtime.auth ``own_unit``).
OCCUPANT = frozenset({"occupant"})
# Who reads the people's records (rotation, attendance, post records, the supervisor's report).
STAFF_READ = frozenset({"supervisor", "manager", "operator", "auditor"})


PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    "archive": {
        "GET /v1/plazas": _ALL,
        "GET /v1/plazas/{plaza}": _ALL,
        "PUT /v1/plazas/{plaza}": SETTINGS,
        "GET /v1/plazas/{plaza}/units": READ,
        "GET /v1/plazas/{plaza}/units/export.xlsx": REPORTS,
        "POST /v1/plazas/{plaza}/units/import": SETTINGS,
        "GET /v1/plazas/{plaza}/units/{unit}": _ALL,
        "PUT /v1/plazas/{plaza}/units/{unit}": SETTINGS,
        "GET /v1/plazas/{plaza}/units/{unit}/revisions": READ,
        "GET /v1/plazas/{plaza}/units/{unit}/timeline": READ,
        "GET /v1/plazas/{plaza}/units/{unit}/timeline/{event_id}": READ,
        "GET /v1/plazas/{plaza}/units/{unit}/documents": READ,
        "POST /v1/plazas/{plaza}/units/{unit}/documents": DESK,
        "GET /v1/plazas/{plaza}/units/{unit}/documents/{document_id}": READ,
    },
    "billing": {
        "GET /v1/plazas/{plaza}/accounts": READ,
        "GET /v1/plazas/{plaza}/accounts/{unit}": READ | OCCUPANT,
        "POST /v1/plazas/{plaza}/accounts/{unit}/payments": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/refunds": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/corrections": MONEY,
        # Four eyes: finance (or the manager) approves what another person asked for.
        "POST /v1/plazas/{plaza}/accounts/{unit}/refunds/{request_id}/approve": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/refunds/{request_id}/reject": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/corrections/{request_id}/approve": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/corrections/{request_id}/reject": MONEY,
        "GET /v1/plazas/{plaza}/ledger-requests": MONEY | {"auditor"},
        "POST /v1/plazas/{plaza}/accounts/{unit}/meter-readings": MONEY | {"clerk", "staff"},
        "POST /v1/plazas/{plaza}/accounts/{unit}/prepaid/{utility}/recharges": MONEY | {"clerk"},
        "POST /v1/plazas/{plaza}/fee-runs": MONEY,
        "GET /v1/plazas/{plaza}/invoices": READ,
        "GET /v1/plazas/{plaza}/fee-rates": READ,
        "PUT /v1/plazas/{plaza}/fee-rates": MONEY,
        "PUT /v1/plazas/{plaza}/prepaid/tariffs/{utility}": MONEY,
        "GET /v1/plazas/{plaza}/arrears": READ,
        "POST /v1/plazas/{plaza}/dunning-runs": MONEY,
        "GET /v1/plazas/{plaza}/dunning/tasks": READ,
        "POST /v1/plazas/{plaza}/dunning/tasks/{task_id}/outcome": MONEY | DESK,
        "GET /v1/plazas/{plaza}/reports/monthly": REPORTS,
        "GET /v1/plazas/{plaza}/prepaid/report": REPORTS,
        "GET /v1/plazas/{plaza}/prepaid/summary": REPORTS,
        # The service catalogue: finance keeps the price list and charges ad hoc services;
        # above the plaza's threshold a second person of MONEY approves (four eyes).
        "GET /v1/plazas/{plaza}/catalogue": READ,
        "PUT /v1/plazas/{plaza}/catalogue/{code}": MONEY,
        "GET /v1/plazas/{plaza}/catalogue-settings": READ,
        "PUT /v1/plazas/{plaza}/catalogue-settings": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/ad-hoc-charges": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/ad-hoc-charges/{charge_id}/approve": MONEY,
        "POST /v1/plazas/{plaza}/accounts/{unit}/ad-hoc-charges/{charge_id}/reject": MONEY,
        "GET /v1/plazas/{plaza}/ad-hoc-charges": MONEY | {"auditor"},
        # Papers (PDF): a unit's monthly statement and a payment's receipt; an occupant their own.
        "GET /v1/plazas/{plaza}/accounts/{unit}/statement.pdf": READ | OCCUPANT,
        "GET /v1/plazas/{plaza}/accounts/{unit}/receipts/{entry_id}": READ | OCCUPANT,
        "GET /v1/plazas/{plaza}/public-share/{period}": READ,
        "POST /v1/plazas/{plaza}/public-share/{period}/costs": MONEY,
        "POST /v1/plazas/{plaza}/public-share/{period}/run": MONEY,
    },
    "dispatch": {
        "GET /v1/plazas/{plaza}/work-orders": _ALL,
        "GET /v1/plazas/{plaza}/work-orders/{work_order_id}": _ALL,
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/assign": WORKERS | {"clerk"},
        # Whom a job may go to now (on shift while the department's roster covers now): who assigns reads it.
        "GET /v1/plazas/{plaza}/work-orders/{work_order_id}/assignees": WORKERS | {"clerk"},
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/start": WORKERS,
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/resolve": WORKERS,
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/close": WORKERS | {"clerk"},
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/cancel": DESK,
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/escalate": WORKERS | {"clerk"},
        # The desk routes: the clerk who may choose a request's department at intake may also
        # correct it afterwards; department staff hand a job up (escalate), not sideways.
        "POST /v1/plazas/{plaza}/work-orders/{work_order_id}/reroute": DESK,
        "GET /v1/plazas/{plaza}/webhooks": LEADS,
        "POST /v1/plazas/{plaza}/webhooks": SETTINGS | {"manager"},
        "DELETE /v1/plazas/{plaza}/webhooks/{endpoint_id}": SETTINGS | {"manager"},
        "GET /v1/plazas/{plaza}/webhooks/{endpoint_id}/deliveries": LEADS,
        "POST /v1/plazas/{plaza}/webhooks/deliveries/{delivery_id}/redeliver": LEADS,
        "GET /v1/plazas/{plaza}/escalations": LEADS,
        "GET /v1/plazas/{plaza}/departments/{department}/queue": _ALL,
        "GET /v1/plazas/{plaza}/routing-rules": READ,
        "PUT /v1/plazas/{plaza}/routing-rules": LEADS,
        "GET /v1/plazas/{plaza}/sla-policy": READ,
        "PUT /v1/plazas/{plaza}/sla-policy": LEADS,
        "GET /v1/plazas/{plaza}/praise": READ,
        "GET /v1/plazas/{plaza}/suggestions": READ,
        "POST /v1/plazas/{plaza}/suggestions/{request_id}/follow-up": LEADS,
        "GET /v1/plazas/{plaza}/stock": _ALL,
        "GET /v1/plazas/{plaza}/stock/{sku}": _ALL,
        "PUT /v1/plazas/{plaza}/stock/{sku}": LEADS,
        "GET /v1/plazas/{plaza}/stock/{sku}/movements": _ALL,
        "GET /v1/plazas/{plaza}/stock/{sku}/adjustments": READ,
        "POST /v1/plazas/{plaza}/stock/{sku}/adjustments": WORKERS,
        # Four eyes: a supervisor or the manager approves an adjustment another asked for.
        "POST /v1/plazas/{plaza}/stock/{sku}/adjustments/{adjustment_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/stock/{sku}/adjustments/{adjustment_id}/reject": LEADS,
        "GET /v1/plazas/{plaza}/stock-adjustments": READ | {"staff"},
        # The warehouse: whoever works receives goods, asks for a requisition and counts a
        # stocktake; the supervisor (a lead, never the asker) approves requisitions and the
        # stocktake's variance (four eyes).
        "POST /v1/plazas/{plaza}/goods-receipts": WORKERS,
        "GET /v1/plazas/{plaza}/goods-receipts": READ | {"staff"},
        "POST /v1/plazas/{plaza}/requisitions": WORKERS | {"clerk"},
        "GET /v1/plazas/{plaza}/requisitions": READ | {"staff"},
        "POST /v1/plazas/{plaza}/requisitions/{requisition_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/requisitions/{requisition_id}/reject": LEADS,
        "POST /v1/plazas/{plaza}/stocktakes": WORKERS,
        "GET /v1/plazas/{plaza}/stocktakes/{stocktake_id}": READ | {"staff"},
        "PUT /v1/plazas/{plaza}/stocktakes/{stocktake_id}/counts": WORKERS,
        "POST /v1/plazas/{plaza}/stocktakes/{stocktake_id}/submit": WORKERS,
        "POST /v1/plazas/{plaza}/stocktakes/{stocktake_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/stocktakes/{stocktake_id}/reject": LEADS,
        "GET /v1/plazas/{plaza}/stock-value": REPORTS,
        "GET /v1/plazas/{plaza}/stock-movements": READ | {"staff"},
        "GET /v1/plazas/{plaza}/reports/complaints": REPORTS,
        "GET /v1/plazas/{plaza}/reports/complaints.svg": REPORTS,
    },
    "intake": {
        "GET /v1/plazas/{plaza}/requests": READ | OCCUPANT,
        "POST /v1/plazas/{plaza}/requests": DESK | OCCUPANT,
        "POST /v1/plazas/{plaza}/requests/preview": DESK | OCCUPANT,
        "GET /v1/plazas/{plaza}/requests/{request_id}": READ | OCCUPANT,
        # The desk corrects what it logged; the operator, as on every route, may too.
        "POST /v1/plazas/{plaza}/requests/{request_id}/reclassify": frozenset({"clerk", "supervisor"}) | SETTINGS,
        "GET /v1/plazas/{plaza}/public-areas": READ,
        "PUT /v1/plazas/{plaza}/public-areas": frozenset({"supervisor"}) | SETTINGS,
        "GET /v1/plazas/{plaza}/classification-rules": READ,
        "PUT /v1/plazas/{plaza}/classification-rules": LEADS,
        "GET /v1/plazas/{plaza}/referrals": READ,
        "PUT /v1/plazas/{plaza}/referrals": LEADS,
        "GET /v1/plazas/{plaza}/handover/appointments": READ,
        "POST /v1/plazas/{plaza}/handover/appointments": DESK,
        "GET /v1/plazas/{plaza}/handover/appointments/{appointment_id}": READ,
        "POST /v1/plazas/{plaza}/handover/appointments/{appointment_id}/cancel": DESK,
        "POST /v1/plazas/{plaza}/handover/appointments/{appointment_id}/inspection": DESK | {"staff"},
        "GET /v1/plazas/{plaza}/handover/capacity": READ,
        "PUT /v1/plazas/{plaza}/handover/capacity": LEADS,
        "GET /v1/plazas/{plaza}/handover/days/{day}": READ,
        "GET /v1/plazas/{plaza}/handover/inspections/{inspection_id}": READ,
        "GET /v1/plazas/{plaza}/renovations": READ,
        "POST /v1/plazas/{plaza}/renovations": DESK,
        "GET /v1/plazas/{plaza}/renovations/{renovation_id}": READ,
        "POST /v1/plazas/{plaza}/renovations/{renovation_id}/review": LEADS,
        "POST /v1/plazas/{plaza}/renovations/{renovation_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/renovations/{renovation_id}/final-inspection": LEADS | {"staff"},
        "POST /v1/plazas/{plaza}/renovations/{renovation_id}/close": DESK,
    },
    "survey": {
        "GET /v1/plazas/{plaza}/visits": READ | OCCUPANT,
        "GET /v1/plazas/{plaza}/visits/stats": READ,
        "GET /v1/plazas/{plaza}/visits/{visit_id}": READ,
        "POST /v1/plazas/{plaza}/visits/{visit_id}/response": DESK | OCCUPANT,
        "POST /v1/plazas/{plaza}/visits/{visit_id}/link": DESK,
        "GET /v1/plazas/{plaza}/survey-links/{token}": PUBLIC,
        "POST /v1/plazas/{plaza}/survey-links/{token}": PUBLIC,
        "GET /v1/plazas/{plaza}/survey-policy": READ,
        "PUT /v1/plazas/{plaza}/survey-policy": LEADS,
        "GET /v1/plazas/{plaza}/campaigns": READ,
        "POST /v1/plazas/{plaza}/campaigns": LEADS,
        "GET /v1/plazas/{plaza}/campaigns/{campaign_id}": READ,
        "POST /v1/plazas/{plaza}/campaigns/{campaign_id}/close": LEADS,
        "POST /v1/plazas/{plaza}/campaigns/{campaign_id}/responses": DESK,
        "GET /v1/plazas/{plaza}/campaigns/{campaign_id}/sample": READ,
        "GET /v1/plazas/{plaza}/campaigns/{campaign_id}/statistics": REPORTS,
        "GET /v1/plazas/{plaza}/campaigns/{campaign_id}/statistics/chart": REPORTS,
        "GET /v1/plazas/{plaza}/campaigns/statistics": REPORTS,
        "GET /v1/plazas/{plaza}/campaigns/statistics/chart": REPORTS,
        "GET /v1/plazas/{plaza}/key-account-plans": READ,
        "POST /v1/plazas/{plaza}/key-account-plans": DESK,
        "GET /v1/plazas/{plaza}/key-account-plans/{plan_id}": READ,
        "POST /v1/plazas/{plaza}/key-account-plans/{plan_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/key-account-plans/{plan_id}/visits/{unit}/outcome": DESK,
        "GET /v1/plazas/{plaza}/reports/satisfaction": REPORTS,
        "GET /v1/plazas/{plaza}/reports/satisfaction/chart": REPORTS,
    },
    # Notices: the desk writes, a lead approves (four eyes: never the writer); an occupant
    # reads their own unit's notices; a recipient's signed read link takes no token.
    "notices": {
        "GET /v1/plazas/{plaza}/notices": READ,
        "POST /v1/plazas/{plaza}/notices": DESK | {"finance"},
        "GET /v1/plazas/{plaza}/notices/{notice_id}": READ,
        "PUT /v1/plazas/{plaza}/notices/{notice_id}": DESK | {"finance"},
        "POST /v1/plazas/{plaza}/notices/{notice_id}/submit": DESK | {"finance"},
        "POST /v1/plazas/{plaza}/notices/{notice_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/notices/approvals": LEADS,
        "POST /v1/plazas/{plaza}/notices/{notice_id}/reject": LEADS,
        "GET /v1/plazas/{plaza}/notices/{notice_id}/audience": READ,
        "GET /v1/plazas/{plaza}/notices/{notice_id}/messages": READ,
        "GET /v1/plazas/{plaza}/notices/{notice_id}/attachment.xlsx": READ,
        "GET /v1/plazas/{plaza}/notices/{notice_id}/attachment.pdf": READ,
        "GET /v1/plazas/{plaza}/notices/{notice_id}/recipients": READ,
        "GET /v1/plazas/{plaza}/units/{unit}/notices": READ | OCCUPANT,
        # The occupant read it on their page; the desk records one read to them at the counter.
        "POST /v1/plazas/{plaza}/units/{unit}/notices/{notice_id}/read": OCCUPANT | DESK,
        "GET /v1/plazas/{plaza}/units/{unit}/notices/{notice_id}/letter.pdf": READ | OCCUPANT,
        "GET /v1/plazas/{plaza}/notice-links/{token}": PUBLIC,
        "GET /v1/plazas/{plaza}/activities": READ | OCCUPANT,
        "POST /v1/plazas/{plaza}/activities": DESK,
        "GET /v1/plazas/{plaza}/activities/{activity_id}": READ | OCCUPANT,
        "POST /v1/plazas/{plaza}/activities/{activity_id}/publish": DESK,
        "POST /v1/plazas/{plaza}/activities/{activity_id}/signups": DESK | OCCUPANT,
        "GET /v1/plazas/{plaza}/activities/{activity_id}/signups": READ,
        "POST /v1/plazas/{plaza}/activities/{activity_id}/attendance": DESK,
        "POST /v1/plazas/{plaza}/activities/{activity_id}/report": DESK,
    },
    # The staff service: logging in and its public keys take no token; the operator keeps
    # the people, the plaza's leads and auditors read them; a person's global record is
    # the operator's (a global auditor reads it).
    "staff": {
        "POST /v1/token": PUBLIC,
        "GET /.well-known/jwks.json": PUBLIC,
        "GET /v1/plazas/{plaza}/staff": frozenset({"supervisor", "manager", "operator", "auditor"}),
        "GET /v1/plazas/{plaza}/staff/{username}": frozenset({"supervisor", "manager", "operator", "auditor"}),
        "PUT /v1/plazas/{plaza}/staff/{username}": frozenset({"operator"}),
        "DELETE /v1/plazas/{plaza}/staff/{username}": frozenset({"operator"}),
        # The desk gives an occupant a one-time link to their unit's pages.
        "POST /v1/plazas/{plaza}/occupant-links": DESK,
        "GET /v1/staff/{username}": frozenset({"operator", "auditor"}),
        "PATCH /v1/staff/{username}": frozenset({"operator"}),
        # The department's own people (岗位, 培训, 轮换, 排班, 考勤, 岗位记录): the supervisor
        # plans and approves (a second lead approves what one drafted); a clerk clocks in,
        # asks for a swap and writes their own post record; the manager and auditors read.
        "GET /v1/plazas/{plaza}/posts": READ,
        "PUT /v1/plazas/{plaza}/posts/{post}": LEADS,
        "GET /v1/plazas/{plaza}/post-history": STAFF_READ,
        "GET /v1/plazas/{plaza}/training/sessions": READ,
        "POST /v1/plazas/{plaza}/training/sessions": LEADS,
        "GET /v1/plazas/{plaza}/training/sessions/{session_id}": READ,
        "POST /v1/plazas/{plaza}/training/sessions/{session_id}/results": LEADS,
        "GET /v1/plazas/{plaza}/qualifications/{username}": READ,
        "GET /v1/plazas/{plaza}/rotation-plans": STAFF_READ,
        "POST /v1/plazas/{plaza}/rotation-plans": LEADS,
        "GET /v1/plazas/{plaza}/rotation-plans/{plan_id}": STAFF_READ,
        "PUT /v1/plazas/{plaza}/rotation-plans/{plan_id}/moves/{username}": LEADS,
        "POST /v1/plazas/{plaza}/rotation-plans/{plan_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/rotation-plans/{plan_id}/reject": LEADS,
        "GET /v1/plazas/{plaza}/roster": _ALL,
        "GET /v1/plazas/{plaza}/roster/opening-hours": _ALL,
        "PUT /v1/plazas/{plaza}/roster/opening-hours": LEADS,
        "POST /v1/plazas/{plaza}/shifts": LEADS,
        "DELETE /v1/plazas/{plaza}/shifts/{shift_id}": LEADS,
        "POST /v1/plazas/{plaza}/shifts/{shift_id}/swaps": DESK | {"staff"},
        "GET /v1/plazas/{plaza}/swaps": _ALL,
        "POST /v1/plazas/{plaza}/swaps/{swap_id}/approve": LEADS,
        "POST /v1/plazas/{plaza}/swaps/{swap_id}/reject": LEADS,
        # Every person of the plaza clocks in and out for their own shifts.
        "POST /v1/plazas/{plaza}/attendance/clock-in": _ALL - {"auditor"},
        "POST /v1/plazas/{plaza}/attendance/clock-out": _ALL - {"auditor"},
        "GET /v1/plazas/{plaza}/attendance/me": _ALL,
        "GET /v1/plazas/{plaza}/attendance/summary": STAFF_READ,
        "POST /v1/plazas/{plaza}/post-records/notes": DESK,
        "GET /v1/plazas/{plaza}/post-records": STAFF_READ,
        "GET /v1/plazas/{plaza}/post-records/{username}/{day}": STAFF_READ | {"clerk"},
        "POST /v1/plazas/{plaza}/post-records/{username}/{day}/review": LEADS,
        "GET /v1/plazas/{plaza}/reports/phone-etiquette": STAFF_READ,
    },
}

# Every service's operations routes, the same everywhere.
RUNTIME: dict[str, frozenset[str]] = {
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    "GET /asyncapi": PUBLIC,
    "GET /metrics": frozenset({"operator", "auditor"}),
    # The service's own events set aside (refused by the broker for good): the operator's.
    "GET /v1/ops/set-aside": frozenset({"operator"}),
    "GET /v1/ops/set-aside/{event_id}": frozenset({"operator"}),
    "POST /v1/ops/set-aside/{event_id}/replay": frozenset({"operator"}),
    "POST /v1/ops/set-aside/{event_id}/discard": frozenset({"operator"}),
}
# Paths under these prefixes (the OpenAPI document and its page) take no token.
PUBLIC_PREFIXES = ("/schema",)


def row(service: str, key: str) -> frozenset[str] | None:
    """The roles of one route (``"METHOD /path"``), or None if the table has no row for it."""
    found = RUNTIME.get(key)
    if found is None:
        found = PERMISSIONS.get(service, {}).get(key)
    if found is None and key.split(" ", 1)[-1].startswith(PUBLIC_PREFIXES):
        found = PUBLIC
    return found
