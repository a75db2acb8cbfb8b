-- Job-tracker queries, PostgreSQL dialect (named parameters %(x)s). Same names and result columns
-- as sqlite.sql. Transactions run at READ COMMITTED from a pool of connections, so rows a
-- transition depends on are locked explicitly: the worker row first (FOR UPDATE), then job rows.
-- Every transaction takes locks in that order, so transitions cannot deadlock each other.
-- A literal percent sign must be written %% here (psycopg parameter syntax).

-- name: schema
-- Chunks (one WAT file each), their two jobs, workers, leaderboards, progress history.
-- job.holder is the token of the worker holding the job ("pending"); the unique partial index
-- guarantees a worker never holds two jobs, and a job has one holder column, so never two workers.
SELECT pg_advisory_xact_lock(726300106);  -- two servers starting at once create the schema once
CREATE TABLE IF NOT EXISTS chunk (
    number   BIGINT PRIMARY KEY,
    url      TEXT NOT NULL UNIQUE,
    added_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS job (
    number        BIGINT PRIMARY KEY,
    chunk         BIGINT NOT NULL REFERENCES chunk(number),
    piece         SMALLINT NOT NULL CHECK (piece IN (0, 1)),
    stage         TEXT NOT NULL DEFAULT 'cpu' CHECK (stage IN ('cpu', 'gpu', 'done', 'banned')),
    holder        TEXT,
    gpu_url       TEXT,
    cpu_completor TEXT,
    completor     TEXT,
    pairs         BIGINT,
    claimed_at    DOUBLE PRECISION,
    closed_at     DOUBLE PRECISION
);
CREATE UNIQUE INDEX IF NOT EXISTS job_holder ON job (holder) WHERE holder IS NOT NULL;
CREATE INDEX IF NOT EXISTS job_open ON job (stage, number) WHERE holder IS NULL;
CREATE INDEX IF NOT EXISTS job_gpu_url ON job (gpu_url) WHERE gpu_url IS NOT NULL;
CREATE INDEX IF NOT EXISTS job_closed_at ON job (closed_at) WHERE closed_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS worker (
    token          TEXT PRIMARY KEY,
    type           TEXT NOT NULL,
    display_name   TEXT NOT NULL UNIQUE,
    nickname       TEXT NOT NULL,
    progress       TEXT NOT NULL DEFAULT '',
    jobs_completed BIGINT NOT NULL DEFAULT 0,
    first_seen     DOUBLE PRECISION NOT NULL,
    last_seen      DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS worker_last_seen ON worker (last_seen);
CREATE TABLE IF NOT EXISTS leaderboard (
    nickname TEXT NOT NULL,
    board    TEXT NOT NULL CHECK (board IN ('main', 'cpu')),
    jobs     BIGINT NOT NULL DEFAULT 0,
    pairs    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (nickname, board)
);
CREATE TABLE IF NOT EXISTS progress_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    worker   TEXT NOT NULL,
    type     TEXT NOT NULL,
    job      BIGINT,
    progress TEXT NOT NULL,
    at       DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS progress_log_worker ON progress_log (worker, id);

-- name: lock_worker
-- The live worker behind a token, locked for the rest of the transaction: concurrent calls with
-- the same token, the idle sweep and bye serialise on this row.
SELECT token, type, nickname, display_name FROM worker
WHERE token = %(token)s AND type = %(type)s AND last_seen >= %(alive_since)s
FOR UPDATE;

-- name: display_name_taken
SELECT 1 FROM worker WHERE display_name = %(display_name)s;

-- name: insert_worker
INSERT INTO worker (token, type, display_name, nickname, progress, first_seen, last_seen)
VALUES (%(token)s, %(type)s, %(display_name)s, %(nickname)s, 'Initialized', %(now)s, %(now)s);

-- name: touch_worker
UPDATE worker SET last_seen = %(now)s WHERE token = %(token)s;

-- name: set_progress
UPDATE worker SET progress = %(progress)s, last_seen = %(now)s WHERE token = %(token)s;

-- name: validate_worker
-- Refreshes a live worker; rowcount 1 means "True".
UPDATE worker SET last_seen = %(now)s
WHERE token = %(token)s AND type = %(type)s AND last_seen >= %(alive_since)s;

-- name: release_worker_job
-- Pending → open again, keeping its stage (a released GPU job stays a GPU job).
UPDATE job SET holder = NULL, claimed_at = NULL WHERE holder = %(token)s;

-- name: claim_job
-- One atomic statement claims exactly one open job of a stage, lowest number first. The candidate
-- is a MATERIALIZED CTE evaluated once (not a semi-join re-run per row, upstream's defect), its
-- row locked with SKIP LOCKED so concurrent claims take different rows instead of queueing, and
-- the UPDATE re-checks holder IS NULL.
WITH candidate AS MATERIALIZED (
    SELECT number FROM job
    WHERE stage = %(stage)s AND holder IS NULL
    ORDER BY number LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE job SET holder = %(token)s, claimed_at = %(now)s
FROM candidate
WHERE job.number = candidate.number AND job.holder IS NULL
RETURNING job.number;

-- name: offer
SELECT job.number, job.chunk, job.piece, job.stage, job.gpu_url, chunk.url
FROM job JOIN chunk ON chunk.number = job.chunk
WHERE job.number = %(number)s;

-- name: held_job
SELECT number, stage FROM job WHERE holder = %(token)s FOR UPDATE;

-- name: complete_cpu
UPDATE job SET stage = 'gpu', gpu_url = %(url)s, cpu_completor = %(nickname)s, holder = NULL, claimed_at = NULL
WHERE number = %(number)s AND holder = %(token)s AND stage = 'cpu';

-- name: complete_final
UPDATE job SET stage = 'done', completor = %(nickname)s, pairs = %(count)s, holder = NULL, closed_at = %(now)s
WHERE number = %(number)s AND holder = %(token)s AND stage = %(stage)s;

-- name: invalidate_gpu
UPDATE job SET stage = 'cpu', gpu_url = NULL, cpu_completor = NULL, holder = NULL, claimed_at = NULL
WHERE number = %(number)s AND holder = %(token)s AND stage = 'gpu';

-- name: worker_completed
UPDATE worker SET jobs_completed = jobs_completed + 1, progress = %(progress)s, last_seen = %(now)s
WHERE token = %(token)s;

-- name: add_to_board
INSERT INTO leaderboard (nickname, board, jobs, pairs) VALUES (%(nickname)s, %(board)s, %(jobs)s, %(pairs)s)
ON CONFLICT (nickname, board) DO UPDATE
SET jobs = leaderboard.jobs + excluded.jobs, pairs = leaderboard.pairs + excluded.pairs;

-- name: log_progress
INSERT INTO progress_log (worker, type, job, progress, at) VALUES (%(worker)s, %(type)s, %(job)s, %(progress)s, %(now)s);

-- name: delete_worker
DELETE FROM worker WHERE token = %(token)s;

-- name: stale_workers
-- Locks the expired workers; rows busy in a transition are left for the next sweep.
SELECT token FROM worker WHERE last_seen < %(alive_since)s FOR UPDATE SKIP LOCKED;

-- name: count_open
SELECT COUNT(*) AS n FROM job WHERE stage = %(stage)s AND holder IS NULL;

-- name: lock_chunks
-- Chunk numbers are allocated max+1: serialise concurrent adders (readers and claims are not blocked).
LOCK TABLE chunk IN SHARE ROW EXCLUSIVE MODE;

-- name: chunk_by_url
SELECT number, url FROM chunk WHERE url = %(url)s;

-- name: chunk_by_number
SELECT number, url FROM chunk WHERE number = %(number)s;

-- name: next_chunk
SELECT COALESCE(MAX(number), 0) + 1 AS n FROM chunk;

-- name: insert_chunk
INSERT INTO chunk (number, url, added_at) VALUES (%(number)s, %(url)s, %(now)s);

-- name: insert_job
INSERT INTO job (number, chunk, piece) VALUES (%(number)s, %(chunk)s, %(piece)s);

-- name: ban_chunk
UPDATE job SET stage = 'banned', holder = NULL, claimed_at = NULL WHERE chunk = %(chunk)s;

-- name: reset_chunk
UPDATE job SET stage = 'cpu', holder = NULL, gpu_url = NULL, cpu_completor = NULL, completor = NULL,
    pairs = NULL, claimed_at = NULL, closed_at = NULL
WHERE chunk = %(chunk)s;

-- name: stage_counts
SELECT stage, COUNT(*) FILTER (WHERE holder IS NULL) AS open, COUNT(holder) AS pending
FROM job GROUP BY stage;

-- name: chunk_count
SELECT COUNT(*) AS n FROM chunk;

-- name: worker_counts
SELECT type, COUNT(*) AS n FROM worker WHERE last_seen >= %(alive_since)s GROUP BY type;

-- name: active_workers
SELECT w.display_name, w.type, w.nickname, w.progress, w.jobs_completed, w.first_seen, w.last_seen,
       (SELECT number FROM job WHERE holder = w.token) AS job
FROM worker AS w WHERE w.last_seen >= %(alive_since)s
ORDER BY w.last_seen DESC LIMIT %(limit)s;

-- name: leaderboard
SELECT nickname, jobs, pairs FROM leaderboard WHERE board = %(board)s
ORDER BY jobs DESC, pairs DESC, nickname LIMIT %(limit)s;

-- name: total_pairs
SELECT COALESCE(SUM(pairs), 0) AS n FROM leaderboard WHERE board = 'main';

-- name: closed_since
SELECT COUNT(*) AS n FROM job WHERE closed_at >= %(since)s;

-- name: worker_by_name
SELECT w.display_name, w.type, w.nickname, w.progress, w.jobs_completed, w.first_seen, w.last_seen,
       (SELECT number FROM job WHERE holder = w.token) AS job
FROM worker AS w WHERE w.type = %(type)s AND w.display_name = %(display_name)s AND w.last_seen >= %(alive_since)s;

-- name: recent_log
SELECT job, progress, at FROM progress_log WHERE worker = %(worker)s ORDER BY id DESC LIMIT %(limit)s;

-- name: completed_address
SELECT 1 FROM job WHERE gpu_url = %(url)s AND stage = 'done' LIMIT 1;
