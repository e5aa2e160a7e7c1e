"""Streamlit-free helpers behind the app's pages: view models, formatting and upload checks.

Everything here is plain Python so it can be tested without a browser; ``app/screens/*.py`` only lay it out.
"""
