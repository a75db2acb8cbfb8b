"""Hypothesis strategies for ``WARC-Date``-like strings, shared by the date shortcuts' tests."""

from __future__ import annotations

from hypothesis import strategies as st

_TWO = st.integers(0, 99).map("{:02d}".format)


def warc_date_like(fractions: list[str], zones: list[str]) -> st.SearchStrategy[str]:
    """``yyyy-MM-ddTHH:mm:ss`` with any digits in every field (out-of-range ones too), another
    date/time separator now and then, one of ``fractions`` and one of ``zones``."""
    return st.builds(
        lambda y, mo, d, t, h, mi, s, frac, z: f"{y}-{mo}-{d}{t}{h}:{mi}:{s}{frac}{z}",
        st.integers(0, 9999).map("{:04d}".format),
        _TWO,
        _TWO,
        st.sampled_from(["T", " ", "t"]),
        _TWO,
        _TWO,
        _TWO,
        st.sampled_from(fractions),
        st.sampled_from(zones),
    )
