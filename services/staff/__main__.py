"""Staff (port 8006): the people who work in PlazaDesk, their roles per plaza, and their
logins: signed tokens (JWT, EdDSA) that every service verifies with the keys published at
/.well-known/jwks.json. On the first start the account ``operator`` is created.

Serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers and the outbox
relay in one process, until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.staff.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("staff", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.staff.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
