"""Dispatch (port 8002): work orders routed by the plaza's rules, SLA deadlines and
escalations, materials stock, department queues, complaint reports.

Serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers and the outbox
relay in one process, until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.dispatch.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("dispatch", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.dispatch.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
