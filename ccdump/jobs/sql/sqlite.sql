-- Job-tracker queries, SQLite dialect (named parameters :x). Same names and result columns as
-- postgres.sql. Every write runs inside BEGIN IMMEDIATE on the store's single connection, so
-- statements here need no row locks.

-- name: schema
-- Chunks (one WAT file each), their two jobs, workers, leaderboards, progress history.
-- job.holder is the token of the worker holding the job ("pending"); the unique partial index
-- guarantees a worker never holds two jobs, and a job has one holder column, so never two workers.
CREATE TABLE IF NOT EXISTS chunk (
    number   INTEGER PRIMARY KEY,
    url      TEXT NOT NULL UNIQUE,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS job (
    number        INTEGER PRIMARY KEY,
    chunk         INTEGER NOT NULL REFERENCES chunk(number),
    piece         INTEGER NOT NULL CHECK (piece IN (0, 1)),
    stage         TEXT NOT NULL DEFAULT 'cpu' CHECK (stage IN ('cpu', 'gpu', 'done', 'banned')),
    holder        TEXT,
    gpu_url       TEXT,
    cpu_completor TEXT,
    completor     TEXT,
    pairs         INTEGER,
    claimed_at    REAL,
    closed_at     REAL
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
    jobs_completed INTEGER NOT NULL DEFAULT 0,
    first_seen     REAL NOT NULL,
    last_seen      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS worker_last_seen ON worker (last_seen);
CREATE TABLE IF NOT EXISTS leaderboard (
    nickname TEXT NOT NULL,
    board    TEXT NOT NULL CHECK (board IN ('main', 'cpu')),
    jobs     INTEGER NOT NULL DEFAULT 0,
    pairs    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (nickname, board)
);
CREATE TABLE IF NOT EXISTS progress_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    worker   TEXT NOT NULL,
    type     TEXT NOT NULL,
    job      INTEGER,
    progress TEXT NOT NULL,
    at       REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS progress_log_worker ON progress_log (worker, id);

-- name: lock_worker
-- The live worker behind a token; no row lock needed under BEGIN IMMEDIATE.
SELECT token, type, nickname, display_name FROM worker
WHERE token = :token AND type = :type AND last_seen >= :alive_since;

-- name: display_name_taken
SELECT 1 FROM worker WHERE display_name = :display_name;

-- name: insert_worker
INSERT INTO worker (token, type, display_name, nickname, progress, first_seen, last_seen)
VALUES (:token, :type, :display_name, :nickname, 'Initialized', :now, :now);

-- name: touch_worker
UPDATE worker SET last_seen = :now WHERE token = :token;

-- name: set_progress
UPDATE worker SET progress = :progress, last_seen = :now WHERE token = :token;

-- name: validate_worker
-- Refreshes a live worker; rowcount 1 means "True".
UPDATE worker SET last_seen = :now
WHERE token = :token AND type = :type AND last_seen >= :alive_since;

-- name: release_worker_job
-- Pending → open again, keeping its stage (a released GPU job stays a GPU job).
UPDATE job SET holder = NULL, claimed_at = NULL WHERE holder = :token;

-- name: claim_job
-- One atomic statement claims exactly one open job of a stage, lowest number first.
UPDATE job SET holder = :token, claimed_at = :now
WHERE number = (SELECT number FROM job WHERE stage = :stage AND holder IS NULL ORDER BY number LIMIT 1)
  AND holder IS NULL
RETURNING number;

-- name: offer
SELECT job.number, job.chunk, job.piece, job.stage, job.gpu_url, chunk.url
FROM job JOIN chunk ON chunk.number = job.chunk
WHERE job.number = :number;

-- name: held_job
SELECT number, stage FROM job WHERE holder = :token;

-- name: complete_cpu
UPDATE job SET stage = 'gpu', gpu_url = :url, cpu_completor = :nickname, holder = NULL, claimed_at = NULL
WHERE number = :number AND holder = :token AND stage = 'cpu';

-- name: complete_final
UPDATE job SET stage = 'done', completor = :nickname, pairs = :count, holder = NULL, closed_at = :now
WHERE number = :number AND holder = :token AND stage = :stage;

-- name: invalidate_gpu
UPDATE job SET stage = 'cpu', gpu_url = NULL, cpu_completor = NULL, holder = NULL, claimed_at = NULL
WHERE number = :number AND holder = :token AND stage = 'gpu';

-- name: worker_completed
UPDATE worker SET jobs_completed = jobs_completed + 1, progress = :progress, last_seen = :now
WHERE token = :token;

-- name: add_to_board
INSERT INTO leaderboard (nickname, board, jobs, pairs) VALUES (:nickname, :board, :jobs, :pairs)
ON CONFLICT (nickname, board) DO UPDATE
SET jobs = leaderboard.jobs + excluded.jobs, pairs = leaderboard.pairs + excluded.pairs;

-- name: log_progress
INSERT INTO progress_log (worker, type, job, progress, at) VALUES (:worker, :type, :job, :progress, :now);

-- name: delete_worker
DELETE FROM worker WHERE token = :token;

-- name: stale_workers
SELECT token FROM worker WHERE last_seen < :alive_since;

-- name: count_open
SELECT COUNT(*) AS n FROM job WHERE stage = :stage AND holder IS NULL;

-- name: lock_chunks
-- Chunk numbers are allocated max+1; BEGIN IMMEDIATE already serialises writers.
SELECT 1;

-- name: chunk_by_url
SELECT number, url FROM chunk WHERE url = :url;

-- name: chunk_by_number
SELECT number, url FROM chunk WHERE number = :number;

-- name: next_chunk
SELECT COALESCE(MAX(number), 0) + 1 AS n FROM chunk;

-- name: insert_chunk
INSERT INTO chunk (number, url, added_at) VALUES (:number, :url, :now);

-- name: insert_job
INSERT INTO job (number, chunk, piece) VALUES (:number, :chunk, :piece);

-- name: ban_chunk
UPDATE job SET stage = 'banned', holder = NULL, claimed_at = NULL WHERE chunk = :chunk;

-- name: reset_chunk
UPDATE job SET stage = 'cpu', holder = NULL, gpu_url = NULL, cpu_completor = NULL, completor = NULL,
    pairs = NULL, claimed_at = NULL, closed_at = NULL
WHERE chunk = :chunk;

-- name: stage_counts
SELECT stage, COUNT(*) FILTER (WHERE holder IS NULL) AS open, COUNT(holder) AS pending
FROM job GROUP BY stage;

-- name: chunk_count
SELECT COUNT(*) AS n FROM chunk;

-- name: worker_counts
SELECT type, COUNT(*) AS n FROM worker WHERE last_seen >= :alive_since GROUP BY type;

-- name: active_workers
SELECT w.display_name, w.type, w.nickname, w.progress, w.jobs_completed, w.first_seen, w.last_seen,
       (SELECT number FROM job WHERE holder = w.token) AS job
FROM worker AS w WHERE w.last_seen >= :alive_since
ORDER BY w.last_seen DESC LIMIT :limit;

-- name: leaderboard
SELECT nickname, jobs, pairs FROM leaderboard WHERE board = :board
ORDER BY jobs DESC, pairs DESC, nickname LIMIT :limit;

-- name: total_pairs
SELECT COALESCE(SUM(pairs), 0) AS n FROM leaderboard WHERE board = 'main';

-- name: closed_since
SELECT COUNT(*) AS n FROM job WHERE closed_at >= :since;

-- name: worker_by_name
SELECT w.display_name, w.type, w.nickname, w.progress, w.jobs_completed, w.first_seen, w.last_seen,
       (SELECT number FROM job WHERE holder = w.token) AS job
FROM worker AS w WHERE w.type = :type AND w.display_name = :display_name AND w.last_seen >= :alive_since;

-- name: recent_log
SELECT job, progress, at FROM progress_log WHERE worker = :worker ORDER BY id DESC LIMIT :limit;

-- name: completed_address
SELECT 1 FROM job WHERE gpu_url = :url AND stage = 'done' LIMIT 1;
