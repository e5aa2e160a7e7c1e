"""Library: browse personas and scenarios, see a scenario's deal space, check an uploaded YAML file."""

from __future__ import annotations

import streamlit as st
from qd_widgets import guard, live_scenarios, personas, scenarios

from dialogue_engine.ui import views
from dialogue_engine.ui.uploads import YAML_MAX_BYTES, YAML_TYPES, check_yaml_upload

st.title("Library")


def show_scenario(scenario, cast) -> None:
    """Public facts, rule and the deal-space analysis of one scenario."""
    st.subheader(scenario.title)
    if scenario.summary:
        st.markdown(scenario.summary)
    st.markdown(scenario.situation)
    left, right = st.columns(2)
    left.markdown("**Seats**")
    left.dataframe(views.public_parties(scenario, cast), hide_index=True)
    right.markdown("**Issues**")
    right.dataframe(views.public_issues(scenario), hide_index=True)
    st.markdown(f"**Agreement rule:** {scenario.rule.describe(len(scenario.parties), scenario.veto_parties)}; "
                f"**rounds:** {scenario.rounds}")
    with st.expander("Deal-space analysis", expanded=True), guard():
        from dialogue_engine.ui.analysis import analysis_view

        view = analysis_view(scenario, live=scenario.id in live_scenarios())
        if view.withheld:
            st.info(view.withheld)
        cols = st.columns(len(view.counts) or 1)
        for col, (name, value) in zip(cols, view.counts.items()):
            col.metric(name.replace("_", " ").capitalize(), value)
        for label, text, utils in view.named:
            st.markdown(f"**{label}:** {text}")
            if utils:
                st.caption(", ".join(f"{views.party_name(scenario, p, cast)} {u:g}" for p, u in utils.items()))


with guard():
    tab_s, tab_p, tab_u = st.tabs(["Scenarios", "Personas", "Check a file"])
    with tab_s, guard():
        all_scenarios = scenarios()
        cast = personas()
        st.dataframe(views.scenario_rows(all_scenarios), hide_index=True)
        if all_scenarios:
            sid = st.selectbox("Scenario", list(all_scenarios), format_func=lambda s: all_scenarios[s].title,
                               key="library_scenario")
            show_scenario(all_scenarios[sid], cast)
    with tab_p, guard():
        cast = personas()
        st.dataframe(views.persona_rows(cast), hide_index=True)
        if cast:
            pid = st.selectbox("Persona", list(cast), format_func=lambda p: cast[p].name, key="library_persona")
            p = cast[pid]
            st.subheader(p.name)
            st.caption(p.kind.value)
            st.markdown(p.public_profile)
            if p.worldview:
                st.markdown(f"*{p.worldview}*")
            if p.interests:
                st.dataframe([{"Interest": i.name, "Weight": i.weight, "Why": i.description} for i in p.interests],
                             hide_index=True)
    with tab_u:
        st.markdown("Upload a persona or scenario file (.yaml or .yml, up to 2 MB) to check it.")
        upload = st.file_uploader("YAML file", type=list(YAML_TYPES), key="library_upload",
                                  max_upload_size=YAML_MAX_BYTES // (1024 * 1024))
        if upload is not None:
            with guard():
                result = check_yaml_upload(upload.name, upload.getvalue())
                if result.ok:
                    st.success(f"{result.file}: a valid {result.kind} ({result.ident}).")
                    if result.kind == "scenario":
                        show_scenario(result.model, personas())
                else:
                    st.error(f"{result.file}: {len(result.problems)} problem(s) in this {result.kind} file.")
                    for line in result.problems:
                        st.markdown(f"- {line}")
