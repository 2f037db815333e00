"""A unit's papers over HTTP: the monthly statement of account and a payment's receipt, as
PDF in Chinese. Translation only."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.params import FromPath, Parameter

from libs.runtime.auth import PRINCIPAL, Principal, check_unit
from libs.runtime.service import Runtime
from services.billing.papers import services as papers

PDF = "application/pdf"


class PapersController(Controller):
    path = "/v1/plazas/{plaza:str}/accounts/{unit:str}"
    tags = ["accounts"]

    @get("/statement.pdf", summary="月度对账单 / Monthly statement of account",
         description="单元某月（广场当地时间）的对账单 PDF：期初、逐笔应收与收款、余额、期末，以及水电预付的期初、充值、"
                     "扣费、期末。业户只能看自己的单元。 / The unit's statement for a month in the plaza's time, as "
                     "PDF: opening, each charge and payment with the running balance, closing, and each prepaid "
                     "utility's opening, recharges, deductions and closing. An occupant reads their own unit's only.")
    async def statement(self, plaza: FromPath[str], unit: FromPath[str], runtime: Runtime,
                        month: str = Parameter(query="month"),
                        principal: Principal | None = PRINCIPAL) -> Response:
        check_unit(principal, plaza, unit)
        async with runtime.read() as conn:
            data = await papers.statement_pdf(conn, plaza, unit, month)
        return Response(data, media_type=PDF,
                        headers={"Content-Disposition": f'attachment; filename="statement-{plaza}-{unit}-{month}.pdf"'})

    @get("/receipts/{entry_id:str}", summary="收款收据 / Receipt of a payment",
         description="一笔收款或水电充值的收据 PDF：编号、日期、交款人、金额（大小写）、付款方式、收款人。 / The receipt "
                     "of a payment or a prepaid recharge as PDF: number, date, payer, amount in figures and in "
                     "Chinese capitals, method, who took it.")
    async def receipt(self, plaza: FromPath[str], unit: FromPath[str], entry_id: FromPath[str], runtime: Runtime,
                      principal: Principal | None = PRINCIPAL) -> Response:
        check_unit(principal, plaza, unit)
        async with runtime.read() as conn:
            data = await papers.receipt_pdf(conn, plaza, unit, entry_id)
        return Response(data, media_type=PDF,
                        headers={"Content-Disposition": f'attachment; filename="receipt-{entry_id}.pdf"'})
