"""facilitator page (being built)."""

import streamlit as st

st.title("facilitator")
st.info("Coming soon.")
