"""The Crawling@Home job model: worker types, stages, chunk → job numbering, worker names.

Pure data and arithmetic, no I/O. One chunk (one WAT file) becomes two jobs, piece 0 and
piece 1, which share the chunk's 1,000,000-wide sample-id range. A job moves through stages
``cpu`` (open for CPU/Hybrid workers) → ``gpu`` (open for GPU workers, after a CPU worker
published its output) → ``done``; ``banned`` takes it out of circulation. "Pending" is not a
stage: it is the job's ``holder`` column being set (see :mod:`ccdump.jobs.storage`).

>>> chunk_range(1)
(0, 1000000)
>>> job_numbers(3)
(5, 6)
>>> chunk_of_job(6), piece_of_job(6)
(3, 1)
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from typing import Any

#: Width of a chunk's sample-id range (upstream constant).
ID_RANGE = 1_000_000
#: Jobs per chunk: the first and second half of the WAT's lines.
PIECES = 2


class Stage(str, enum.Enum):
    """Where a job is in its life; stored as text in the ``job.stage`` column."""

    CPU = "cpu"
    GPU = "gpu"
    DONE = "done"
    BANNED = "banned"


class WorkerType(str, enum.Enum):
    """The three C@H worker kinds and the stage each one works on."""

    HYBRID = "HYBRID"
    CPU = "CPU"
    GPU = "GPU"

    @property
    def stage(self) -> Stage:
        """Stage of the jobs this worker type claims."""
        return Stage.GPU if self is WorkerType.GPU else Stage.CPU

    @property
    def board(self) -> str:
        """Leaderboard its completions count on: CPU completions have their own."""
        return "cpu" if self is WorkerType.CPU else "main"


def chunk_range(chunk: int) -> tuple[int, int]:
    """Sample-id range ``(start_id, end_id)`` of 1-based chunk ``chunk``."""
    return (chunk - 1) * ID_RANGE, chunk * ID_RANGE


def job_numbers(chunk: int) -> tuple[int, int]:
    """Job numbers of the chunk's two pieces: ``2·end_id/ID_RANGE − 1`` and ``2·end_id/ID_RANGE``."""
    return PIECES * chunk - 1, PIECES * chunk


def chunk_of_job(number: int) -> int:
    """Chunk a job number belongs to."""
    return (number + 1) // PIECES


def piece_of_job(number: int) -> int:
    """Piece (0 = first half of the lines, 1 = second half) of a job number."""
    return (number + 1) % PIECES


@dataclass(frozen=True)
class Offer:
    """A claimed job as ``api/newJob`` returns it.

    ``url`` is the stored reference: for CPU-stage jobs the chunk's URL or shards-dir path (the
    server turns a path into an absolute URL), for GPU-stage jobs the CPU worker's string as-is.
    """

    number: int
    chunk: int
    piece: int
    url: str
    stage: Stage

    @property
    def start_id(self) -> int:
        return chunk_range(self.chunk)[0]

    @property
    def end_id(self) -> int:
        return chunk_range(self.chunk)[1]


@dataclass(frozen=True)
class Registration:
    """What ``api/new`` hands a new worker."""

    token: str
    display_name: str
    type: WorkerType
    nickname: str


@dataclass(frozen=True)
class ChunkInfo:
    """One added shard: its chunk number, stored reference and whether this call created it."""

    number: int
    url: str
    created: bool

    def as_dict(self) -> dict[str, Any]:
        start, end = chunk_range(self.number)
        return {
            "chunk": self.number,
            "url": self.url,
            "created": self.created,
            "jobs": list(job_numbers(self.number)),
            "start_id": start,
            "end_id": end,
        }


_ADJECTIVES = [
    "amber",
    "azure",
    "bold",
    "brave",
    "brisk",
    "calm",
    "clever",
    "cosmic",
    "crisp",
    "dapper",
    "eager",
    "early",
    "fancy",
    "fierce",
    "gentle",
    "glad",
    "golden",
    "grand",
    "happy",
    "hidden",
    "humble",
    "icy",
    "jolly",
    "keen",
    "kind",
    "lively",
    "lucky",
    "mellow",
    "merry",
    "mighty",
    "misty",
    "nimble",
    "noble",
    "odd",
    "plucky",
    "polar",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "rosy",
    "rustic",
    "shiny",
    "silent",
    "silver",
    "sleek",
    "smooth",
    "snowy",
    "solar",
    "spry",
    "steady",
    "stormy",
    "sunny",
    "swift",
    "tidy",
    "tiny",
    "vivid",
    "warm",
    "wild",
    "wise",
    "witty",
]
_NOUNS = [
    "badger",
    "beacon",
    "bison",
    "breeze",
    "brook",
    "canyon",
    "cedar",
    "comet",
    "condor",
    "coral",
    "crane",
    "creek",
    "dune",
    "eagle",
    "ember",
    "falcon",
    "fern",
    "finch",
    "fjord",
    "fox",
    "galaxy",
    "gecko",
    "glacier",
    "harbor",
    "hawk",
    "heron",
    "island",
    "jaguar",
    "koala",
    "lagoon",
    "lark",
    "lemur",
    "lynx",
    "maple",
    "meadow",
    "meteor",
    "moose",
    "nebula",
    "ocelot",
    "orbit",
    "otter",
    "owl",
    "panda",
    "pebble",
    "pine",
    "planet",
    "puffin",
    "quartz",
    "raven",
    "reef",
    "river",
    "robin",
    "sparrow",
    "spruce",
    "summit",
    "tiger",
    "tundra",
    "walrus",
    "willow",
]


def random_display_name() -> str:
    """A public worker name ``<word>-<word>-<0…999>``; unrelated to (and revealing nothing of) its token."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(1000)}"
