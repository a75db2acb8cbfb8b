"""The WET writer's shortcuts give what the general code gives: dates copied without a datetime
round trip, record ids made without ``uuid.UUID``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ccdump.writers.derived import new_record_id, parse_warc_date, warc_date
from ccdump.writers.wet import WetWriter, conversion_date
from tests.writers.date_strategies import warc_date_like


def _general_conversion_date(date: str) -> str:
    """The conversion record's date as computed before the shortcut: normalised to UTC when it
    parses and has a UTC year, else as it is."""
    parsed = parse_warc_date(date)
    if parsed is None:
        return date
    try:
        return warc_date(parsed)
    except OverflowError:
        return date


@settings(max_examples=1000, deadline=None)
@given(warc_date_like(["", "", "", ".5", ".123456", "."], ["Z", "Z", "Z", "", "+00:00", "+02:00", "-05:30", "Z ", "z", "Z\n"]))
@example("2024-05-18T01:58:10Z")
@example("2024-02-29T23:59:59Z")
@example("2023-02-29T00:00:00Z")
@example("2024-04-31T12:00:00Z")
@example("2024-05-18T24:00:00Z")
@example("0999-05-18T01:58:10Z")
@example("٢٠٢٤-05-18T01:58:10Z")
@example("0001-01-01T00:00:00+02:00")  # before year 1 in UTC: copied (it used to fail the WET file)
def test_conversion_date_equals_the_general_parse(date):
    assert conversion_date(date) == _general_conversion_date(date)


@given(st.text(max_size=30))
def test_conversion_date_on_anything(date):
    assert conversion_date(date) == _general_conversion_date(date)


def test_new_record_ids_are_uuid4_urns():
    ids = [new_record_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for rid in ids:
        assert rid.startswith("<urn:uuid:") and rid.endswith(">")
        parsed = uuid.UUID(rid[len("<urn:uuid:") : -1])
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert f"<urn:uuid:{parsed}>" == rid  # the form str(uuid.uuid4()) gives: lower-case, dashed


def test_wet_writer_uses_its_id_factory_unless_given(tmp_path):
    assert WetWriter(tmp_path / "a.wet.gz", "a.warc.gz").make_id is new_record_id
    mine = WetWriter(tmp_path / "b.wet.gz", "b.warc.gz", make_id=lambda: "<urn:uuid:fixed>")
    assert mine.make_id() == "<urn:uuid:fixed>"


_OFFSETS = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60))


@given(st.lists(st.datetimes(timezones=_OFFSETS, min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)), max_size=20))
def test_warc_date_memo_gives_what_strftime_gives(moments):
    """``warc_date`` remembers the last second it formatted: any sequence of moments, any offsets,
    before 1970 too, gives what formatting each afresh gives."""
    for when in moments + moments[::-1]:
        assert warc_date(when) == when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
