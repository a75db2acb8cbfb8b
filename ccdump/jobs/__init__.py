"""The job tracker: hands ccdump's WAT shards to Crawling@Home-compatible workers.

Read top-down: :mod:`~ccdump.jobs.server` (HTTP ↔ storage calls) → :mod:`~ccdump.jobs.storage`
(the interface and ``open_store``) → :mod:`~ccdump.jobs.sqlstore` (the state machine over named
SQL in ``sql/``) → :mod:`~ccdump.jobs.sqlite_store` / :mod:`~ccdump.jobs.postgres_store`.
Beside them: :mod:`~ccdump.jobs.model` (numbering, types), :mod:`~ccdump.jobs.validate`
(request fields), :mod:`~ccdump.jobs.shards` (``--shards-dir`` paths), :mod:`~ccdump.jobs.errors`
(exceptions with HTTP statuses), :mod:`~ccdump.jobs.pages` + ``static/`` (dashboard),
:mod:`~ccdump.jobs.client` (HTTP client, ``publish_shard``). :mod:`ccdump.cah` puts the
Crawling@Home names on the client. Importing this package loads nothing else.
"""
