"""ctx.action: whatever a change raises, the person reads a German message, never a traceback."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page() -> None:
    import streamlit as st
    from sqlalchemy.exc import OperationalError

    from ui import context as ctx

    def fails() -> None:
        raise OperationalError("UPDATE cluster …", {}, RuntimeError("server closed the connection unexpectedly"))

    ctx.show_flash()
    st.button("Umbenennen", **ctx.action(fails, "Umbenannt."))


def test_an_unexpected_failure_is_shown_in_german_and_not_raw() -> None:
    at = AppTest.from_function(_page).run()
    at.button[0].click().run()

    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert "technischen Fehlers" in message and "OperationalError" in message
    assert "server closed" not in message and "Traceback" not in message
