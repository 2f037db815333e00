"""The raw floors' HTTP side: a bare Litestar app on the same server settings as the
services (uvicorn with uvloop and httptools, one process). ``/v1/echo`` decodes a msgspec Struct and answers;
``/v1/publish`` also publishes it to JetStream and waits for the ack first."""

from __future__ import annotations

import argparse
import os

import msgspec
import nats
import uvicorn
from litestar import Litestar, post

from libs.contracts.events import Contact


class Body(msgspec.Struct):
    channel: str
    unit: str
    text: str
    contact: Contact | None = None


class Accepted(msgspec.Struct):
    id: str
    unit: str


STATE: dict = {}


@post("/v1/echo", status_code=202)
async def echo(data: Body) -> Accepted:
    return Accepted(id="x", unit=data.unit)


@post("/v1/publish", status_code=202)
async def publish(data: Body) -> Accepted:
    await STATE["js"].publish("floor.http", msgspec.json.encode(data))
    return Accepted(id="x", unit=data.unit)


async def connect() -> None:
    nc = await nats.connect(os.environ["FLOOR_NATS_URL"])
    STATE["js"] = nc.jetstream()
    try:
        await STATE["js"].add_stream(name="FLOOR_HTTP", subjects=["floor.http"])
    except Exception:
        pass


app = Litestar([echo, publish], on_startup=[connect], openapi_config=None)

if __name__ == "__main__":
    argparse.ArgumentParser(
        prog="python -m bench.floor_app", description=__doc__,
        epilog="environment: FLOOR_PORT (the HTTP port), FLOOR_NATS_URL (the nats-server for /v1/publish)",
    ).parse_args()
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["FLOOR_PORT"]), loop="uvloop", http="httptools",
                log_config=None, access_log=False)
