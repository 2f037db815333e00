"""Every service documents its API at /schema: the OpenAPI document renders, and the page
works with no internet (its script and style are served by the service itself)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from five_services import SERVICES, five_clients
from scripts.natsserver import NatsServer


@pytest.fixture(scope="module")
async def clients(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("docs")
    server = NatsServer(tmp_path / "nats").start(tmp_path / "nats.log")
    try:
        async with five_clients(server.url, db_kind="sqlite", tmp_path=tmp_path) as clients:
            yield clients
    finally:
        server.stop()


class _Links(HTMLParser):
    """Every address the page makes the browser load: script sources, stylesheets, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


@pytest.mark.parametrize("service", SERVICES)
async def test_the_openapi_document_renders(clients, service):
    r = await clients[service].get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    document = r.json()
    assert document["openapi"].startswith("3.") and document["paths"]
    assert all(path.startswith(("/v1/", "/.well-known/")) for path in document["paths"])


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
async def test_the_documentation_page_loads_nothing_from_outside_the_service(clients, service, page):
    client = clients[service]
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    links = _Links()
    links.feed(r.text)
    assert links.urls, "the page loads its script and style"
    for url in links.urls:
        assert not urlsplit(url).netloc and url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = await client.get(url)
        assert asset.status_code == 200 and asset.content, url
    scripts = [u for u in links.urls if u.endswith(".js")]
    assert any("swagger-ui-bundle" in u for u in scripts)
