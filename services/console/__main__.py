"""Console (port 8000): the zh-CN / English web console of the desk, supervisors,
departments, the manager and occupants. It owns no business data: every page calls the
services' public APIs with the signed-in person's token; live queues come from NATS.

Serves HTTP until SIGINT or SIGTERM."""

from libs.runtime.command import service_parser
from services.console.settings import Settings, from_env

if __name__ == "__main__":
    service_parser("console", Settings, __doc__).parse_args()  # --help: usage, and exit before connecting
    from libs.runtime.service import serve
    from services.console.app import create_app

    settings = from_env()
    serve(lambda: create_app(settings), settings)
