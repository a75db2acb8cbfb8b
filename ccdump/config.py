"""Nutch configuration: built-in defaults < ``-conf nutch-site.xml`` files < ``-D key=value``.

Nutch's own dumper builds a fresh configuration and ignores ``-D``; ccdump honours both.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from ccdump.errors import ConfigError

#: Nutch 1.22 ``conf/nutch-default.xml`` values for the keys ccdump reads.
DEFAULTS: dict[str, str] = {
    "http.agent.version": "Nutch-1.22",
    "http.agent.name": "",
    "http.agent.email": "",
    "http.agent.description": "",
    "http.agent.url": "",
    "http.agent.host": "",
    "http.accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "http.accept.language": "en-us,en-gb,en;q=0.7,*;q=0.3",
    "http.robots.agents": "",
    "http.content.limit": "1048576",
    "warc.exporter.only.successful.responses": "false",
    "warc.output.segment.size": "1000000000",
    "ccdump.mimetype.source": "detected",
}


class NutchConfig(Mapping[str, str]):
    """Read-only layered configuration; ``get(key, "")`` as Nutch's getters do."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(DEFAULTS)
        if values:
            self._values.update(values)

    @classmethod
    def load(cls, conf_files: Iterable[str] = (), overrides: Iterable[str] | Mapping[str, str] = ()) -> NutchConfig:
        values: dict[str, str] = {}
        for path in conf_files:
            values.update(read_hadoop_xml(path))
        if isinstance(overrides, Mapping):
            values.update(overrides)
        else:
            for item in overrides:
                key, sep, value = item.partition("=")
                if not sep or not key.strip():
                    raise ConfigError(f"-D {item!r}: expected key=value")
                values[key.strip()] = value
        return cls(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get_str(self, key: str) -> str:
        return self._values.get(key, "")

    def get_bool(self, key: str) -> bool:
        return self._values.get(key, "").strip().lower() == "true"

    def get_int(self, key: str, default: int) -> int:
        try:
            return int(self._values.get(key, default))
        except ValueError:
            raise ConfigError(f"{key}: expected an integer, found {self._values.get(key)!r}") from None


def read_hadoop_xml(path: str) -> dict[str, str]:
    """``<configuration><property><name>…</name><value>…</value></property>…`` → dict."""
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except ET.ParseError as exc:
        raise ConfigError(f"{path}: not a valid XML configuration ({exc})") from None
    if root.tag != "configuration":
        raise ConfigError(f"{path}: expected a <configuration> root element, found <{root.tag}>")
    values: dict[str, str] = {}
    for prop in root.iter("property"):
        name = prop.findtext("name")
        if name:
            values[name.strip()] = (prop.findtext("value") or "").strip()
    return values
