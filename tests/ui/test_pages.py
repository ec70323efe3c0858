"""The workbench pages, driven with Streamlit's AppTest against a real store."""

from __future__ import annotations

import pytest

PAGES = ["uebersicht", "cluster", "massnahmen", "sozialraeume", "ausschuss", "protokoll", "import_"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(make_app, page: str) -> None:
    at = make_app()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
