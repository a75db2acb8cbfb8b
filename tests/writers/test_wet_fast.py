"""The WET writer's shortcuts give what the general code gives: dates copied without a datetime
round trip, record ids made without ``uuid.UUID``."""

from __future__ import annotations

import uuid

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ccdump.writers.derived import parse_warc_date, warc_date
from ccdump.writers.wet import WetWriter, conversion_date, random_record_id


def _general_conversion_date(date: str) -> str:
    """The conversion record's date as computed before the shortcut."""
    parsed = parse_warc_date(date)
    return warc_date(parsed) if parsed is not None else date


_TWO = st.integers(0, 99).map("{:02d}".format)


@settings(max_examples=3000, deadline=None)
@given(
    st.builds(
        lambda y, mo, d, t, h, mi, s, frac, z: f"{y}-{mo}-{d}{t}{h}:{mi}:{s}{frac}{z}",
        st.integers(0, 9999).map("{:04d}".format),
        _TWO,
        _TWO,
        st.sampled_from(["T", " ", "t"]),
        _TWO,
        _TWO,
        _TWO,
        st.sampled_from(["", "", "", ".5", ".123456", "."]),
        st.sampled_from(["Z", "Z", "Z", "", "+00:00", "+02:00", "-05:30", "Z ", "z", "Z\n"]),
    )
)
@example("2024-05-18T01:58:10Z")
@example("2024-02-29T23:59:59Z")
@example("2023-02-29T00:00:00Z")
@example("2024-04-31T12:00:00Z")
@example("2024-05-18T24:00:00Z")
@example("0999-05-18T01:58:10Z")
@example("٢٠٢٤-05-18T01:58:10Z")
def test_conversion_date_equals_the_general_parse(date):
    assert conversion_date(date) == _general_conversion_date(date)


@given(st.text(max_size=30))
def test_conversion_date_on_anything(date):
    assert conversion_date(date) == _general_conversion_date(date)


def test_random_record_ids_are_uuid4_urns():
    ids = [random_record_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for rid in ids:
        assert rid.startswith("<urn:uuid:") and rid.endswith(">")
        parsed = uuid.UUID(rid[len("<urn:uuid:") : -1])
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert f"<urn:uuid:{parsed}>" == rid  # the form str(uuid.uuid4()) gives: lower-case, dashed


def test_wet_writer_uses_its_id_factory_unless_given(tmp_path):
    assert WetWriter(tmp_path / "a.wet.gz", "a.warc.gz").make_id is random_record_id
    mine = WetWriter(tmp_path / "b.wet.gz", "b.warc.gz", make_id=lambda: "<urn:uuid:fixed>")
    assert mine.make_id() == "<urn:uuid:fixed>"
