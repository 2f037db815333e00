"""Survey (port 8004): a return visit for every closed work order, no-login survey
links, satisfaction campaigns, key-account visit plans.

Serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers and the outbox
relay in one process, until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.survey.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("survey", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.survey.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
