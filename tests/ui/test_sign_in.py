"""The workbench with sign-in on (``auth.mode = "accounts"``), driven with AppTest:
nothing before sign-in, the account in the audit log, pages by role, a committee
account without writes, sessions that expire, a disabled account out at once, and
people's HTML staying text for every role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node

from models.store import Store
from pipelines.accounts import AccountService
from pipelines.auth import LOCAL_OPERATOR
from pipelines.review import MeasureInput, ReviewService
from pipelines.settings import AuthSettings, Settings
from tests.ui.conftest import APP, CONFERENCE, HOSTILE
from tests.ui.test_pages import PAGES, WORK, first, nodes, open_card
from ui.auth import OFF_NOTICE, SESSION

PASSWORD = "ein-langes-passwort"
ACCOUNTS = {"l.leitung": "Leitung", "s.sach": "Sachbearbeitung", "a.ausschuss": "Ausschuss"}
MARKUP = "<script>alert(3)</script><img src=x onerror=alert(4)>"
# the pages each role sees in the navigation
ROLE_PAGES = {
    "Leitung": set(PAGES),
    "Sachbearbeitung": set(PAGES),
    "Ausschuss": {"ausschuss"},
}


def plain(markdown: str) -> str:
    """A message as read: without the backslashes that keep people's text from becoming Markdown."""
    return markdown.replace("\\", "")


TITLES = {"uebersicht": "Übersicht", "cluster": "Cluster prüfen", "massnahmen": "Maßnahmen",
          "sozialraeume": "Sozialräume", "ausschuss": "Ergebnisse der Sozialraumkonferenz",
          "protokoll": "Änderungsprotokoll", "import_": "Import"}


def strings(at: AppTest) -> list[str]:
    """Every text the page holds (values, labels, bodies, options), in main and sidebar, as read."""
    out: list[str] = []
    for node in nodes(at):
        for attr in ("value", "label", "body", "options"):
            try:
                value = getattr(node, attr, None)
            except Exception:  # noqa: BLE001 - some elements compute attributes lazily
                continue
            if isinstance(value, str):
                out.append(plain(value))
            elif isinstance(value, (list, tuple)):
                out.extend(plain(str(v)) for v in value)
    return out


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"auth": AuthSettings(mode="accounts")})


@pytest.fixture
def accounts(analysed_store: Store) -> AccountService:
    service = AccountService(analysed_store, LOCAL_OPERATOR)
    for name, role in ACCOUNTS.items():
        service.add(name, role, PASSWORD)
    return service


@pytest.fixture
def app(analysed_store: Store, auth_settings: Settings, accounts: AccountService) -> Callable[..., AppTest]:
    """``app()``: the workbench with sign-in on, run once, nobody signed in."""

    def make() -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["store"] = analysed_store
        at.session_state["settings"] = auth_settings
        return at.run()

    return make


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Anmelden").click().run()
    assert not at.exception, at.exception
    return at


def signed_in_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def assert_sign_in_form_only(at: AppTest) -> None:
    shown = " ".join(strings(at))
    assert at.text_input(key="sign_in_name") is not None
    assert CONFERENCE not in shown and "Kita" not in shown and "Jobcenter" not in shown
    assert not at.dataframe and not at.selectbox and not at.metric and not at.sidebar.children
    assert {b.label for b in at.button} == {"Anmelden"}


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_data_before_sign_in(app, page: str) -> None:
    at = app()
    at.switch_page(f"views/{page}.py").run()  # a link straight to a page

    assert not at.exception, at.exception
    assert_sign_in_form_only(at)
    assert at.title[0].value == "Taten – Anmeldung"


def test_a_wrong_password_is_refused_and_shows_nothing(app) -> None:
    at = sign_in(app(), "s.sach", "falsches-passwort")

    assert at.error and "Benutzername oder Passwort ist falsch." in plain(at.error[0].value)
    assert_sign_in_form_only(at)


def test_signed_in_the_account_is_the_actor_and_there_is_no_name_field(app, service: ReviewService) -> None:
    at = sign_in(app(), "s.sach")
    at.query_params["name"] = "Jemand Anderes"

    c = first(service, WORK)
    at = open_card(signed_in_page(at, "cluster"), c.id)
    assert "Angemeldet als s.sach (Sachbearbeitung)" in [plain(x.value) for x in at.sidebar.caption]
    assert not [t for t in at.text_input if t.key == "name"]
    assert OFF_NOTICE not in " ".join(strings(at))
    at.text_input(key=f"rename_{c.id}_v{c.version}").input("Jobcenter schwer erreichbar")
    at.button(key=f"rename_btn_{c.id}_v{c.version}").click().run()

    assert service.cluster(c.id).label == "Jobcenter schwer erreichbar"
    assert (service.events()[0].actor, service.events()[0].action) == ("s.sach", "rename")
    assert "name" not in at.query_params


@pytest.mark.parametrize("name", sorted(ACCOUNTS))
def test_each_role_sees_only_its_pages(app, name: str) -> None:
    at = sign_in(app(), name)
    role = ACCOUNTS[name]

    shown = {page for page in PAGES if _is_listed(at, page)}
    assert shown == ROLE_PAGES[role]


def _is_listed(at: AppTest, page: str) -> bool:
    """Whether the navigation of ``at``'s last run offers ``page`` (switching to it lands there)."""
    try:
        at.switch_page(f"views/{page}.py")
    except ValueError:  # AppTest: "Could not find a navigation page" – st.navigation did not register it
        return False
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == TITLES[page]
    return True


def test_a_committee_account_reaches_no_write(app, analysed_store: Store, service: ReviewService) -> None:
    c = first(service, WORK)
    service.promote([c.id], MeasureInput(title="Servicetelefon", status="vorgeschlagen"))
    at = sign_in(app(), "a.ausschuss")

    for page in PAGES:  # no other page is registered for this role
        if page != "ausschuss":
            assert not _is_listed(at, page), page
    at = signed_in_page(at, "ausschuss")
    assert at.title[0].value == TITLES["ausschuss"]
    assert not at.text_input and not at.text_area and not at.checkbox and not at.number_input
    writes = [b.label for b in at.button if b.label != "Abmelden"]
    assert writes == [], writes  # the reports are download buttons, no writes
    assert "Servicetelefon" in " ".join(strings(at))
    committee = ReviewService(analysed_store, CONFERENCE, at.session_state["_principal"])
    with pytest.raises(Exception, match="Keine Berechtigung: a.ausschuss \\(Rolle Ausschuss\\)"):
        committee.rename(c.id, "Anders", service.cluster(c.id).version)


def test_a_session_expires_after_idle_time(app, auth_settings: Settings) -> None:
    at = sign_in(app(), "s.sach")
    assert "Angemeldet als s.sach (Sachbearbeitung)" in [plain(x.value) for x in at.sidebar.caption]
    session = at.session_state[SESSION]
    idle = timedelta(minutes=auth_settings.auth.idle_minutes + 1)
    at.session_state[SESSION] = replace(session, last_seen_at=datetime.now(UTC) - idle)

    at.run()

    assert at.warning and "ohne Aktivität abgelaufen" in plain(at.warning[0].value)
    assert_sign_in_form_only(at)
    assert "_principal" not in at.session_state and "conference" not in at.session_state


def test_a_disabled_account_is_out_at_its_next_click(app, accounts: AccountService) -> None:
    at = sign_in(app(), "s.sach")
    at = signed_in_page(at, "massnahmen")
    assert at.title[0].value == TITLES["massnahmen"]

    accounts.disable("s.sach")
    at.run()

    assert at.warning and "deaktiviert" in plain(at.warning[0].value)
    assert_sign_in_form_only(at)
    assert sign_in(at, "s.sach").warning or at.error
    assert_sign_in_form_only(at)


def test_sign_out_forgets_the_session(app) -> None:
    at = sign_in(app(), "l.leitung")
    next(b for b in at.button if b.label == "Abmelden").click().run()

    assert at.warning and "abgemeldet" in plain(at.warning[0].value)
    assert_sign_in_form_only(at)


@pytest.fixture
def hostile(service: ReviewService) -> Iterator[None]:
    """A label and a measure with markup (the note with a script is in the analysed store already)."""
    c = first(service, WORK)
    service.rename(c.id, f"Jobcenter {MARKUP}", c.version)
    service.promote([c.id], MeasureInput(title=f"Servicetelefon {MARKUP}", description=MARKUP, status="vorgeschlagen"))
    yield


def _html_elements(at: AppTest) -> list[str]:
    """Bodies of elements the browser would render as HTML: Markdown with HTML allowed, st.html."""
    out = []

    def walk(node: Node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and not isinstance(node, Block):
            if getattr(proto, "allow_html", False) or node.type == "html":
                out.append(str(getattr(proto, "body", "")))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return out


@pytest.mark.parametrize("name", sorted(ACCOUNTS))
def test_labels_measures_and_notes_with_html_stay_text_for_every_role(app, hostile, name: str,
                                                                      service: ReviewService) -> None:
    at = sign_in(app(), name)
    seen = ""
    for page in sorted(ROLE_PAGES[ACCOUNTS[name]]):
        at = signed_in_page(at, page)
        if page == "cluster":  # the card of the cluster that holds the note with a script
            holder = next(c for c in service.clusters(with_members=True) if 1 in {m.id for m in c.members})
            at.selectbox(key="thema").select(holder.theme).run()
            open_card(at, holder.id)
        for body in _html_elements(at):
            for marker in ("alert(1)", "alert(3)", "alert(4)"):  # the markup of people's text, not our own chrome
                assert marker not in body, f"{page}: people's markup rendered as HTML: {body[:300]!r}"
        seen += " ".join(strings(at))
    assert "Servicetelefon <script>alert(3)</script>" in seen  # the markup is shown, as text
    if ACCOUNTS[name] != "Ausschuss":
        assert HOSTILE in seen


@pytest.mark.slow
def test_in_a_real_browser_nothing_shows_before_sign_in_and_a_committee_link_opens_no_staff_page(
        analysed_store: Store, accounts: AccountService, taten_home, browser, monkeypatch: pytest.MonkeyPatch,
        hostile) -> None:
    from tests.conftest import serve_workbench

    monkeypatch.setenv("TATEN_AUTH__MODE", "accounts")  # `streamlit run` reads it from its environment
    dialogs: list[str] = []
    with serve_workbench(analysed_store.url, taten_home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{url}/cluster")  # a link straight to a staff page
            page.get_by_role("button", name="Anmelden").wait_for(timeout=30_000)
            page.wait_for_timeout(500)
            before = page.inner_text("body")
            page.get_by_label("Benutzername").fill("a.ausschuss")
            page.get_by_label("Passwort", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Anmelden").click()
            page.get_by_text("Angemeldet als a.ausschuss (Ausschuss)").wait_for(timeout=30_000)
            page.get_by_text("Servicetelefon", exact=False).first.wait_for(timeout=30_000)
            page.wait_for_timeout(500)
            after = page.inner_text("body")
            inputs = page.locator("[data-testid=stTextInput], [data-testid=stTextArea]").count()
        finally:
            page.close()
    assert "Taten – Anmeldung" in before
    assert CONFERENCE not in before and "Kita" not in before and "Jobcenter" not in before
    assert "Ergebnisse der Sozialraumkonferenz" in after and "Cluster prüfen" not in after
    assert "<script>alert(3)</script>" in after, "a measure's markup shows as text"
    assert inputs == 0, "the committee view has no input field"
    assert dialogs == [], "no script from people's text ran"


def test_with_the_citys_identity_provider_unconfigured_nothing_shows_and_it_says_why(
        analysed_store: Store, settings: Settings) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["store"] = analysed_store
    at.session_state["settings"] = settings.model_copy(update={"auth": AuthSettings(mode="oidc")})
    at.run()

    assert not at.exception, at.exception
    assert not at.button and "fehlt der Abschnitt [auth]" in plain(at.error[0].value)
    shown = " ".join(strings(at))
    assert CONFERENCE not in shown and "Kita" not in shown and not at.sidebar.children


def test_with_sign_in_off_every_page_says_so(make_app) -> None:
    at = make_app()
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert OFF_NOTICE in [plain(c.value) for c in at.sidebar.caption], page
