"""Staff routes: the people of a plaza (operator changes them; supervisor, manager,
operator and auditor read them) and a person's global record (operator).

Who may call each route is the access table's (libs/contracts/access.py), checked by the
runtime's guard like every service's, against the keys this service signs with."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, Parameter

from libs.runtime.http import Page, plaza_token
from libs.runtime.auth import ACTOR
from libs.runtime.service import Runtime
from services.staff.people import domain
from services.staff.people import services as people
from services.staff.people.services import PersonUpdate, PersonView, StaffUpdate, StaffView

STAFF_EXAMPLE = Example(
    summary="工程部维修工 / An engineering technician",
    value={"name": "张伟 Zhang Wei", "roles": ["staff"], "department": "engineering", "post": "维修工",
           "password": "a-long-first-password"},
)


class StaffController(Controller):
    path = "/v1/plazas/{plaza:str}/staff"

    @get(
        "/",
        summary="广场员工 / A plaza's staff",
        description="广场的员工（按用户名排序，分页），可按部门或角色筛选。\n\n"
        "The plaza's staff in username order, a page at a time; filter by department or role.",
    )
    async def index(
        self, plaza: FromPath[str], runtime: Runtime, department: str | None = None, role: domain.StaffRole | None = None,
        cursor: str | None = Parameter(query="cursor", default=None),
        limit: int = Parameter(query="limit", default=50, ge=1, le=500),
    ) -> Page:
        async with runtime.read() as conn:
            items = await people.find(conn, plaza, after=cursor, limit=limit, department=department, role=role)
        return Page.of(items, limit, key="username")

    @get(
        "/{username:str}",
        summary="查看员工 / Show a person at the plaza",
    )
    async def show(self, plaza: FromPath[str], username: FromPath[str], runtime: Runtime) -> StaffView:
        async with runtime.read() as conn:
            return await people.show(conn, plaza, username)

    @put(
        "/{username:str}",
        summary="登记或修改员工 / Create or change a person at the plaza",
        description="新建员工或修改其在本广场的角色（clerk, supervisor, manager, staff, finance, auditor, operator）；"
        "staff 角色需要部门。省略的 department/phone/post/password 保持不变。发出 StaffJoined 或 StaffChanged。\n\n"
        "Creates a person or changes their roles at this plaza (clerk, supervisor, manager, staff, "
        "finance, auditor, operator); role staff needs a department. Omitted department, phone, post "
        "and password stay as they are. Announces StaffJoined or StaffChanged (never the password or phone).",
    )
    async def put_person(
        self, plaza: FromPath[str], username: FromPath[str],
        data: Annotated[StaffUpdate, Body(examples=[STAFF_EXAMPLE])], runtime: Runtime,
        actor: str = ACTOR,
    ) -> StaffView:
        plaza_token(plaza)
        password_hash = await people.hash_password(data.password)
        async with runtime.transaction() as tx:
            return await people.put_staff(tx, plaza, username, data, password_hash=password_hash, actor=actor)

    @delete(
        "/{username:str}", status_code=204,
        summary="离开广场 / Take a person off the plaza",
        description="员工不再在本广场任职（其他广场不变），发出 StaffLeft。\n\n"
        "The person no longer works at this plaza (their other plazas are unchanged); announces StaffLeft.",
    )
    async def leave(
        self, plaza: FromPath[str], username: FromPath[str], runtime: Runtime,
        actor: str = ACTOR,
    ) -> None:
        async with runtime.transaction() as tx:
            await people.leave_plaza(tx, plaza, username, actor=actor)


class PersonController(Controller):
    path = "/v1/staff/{username:str}"

    @get("/", summary="员工档案 / A person's record")
    async def show(self, username: FromPath[str], runtime: Runtime) -> PersonView:
        async with runtime.read() as conn:
            return await people.show_person(conn, username)

    @patch(
        "/",
        summary="停用、全局角色、重设密码 / Deactivate, global roles, reset the password",
        description="active false 即停用：不能再登录，刷新令牌作废（已签发的访问令牌到期为止）；roles 为全局角色"
        "（只能是 operator、auditor）；password 重设密码。\n\n"
        "active false deactivates: no more logins, refresh tokens revoked (access tokens already "
        "issued live out their lifetime); roles are the global roles (operator and auditor only); "
        "password resets the password.",
    )
    async def update(
        self, username: FromPath[str], data: PersonUpdate, runtime: Runtime,
        actor: str = ACTOR,
    ) -> PersonView:
        password_hash = await people.hash_password(data.password)
        async with runtime.transaction() as tx:
            return await people.update_person(tx, username, data, password_hash=password_hash, actor=actor)
