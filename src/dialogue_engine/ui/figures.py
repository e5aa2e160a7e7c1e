"""Inline SVG figures for the pages, in a form a real browser shows.

``st.html`` sanitises its body with the HTML profile only, so an ``<svg>`` passes Streamlit's ``AppTest``
but is stripped in a browser (the box is empty). Markdown with HTML allowed keeps inline SVG, its classes
and its ``<title>`` tooltips. A blank line would end the Markdown HTML block and print the rest as text, so
the markup is put on one line; the wrapper scrolls sideways instead of cutting off a wide picture.
"""

from __future__ import annotations

import re

_SVG = re.compile(r"\A\s*<svg[\s>].*</svg>\s*\Z", re.S)


def inline_svg(svg: str, *, css_class: str = "qd-figure") -> str:
    """``svg`` (one self-contained SVG element made by the report's chart code) as a one-line HTML block for
    ``st.markdown(..., unsafe_allow_html=True)``.

    Raises:
        ValueError: ``svg`` is not a single ``<svg>`` element without scripts or embedded HTML (nothing
            else is passed through as HTML).
    """
    low = (svg or "").lower()
    if not _SVG.match(svg or "") or low.count("<svg") != 1 or "<script" in low or "<foreignobject" in low:
        raise ValueError("not an SVG figure: expected one <svg> element")
    body = " ".join(svg.split("\n"))
    return f'<div class="{css_class}" style="overflow-x:auto;max-width:100%">{body.strip()}</div>'
