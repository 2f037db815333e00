"""Use cases on people: put a person at a plaza (create or change), take them off it,
change their global record (standing, global roles, password), read them. Each use case
is one transaction with its events in the outbox; password hashes are made before it."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from libs.contracts import new_event_id, utcnow
from libs.contracts.staff import StaffChanged, StaffJoined, StaffLeft
from libs.runtime import limits
from libs.runtime.errors import InvalidInput, NotFound
from libs.runtime.http import iso
from libs.runtime.uow import Tx
from services.staff.people import domain, store
from services.staff.posts import services as posts
from services.staff.training import services as training

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106) parameters


class StaffUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A person at one plaza. Omitted (or null) department, phone, post and password
    stay as they are; name and roles are always given."""

    name: limits.line(limits.NAME_MAX, min_length=1)
    roles: limits.items(str, 10)
    department: limits.Code | None = None
    password: limits.line(domain.PASSWORD_MAX) | None = None
    phone: limits.Phone | None = None
    post: limits.Name | None = None  # 岗位


class PersonUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A person's global record: standing, global roles (operator, auditor), password."""

    active: bool | None = None
    roles: limits.items(str, 10) | None = None
    password: limits.line(domain.PASSWORD_MAX) | None = None


class StaffView(msgspec.Struct, kw_only=True):
    username: str
    plaza_id: str
    name: str
    roles: list[str]
    department: str | None
    post: str | None
    phone: str | None
    active: bool
    joined_at: str | None


class PersonView(msgspec.Struct, kw_only=True):
    username: str
    name: str
    roles: list[str]  # global
    plazas: dict[str, list[str]]
    department: str | None
    post: str | None
    active: bool
    has_password: bool


# --- passwords (hashed off the event loop: argon2 takes tens of milliseconds by design) ---

async def hash_password(password: str | None) -> str | None:
    if password is None:
        return None
    _refused(domain.check_password, password)
    return await asyncio.to_thread(_hasher.hash, password)


async def password_matches(stored_hash: str | None, password: str) -> bool:
    """Always does the work of one verification, known person or not, so the time taken
    does not tell whether a username exists."""
    return await asyncio.to_thread(_matches, stored_hash, password)


def _matches(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher.hash(new_event_id()))
    return _DUMMY[0]


# --- use cases -------------------------------------------------------------------------

async def put_staff(tx: Tx, plaza_id: str, username: str, body: StaffUpdate, *, password_hash: str | None,
                    actor: str) -> StaffView:
    _refused(domain.check_username, username)
    department = _refused(domain.check_department, body.department)
    now = utcnow()
    person = await store.get_person(tx.conn, username)
    changes = {k: v for k, v in {"name": body.name, "department": department, "phone": body.phone,
                                 "post": body.post, "password_hash": password_hash}.items() if v is not None}
    roles = _refused(domain.plaza_roles, body.roles, department or (person and person["department"]))
    if body.post is not None and (person is None or person["post"] != body.post):
        # 上岗前须培训合格: a post of the plaza's catalogue only once its training is passed
        # (a department's own free-text post needs none of the desk's).
        await training.require_qualified(tx.conn, plaza_id, username, body.post, unknown_ok=True)
        await posts.record_post_change(tx.conn, plaza_id, username, body.post, "assignment", now)
    if person is None:
        values = {"username": username, "global_roles": "", "active": True, "created_at": now, **changes}
        if not await store.insert_person(tx.conn, {**values, "updated_at": now, "updated_by": actor}):
            person = await store.get_person(tx.conn, username)  # created meanwhile: change it instead
    if person is not None:
        changed = {k: v for k, v in changes.items() if person[k] != v}
        if changed:
            await store.update_person(tx.conn, username, {**changed, "updated_at": now, "updated_by": actor})
        if "password_hash" in changed:
            await store.revoke_refresh_tokens(tx.conn, username, now)
    held = await store.plazas_of(tx.conn, username)
    await store.put_plaza_roles(tx.conn, plaza_id, username, domain.join(roles), now)
    after = await store.get_person(tx.conn, username)
    events = []
    if plaza_id not in held:
        events.append(_event(StaffJoined, after, plaza_id, roles, actor))
    elif domain.split(held[plaza_id]) != roles or _record_changed(person, after):
        events.append(_event(StaffChanged, after, plaza_id, roles, actor))
    if _record_changed(person, after):  # their other plazas' copies show the new record too
        events += [_event(StaffChanged, after, p, domain.split(r), actor) for p, r in held.items() if p != plaza_id]
    await tx.emit(*events)
    return _view(await store.at_plaza(tx.conn, plaza_id, username))


async def set_post(tx: Tx, plaza_id: str, username: str, post: str, *, source: str, actor: str) -> None:
    """A person's post changed (a rotation approved): their record, its history and the
    StaffChanged every plaza of theirs keeps its copy from."""
    person = await store.get_person(tx.conn, username)
    if person is None:
        raise NotFound(f"no person {username!r}", field="username")
    now = utcnow()
    await posts.record_post_change(tx.conn, plaza_id, username, post, source, now)
    if person["post"] == post:
        return
    await store.update_person(tx.conn, username, {"post": post, "updated_at": now, "updated_by": actor})
    after = await store.get_person(tx.conn, username)
    held = await store.plazas_of(tx.conn, username)
    await tx.emit(*[_event(StaffChanged, after, p, domain.split(r), actor) for p, r in held.items()])


async def people_at(conn, plaza_id: str) -> list:
    """Every person of the plaza (rows with their roles there)."""
    return await store.list_at_plaza(conn, plaza_id, after=None, limit=10_000)


async def leave_plaza(tx: Tx, plaza_id: str, username: str, *, actor: str) -> None:
    if not await store.remove_plaza_roles(tx.conn, plaza_id, username):
        raise NotFound(f"{username!r} is not staff of plaza {plaza_id!r}", field="username")
    await tx.emit(StaffLeft(plaza_id=plaza_id, correlation_id=new_event_id(), actor=actor, username=username))


async def update_person(tx: Tx, username: str, body: PersonUpdate, *, password_hash: str | None,
                        actor: str) -> PersonView:
    """Deactivating keeps the person's plazas and roles (activating again restores them)
    and stops their logins and refresh tokens at once; access tokens already issued live
    out their short lifetime."""
    person = await store.get_person(tx.conn, username)
    if person is None:
        raise NotFound(f"no person {username!r}", field="username")
    now = utcnow()
    changes = {}
    if body.roles is not None:
        changes["global_roles"] = domain.join(_refused(domain.global_roles, body.roles))
    if body.active is not None:
        changes["active"] = body.active
    if password_hash is not None:
        changes["password_hash"] = password_hash
    changed = {k: v for k, v in changes.items() if person[k] != v}
    if changed:
        await store.update_person(tx.conn, username, {**changed, "updated_at": now, "updated_by": actor})
    if "password_hash" in changed or changed.get("active") is False:
        await store.revoke_refresh_tokens(tx.conn, username, now)
    held = await store.plazas_of(tx.conn, username)
    after = await store.get_person(tx.conn, username)
    if "active" in changed:
        await tx.emit(*[_event(StaffChanged, after, p, domain.split(r), actor) for p, r in held.items()])
    return person_view(after, held)


async def show(conn, plaza_id: str, username: str) -> StaffView:
    row = await store.at_plaza(conn, plaza_id, username)
    if row is None:
        raise NotFound(f"{username!r} is not staff of plaza {plaza_id!r}", field="username")
    return _view(row)


async def find(conn, plaza_id: str, *, after: str | None, limit: int, department: str | None,
               role: str | None) -> list[StaffView]:
    rows = await store.list_at_plaza(conn, plaza_id, after=after, limit=limit, department=department, role=role)
    return [_view(r) for r in rows]


async def show_person(conn, username: str) -> PersonView:
    person = await store.get_person(conn, username)
    if person is None:
        raise NotFound(f"no person {username!r}", field="username")
    return person_view(person, await store.plazas_of(conn, username))


async def person_and_plazas(conn, username: str):
    """(person row or None, {plaza: roles}) — what a token is made of."""
    person = await store.get_person(conn, username)
    return person, ({p: domain.split(r) for p, r in (await store.plazas_of(conn, username)).items()} if person else {})


def person_view(person, held: dict[str, str]) -> PersonView:
    return PersonView(
        username=person["username"], name=person["name"], roles=domain.split(person["global_roles"]),
        plazas={p: domain.split(r) for p, r in sorted(held.items())}, department=person["department"],
        post=person["post"], active=person["active"], has_password=person["password_hash"] is not None,
    )


def _record_changed(before, after) -> bool:
    return before is not None and any(before[k] != after[k] for k in ("name", "department", "post"))


def _event(cls, person, plaza_id: str, roles: list[str], actor: str):
    return cls(plaza_id=plaza_id, correlation_id=new_event_id(), actor=actor, username=person["username"],
               name=person["name"], roles=roles, department=person["department"], post=person["post"],
               active=person["active"])


def _view(row) -> StaffView:
    return StaffView(
        username=row["username"], plaza_id=row["plaza_id"], name=row["name"], roles=domain.split(row["roles"]),
        department=row["department"], post=row["post"], phone=row["phone"], active=row["active"],
        joined_at=iso(row["joined_at"]),
    )


def _refused(rule, *args):
    try:
        return rule(*args)
    except domain.Refused as exc:
        raise InvalidInput(exc.reason, field=exc.field) from exc


# --- the operator account (the convention of Grafana and Keycloak) ---------------------

PASSWORD_FILE = "operator-password"


async def bootstrap_operator(transaction, settings) -> str | None:
    """On the first start the account ``operator`` (global role operator) is created. Its
    password: OPERATOR_PASSWORD if set; else the one kept in DATA_DIR/operator-password
    (a database started afresh beside an old data directory); else generated, kept there
    (0600) and printed once to stderr. Later starts change nothing, whatever the setting
    says: the operator's password is then changed through the API. Returns how the
    password was chosen ("env", "file", "generated"), None when the account existed."""
    async with transaction() as tx:
        if await store.get_person(tx.conn, domain.OPERATOR_USERNAME) is not None:
            return None
    path = Path(settings.data_dir) / PASSWORD_FILE
    if settings.operator_password:
        password, source = settings.operator_password, "env"
    elif path.is_file() and path.read_text().strip():
        password, source = path.read_text().strip(), "file"
    else:
        password, source = secrets.token_urlsafe(18), "generated"
    password_hash = await hash_password(password)
    now = utcnow()
    async with transaction() as tx:
        created = await store.insert_person(tx.conn, {
            "username": domain.OPERATOR_USERNAME, "name": "Operator", "global_roles": domain.OPERATOR,
            "active": True, "password_hash": password_hash, "created_at": now, "updated_at": now,
            "updated_by": "bootstrap",
        })
    if not created:
        return None  # another replica made it first
    if source == "generated":
        _keep_secret(path, password)
        # Printed, never logged: a log line is shipped and kept; this is shown once.
        print(f"\n  PlazaDesk operator account created: username 'operator', password {password}\n"
              f"  (kept in {path}; change it with PATCH /v1/staff/operator)\n", file=sys.stderr, flush=True)
    else:
        print(f"\n  PlazaDesk operator account created: username 'operator', password from "
              f"{'PLAZADESK_OPERATOR_PASSWORD' if source == 'env' else path}\n", file=sys.stderr, flush=True)
    return source


def _keep_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)  # an older file of looser mode is tightened too
