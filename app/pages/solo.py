"""solo page (being built)."""

import streamlit as st

st.title("solo")
st.info("Coming soon.")
