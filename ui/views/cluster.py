"""Cluster prüfen: per theme every cluster with its members and sources; rename, merge,
split, move, mark as not relevant, lock; the map of the contributions.

Each button calls one service method with the versions shown on this page; a
refused change shows its message and the page redraws with the current state.

Where the person works stays put: the theme is bound to ``?thema=`` and the open
card to ``?cluster=`` (one card at a time), so a reload or a link opens the same
card; after a change the card of the changed cluster is open and its tab is the
one that was chosen. Inside a card the actions come first, so the keyboard
reaches "Neuer Name" right after the card's title. Moving a note: tick its row in
the table, pick the target cluster, "Verschieben". Typed but unsaved input (a new
name, a split, a merge) is kept for the session, also while its card is closed.

Where the city held an earlier conference, each card says whether the concern is
"neu" or "wiederkehrend" (and what was decided for it then), lists the earlier
concerns it was linked to, and lets staff confirm or reject a link or set the
earlier concern by hand (:mod:`pipelines.lineage`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from pipelines.errors import InputError
from pipelines.lineage import KIND_NAMES, NEW, Lineage
from pipelines.review import ClusterView, ReviewService
from ui import context as ctx
from ui import widgets as w

OPEN = "_open_cluster"  # the card that is open, mirrored in ?cluster=
FOCUS = "_focus_cluster"  # (nonce, cluster id): after a change, the focus goes back into that card

ctx.header("Cluster prüfen")
service = ctx.service()
themes = service.themes()
if not themes:
    st.info("Diese Analyse hat keine Cluster.")
    st.stop()

top = st.columns(2)
theme = top[0].selectbox("Thema", themes, key="thema", bind="query-params")
show_irrelevant = top[1].toggle("Nicht relevante anzeigen", value=True, key="cluster_show_irrelevant")
clusters = service.clusters(theme, include_irrelevant=show_irrelevant, with_members=True)
versions = {c.id: c.version for c in clusters}  # what this page shows; every change names these
lineage = service.lineage([c.id for c in clusters])  # each concern: neu, or which earlier one it continues
choices = service.earlier_choices()
labels = {c.id: c.label for c in clusters}

if OPEN not in st.session_state:  # a fresh session (reload, shared link): the card named in the URL
    linked = str(st.query_params.get("cluster") or "")
    st.session_state[OPEN] = int(linked) if linked.isdigit() else None
open_id = st.session_state[OPEN] if st.session_state[OPEN] in versions else None
if open_id is None:
    st.query_params.pop("cluster", None)
else:
    st.query_params["cluster"] = str(open_id)


def keep_open(cluster_id: int) -> None:
    """Show the card of ``cluster_id`` open on the next run (the cluster just changed), with the focus in it."""
    st.session_state[OPEN] = cluster_id
    # a new number each time, so the browser runs the focus script again for the same card
    st.session_state["_focus_nonce"] = nonce = st.session_state.get("_focus_nonce", 0) + 1
    st.session_state[FOCUS] = nonce, cluster_id


def focus_card(cluster_id: int, nonce: int) -> None:
    """Put the keyboard focus on the chosen tab of the card of ``cluster_id``.

    A change alters the card's title, and Streamlit draws a card with a new title anew,
    which drops the focus to the page's start; this puts it back where the person works.
    Only our own constant script with two integers in it.
    """
    st.html(f"""<script>/* {nonce} */ (() => {{
        const put = () => {{
            const tab = document.querySelector('.st-key-card_{int(cluster_id)} [role=tab][aria-selected=true]');
            const lost = !document.activeElement || document.activeElement === document.body;
            if (tab && lost) tab.focus();  // only where the redraw dropped it, never away from a field
            return !!tab;
        }};
        [50, 200, 500, 1000].forEach(ms => setTimeout(put, ms));
    }})();</script>""", unsafe_allow_javascript=True, width=1)


def toggled(cluster_id: int) -> None:
    """A person opened or closed a card (the focus is on its title already)."""
    if st.session_state.get(f"card_{cluster_id}"):
        st.session_state[OPEN] = cluster_id
    elif st.session_state.get(OPEN) == cluster_id:
        st.session_state[OPEN] = None


def name_of(cluster_id: int) -> str:
    return w.option_label(f"{labels.get(cluster_id, cluster_id)} (Nr. {cluster_id})")


def actions(svc: ReviewService, c: ClusterView) -> None:
    """Rename, split, relevance and lock of one cluster; widget keys carry the version so fresh data redraw them."""
    v = c.version
    rename, split, state = st.tabs(["Umbenennen", "Aufteilen", "Relevanz & Sperre"], key=f"tab_{c.id}",
                                   on_change="rerun")
    if rename.open:
        with rename:
            key = f"rename_{c.id}_v{v}"
            st.text_input("Neuer Name", value=c.label, key=key, max_chars=300, persist_state="session")
            st.button("Umbenennen", key=f"rename_btn_{c.id}_v{v}", **ctx.action(
                lambda: svc.rename(c.id, st.session_state[key], v, request_key=ctx.request_key("rename", c.id, v)),
                "Cluster umbenannt.", after=lambda _: keep_open(c.id)))
    if split.open:
        with split:
            if c.locked:
                st.caption("Gesperrt: zum Aufteilen bitte zuerst entsperren.")
            members_key, label_key = f"split_members_{c.id}_v{v}", f"split_label_{c.id}_v{v}"
            member_text = {m.id: m.text for m in c.members}
            st.multiselect("Beiträge für den neuen Cluster", list(member_text), key=members_key, placeholder=w.PICK,
                           format_func=lambda i: w.option_label(f"Nr. {i}: {member_text[i]}"), persist_state="session")
            st.text_input("Name des neuen Clusters", key=label_key, max_chars=300, persist_state="session")
            st.button("Aufteilen", key=f"split_btn_{c.id}_v{v}", disabled=c.locked, **ctx.action(
                lambda: svc.split(c.id, st.session_state[members_key] or [], st.session_state[label_key] or "", v,
                                  request_key=ctx.request_key("split", c.id, v)),
                lambda new: f"Neuer Cluster „{new.label}“ mit {new.size} Beiträgen angelegt.",
                after=lambda _: keep_open(c.id)))
    if state.open:
        with state:
            if c.relevant:
                st.button("Als nicht relevant markieren", key=f"relevant_btn_{c.id}_v{v}", **ctx.action(
                    lambda: svc.set_relevant(c.id, False, v, request_key=ctx.request_key("relevant", c.id, v)),
                    "Als nicht relevant markiert.", after=lambda _: keep_open(c.id)))
            else:
                st.button("Wieder als relevant markieren", key=f"relevant_btn_{c.id}_v{v}", **ctx.action(
                    lambda: svc.set_relevant(c.id, True, v, request_key=ctx.request_key("relevant", c.id, v)),
                    "Wieder als relevant markiert.", after=lambda _: keep_open(c.id)))
            if c.locked:
                st.button("Entsperren", key=f"lock_btn_{c.id}_v{v}", **ctx.action(
                    lambda: svc.set_locked(c.id, False, v, request_key=ctx.request_key("lock", c.id, v)),
                    "Cluster entsperrt.", after=lambda _: keep_open(c.id)))
            else:
                st.caption("Ein gesperrter Cluster bleibt bei einer neuen Analyse so, wie er ist.")
                st.button("Sperren", key=f"lock_btn_{c.id}_v{v}", **ctx.action(
                    lambda: svc.set_locked(c.id, True, v, request_key=ctx.request_key("lock", c.id, v)),
                    "Cluster gesperrt.", after=lambda _: keep_open(c.id)))


def members_and_move(svc: ReviewService, c: ClusterView, others: Sequence[ClusterView],
                     seen: Mapping[int, int]) -> None:
    """The members as a table; a ticked row can be moved to another cluster of the theme."""
    ids = [m.id for m in c.members]
    # the table's key names exactly these rows: a row number never points at a note that moved meanwhile
    shown = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:10]
    table_key = f"members_{c.id}_{shown}"
    st.caption(f"Alle {w.notes(len(ids))} mit Quelle – eine Zeile ankreuzen, um den Beitrag zu verschieben")
    w.member_table(c.members, key=table_key, selectable=bool(others))
    if not others or not ids:
        return
    target_key = f"move_target_{c.id}_{shown}"
    st.pills("Verschieben nach", [o.id for o in others], key=target_key,
             format_func=lambda i: w.md(name_of(i)))  # pill labels are Markdown

    def picked() -> Any:
        rows = st.session_state[table_key]["selection"]["rows"]
        if not rows:
            raise InputError("Bitte zuerst in der Tabelle einen Beitrag ankreuzen.")
        target = st.session_state.get(target_key)
        if target is None:
            raise InputError("Bitte den Cluster wählen, in den der Beitrag soll.")
        note = ids[rows[0]]
        return svc.move(note, target, {c.id: c.version, target: seen[target]},
                        request_key=ctx.request_key("move", note, c.id, c.version, target))

    st.button("Verschieben", key=f"move_btn_{c.id}_{shown}", icon=":material/arrow_forward:",
              **ctx.action(picked, lambda t: f"Beitrag verschoben nach „{t.label}“.", after=lambda _: keep_open(c.id)))


def earlier(svc: ReviewService, c: ClusterView, status: Lineage | None, choices: Mapping[int, str]) -> None:
    """Where the concern stands across conferences; confirm, reject or set the earlier concern it continues."""
    if not choices and (status is None or not (status.earlier or status.rejected)):
        return  # no earlier conference of this city: nothing to say
    st.markdown(f"**Frühere Konferenz:** {w.md(status.text if status else NEW)}")
    if status and status.signal:
        st.warning(w.md(status.signal), icon=":material/history:")
    for e in [*(status.earlier if status else ()), *(status.rejected if status else ())]:
        how = "von Hand gesetzt" if e.source == "staff" else f"Ähnlichkeit {e.similarity:.2f}".replace(".", ",")
        state = "verworfen" if e.rejected else "bestätigt" if e.confirmed else "vorgeschlagen"
        row = st.columns([5, 1, 1])
        row[0].markdown(f"{w.md(e.label)} – {w.md(e.conference)}, {w.notes(e.size)} · {KIND_NAMES.get(e.kind, e.kind)}"
                        f" · {how} · *{state}*")
        if not e.confirmed or e.rejected:
            row[1].button("Bestätigen", key=f"link_confirm_{e.link_id}_{state}", **ctx.action(
                lambda e=e: svc.confirm_link(e.link_id, request_key=ctx.request_key("link_confirm", e.link_id, state)),
                "Zuordnung bestätigt.", after=lambda _: keep_open(c.id)))
        if not e.rejected:
            row[2].button("Verwerfen", key=f"link_reject_{e.link_id}_{state}", **ctx.action(
                lambda e=e: svc.reject_link(e.link_id, request_key=ctx.request_key("link_reject", e.link_id, state)),
                "Zuordnung verworfen.", after=lambda _: keep_open(c.id)))
    if choices:
        pick_key = f"link_pick_{c.id}_v{c.version}"
        pick = st.columns([5, 2])
        pick[0].selectbox("Entspricht diesem früheren Anliegen", list(choices), key=pick_key, index=None,
                          format_func=lambda i: w.option_label(choices[i]), placeholder=w.PICK)

        def chosen() -> ClusterView:
            previous = st.session_state.get(pick_key)
            if previous is None:
                raise InputError("Bitte zuerst das frühere Anliegen wählen.")
            return svc.set_link(c.id, previous, request_key=ctx.request_key("link_set", c.id, c.version, previous))

        pick[1].button("Zuordnen", key=f"link_set_btn_{c.id}_v{c.version}", **ctx.action(
            chosen, "Zuordnung gespeichert.", after=lambda _: keep_open(c.id)))


def merged(result: ClusterView) -> None:
    ctx.new_form("merge")
    keep_open(result.id)


st.subheader("Cluster zusammenführen")
form = ctx.form_token("merge")  # a new token after a merge: the fields are empty again
merge_pick, merge_label = f"merge_select_{form}", f"merge_label_{form}"
merge_cols = st.columns([3, 2])
merge_cols[0].multiselect("Cluster (der erste behält Namen und Nummer)", [c.id for c in clusters],
                          key=merge_pick, format_func=name_of, placeholder=w.PICK, persist_state="session")
merge_cols[1].text_input("Neuer Name (leer: Name des ersten behalten)", key=merge_label, max_chars=300,
                         persist_state="session")
st.button("Zusammenführen", key=f"merge_btn_{form}", icon=":material/call_merge:", **ctx.action(
    lambda: service.merge({i: versions[i] for i in st.session_state.get(merge_pick) or [] if i in versions},
                          st.session_state.get(merge_label) or None, request_key=ctx.request_key("merge", form)),
    lambda result: f"Zusammengeführt zu „{result.label}“ ({result.size} Beiträge).", after=merged))

st.subheader(f"{len(clusters)} Cluster im Thema {w.md(theme)}")
for cluster in clusters:
    card_key = f"card_{cluster.id}"
    st.session_state[card_key] = cluster.id == open_id
    with st.expander(w.cluster_title(cluster), key=card_key, on_change=toggled, args=(cluster.id,)) as card:
        if card.open:  # only the open card is drawn: fast with many clusters, short for the keyboard
            st.caption(f"Kurz gesagt: {w.md(cluster.summary or '–')}")
            actions(service, cluster)
            earlier(service, cluster, lineage.get(cluster.id), choices)
            members_and_move(service, cluster, [o for o in clusters if o.id != cluster.id], versions)
            w.cluster_facts(cluster)

focus = st.session_state.pop(FOCUS, None)
if focus is not None and focus[1] == open_id:
    focus_card(open_id, focus[0])

st.subheader("Karte der Beiträge")
st.caption("Jeder Punkt ist ein Beitrag, die Farbe zeigt den Cluster. Mit der Maus auf einen Punkt zeigen, "
           "um den Text zu sehen; mit dem Mausrad zoomen.")
w.chart(w.map_chart(service.map_points(theme)), key="cluster_map", empty="Für dieses Thema gibt es keine Karte.")
