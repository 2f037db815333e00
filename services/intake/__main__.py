"""Intake (port 8001): requests from every channel, classified by the plaza's rules and
handed to dispatch; move-in handover appointments and inspections; renovation permits.

Serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers and the outbox
relay in one process, until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.intake.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("intake", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.intake.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
