"""docs/access.md says what the services enforce: it is the rendering of the table."""

from scripts.access_doc import DOC, render


def test_the_access_page_is_the_rendering_of_the_permission_table():
    assert DOC.read_text() == render(), "docs/access.md is out of date: run python -m scripts.access_doc"
