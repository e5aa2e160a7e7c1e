"""exercise page (being built)."""

import streamlit as st

st.title("exercise")
st.info("Coming soon.")
