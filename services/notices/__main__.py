"""Notices (port 8007): notices, letters and warm tips to chosen audiences, approved by a
second person, delivered to each unit's page and timeline and by SMS/WeChat/e-mail, with
read receipts.

Serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers, the message sender
and the outbox relay in one process, until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.notices.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("notices", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.notices.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
