"""debrief page (being built)."""

import streamlit as st

st.title("debrief")
st.info("Coming soon.")
