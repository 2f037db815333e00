"""Billing (port 8003): each unit's ledger (charges for closed work orders, fees,
payments, refunds, corrections, deposits), prepaid water and electricity, arrears and
dunning.

Serves the HTTP API (OpenAPI at /schema) and runs the bus subscribers and the outbox
relay in one process, until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.billing.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("billing", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve  # the service's weight, loaded only to serve
    from services.billing.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
