"""Cluster prüfen: per theme every cluster with its members and sources; rename, merge,
split, move, mark as not relevant, lock; the map of the contributions.

Each button calls one service method with the versions shown on this page; a
refused change shows its message and the page redraws with the current state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from pipelines.review import ClusterView, ReviewService
from ui import context as ctx
from ui import widgets as w

ctx.header("Cluster prüfen")
service = ctx.service()
themes = service.themes()
if not themes:
    st.info("Diese Analyse hat keine Cluster.")
    st.stop()

top = st.columns([2, 1])
theme = top[0].selectbox("Thema", themes, key="cluster_theme")
show_irrelevant = top[1].toggle("Nicht relevante anzeigen", value=True, key="cluster_show_irrelevant")
clusters = service.clusters(theme, include_irrelevant=show_irrelevant, with_members=True)
versions = {c.id: c.version for c in clusters}  # what this page shows; every change names these
labels = {c.id: c.label for c in clusters}


def name_of(cluster_id: int) -> str:
    return w.option_label(f"{labels.get(cluster_id, cluster_id)} (Nr. {cluster_id})")


def actions(svc: ReviewService, c: ClusterView, others: Sequence[ClusterView], seen: Mapping[int, int]) -> None:
    """The edit controls of one cluster; widget keys carry the version so fresh data redraw them."""
    v = c.version
    rename, split, move, state = st.tabs(["Umbenennen", "Aufteilen", "Beitrag verschieben", "Relevanz & Sperre"])
    with rename:
        key = f"rename_{c.id}_v{v}"
        st.text_input("Neuer Name", value=c.label, key=key, max_chars=300)
        st.button("Umbenennen", key=f"rename_btn_{c.id}",
                  **ctx.action(lambda: svc.rename(c.id, st.session_state[key], v), "Cluster umbenannt."))
    with split:
        if c.locked:
            st.caption("Gesperrt: zum Aufteilen bitte zuerst entsperren.")
        members_key, label_key = f"split_members_{c.id}_v{v}", f"split_label_{c.id}_v{v}"
        member_text = {m.id: m.text for m in c.members}
        st.multiselect("Beiträge für den neuen Cluster", list(member_text), key=members_key, placeholder=w.PICK,
                       format_func=lambda i: w.option_label(f"Nr. {i}: {member_text[i]}"))
        st.text_input("Name des neuen Clusters", key=label_key, max_chars=300)
        st.button("Aufteilen", key=f"split_btn_{c.id}", disabled=c.locked, **ctx.action(
            lambda: svc.split(c.id, st.session_state[members_key] or [], st.session_state[label_key] or "", v),
            lambda new: f"Neuer Cluster „{new.label}“ mit {new.size} Beiträgen angelegt."))
    with move:
        member_key, target_key = f"move_member_{c.id}_v{v}", f"move_target_{c.id}_v{v}"
        member_text = {m.id: m.text for m in c.members}
        if not member_text or not others:
            st.caption("Nichts zu verschieben.")
        else:
            st.selectbox("Beitrag", list(member_text), key=member_key,
                         format_func=lambda i: w.option_label(f"Nr. {i}: {member_text[i]}"))
            st.selectbox("In Cluster", [o.id for o in others], key=target_key, format_func=name_of)
            st.button("Verschieben", key=f"move_btn_{c.id}", **ctx.action(
                lambda: svc.move(st.session_state[member_key], st.session_state[target_key],
                                 {c.id: v, st.session_state[target_key]: seen[st.session_state[target_key]]}),
                "Beitrag verschoben."))
    with state:
        if c.relevant:
            st.button("Als nicht relevant markieren", key=f"relevant_btn_{c.id}",
                      **ctx.action(lambda: svc.set_relevant(c.id, False, v), "Als nicht relevant markiert."))
        else:
            st.button("Wieder als relevant markieren", key=f"relevant_btn_{c.id}",
                      **ctx.action(lambda: svc.set_relevant(c.id, True, v), "Wieder als relevant markiert."))
        if c.locked:
            st.button("Entsperren", key=f"lock_btn_{c.id}",
                      **ctx.action(lambda: svc.set_locked(c.id, False, v), "Cluster entsperrt."))
        else:
            st.caption("Ein gesperrter Cluster bleibt bei einer neuen Analyse so, wie er ist.")
            st.button("Sperren", key=f"lock_btn_{c.id}",
                      **ctx.action(lambda: svc.set_locked(c.id, True, v), "Cluster gesperrt."))


st.subheader("Karte der Beiträge")
st.caption("Jeder Punkt ist ein Beitrag, die Farbe zeigt den Cluster. Mit der Maus auf einen Punkt zeigen, "
           "um den Text zu sehen; mit dem Mausrad zoomen.")
w.chart(w.map_chart(service.map_points(theme)), key="cluster_map", empty="Für dieses Thema gibt es keine Karte.")

st.subheader("Cluster zusammenführen")
merge_cols = st.columns([3, 2, 1])
merge_cols[0].multiselect("Cluster (der erste behält Namen und Nummer)", [c.id for c in clusters],
                          key="merge_select", format_func=name_of, placeholder=w.PICK)
merge_cols[1].text_input("Neuer Name (leer: Name des ersten behalten)", key="merge_label", max_chars=300)
with merge_cols[2]:
    st.write("")
    st.button("Zusammenführen", key="merge_btn", **ctx.action(
        lambda: service.merge({i: versions[i] for i in st.session_state.get("merge_select") or [] if i in versions},
                              st.session_state.get("merge_label") or None),
        lambda merged: f"Zusammengeführt zu „{merged.label}“ ({merged.size} Beiträge)."))

st.subheader(f"{len(clusters)} Cluster im Thema {w.md(theme)}")
for cluster in clusters:
    with st.expander(w.cluster_title(cluster)):
        w.cluster_facts(cluster)
        st.caption("Alle Beiträge mit Quelle")
        w.member_table(cluster.members, key=f"members_{cluster.id}")
        actions(service, cluster, [o for o in clusters if o.id != cluster.id], versions)
