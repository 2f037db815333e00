import sys

from libs.runtime.service import serve
from services.archive.app import create_app
from services.archive.settings import from_env

if __name__ == "__main__":
    settings = from_env()
    if len(sys.argv) > 1:  # import | rebuild: a command, not the service
        from services.archive import cli

        sys.exit(cli.main(sys.argv[1:], settings))
    serve(lambda: create_app(settings), settings)
