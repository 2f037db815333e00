from libs.runtime.service import serve
from services.survey.app import create_app
from services.survey.settings import from_env

if __name__ == "__main__":
    settings = from_env()
    serve(lambda: create_app(settings), settings)
