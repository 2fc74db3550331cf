-- heliotime schema: raw flux per source, rollups per level, extents, imported files, settings.
-- Rollup levels and bucket alignment are described in docs/storage.md.

CREATE TYPE frequency_band AS ENUM ('short', 'long');

CREATE TABLE flux_archive (
    time      timestamptz    NOT NULL,
    satellite smallint       NOT NULL,
    band      frequency_band NOT NULL,
    is_clean  boolean        NOT NULL,
    flux      real           NOT NULL,
    PRIMARY KEY (satellite, band, is_clean, time)
);

CREATE TABLE flux_live (LIKE flux_archive INCLUDING ALL);

-- Rollups: one row per bucket and channel. Buckets start on the grid of TimescaleDB's
-- time_bucket (origin 2000-01-03T00:00:00Z); each level is computed from the level below.
CREATE TABLE flux_archive_10s (
    time      timestamptz    NOT NULL,
    satellite smallint       NOT NULL,
    band      frequency_band NOT NULL,
    is_clean  boolean        NOT NULL,
    flux_min  real           NOT NULL,
    flux_max  real           NOT NULL,
    count     integer        NOT NULL,
    PRIMARY KEY (satellite, band, is_clean, time)
);
CREATE TABLE flux_archive_1m  (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_10m (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_1h  (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_12h (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_5d  (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_10m    (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_1h     (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_12h    (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_5d     (LIKE flux_archive_10s INCLUDING ALL);

-- Per source and channel: first and last stored timestamp and the raw row count, maintained
-- by the write path in the same transaction as the rows, so that coverage and resume points
-- cost one indexed read.
CREATE TABLE flux_extent (
    source    text           NOT NULL CHECK (source IN ('archive', 'live')),
    satellite smallint       NOT NULL,
    band      frequency_band NOT NULL,
    is_clean  boolean        NOT NULL,
    first     timestamptz    NOT NULL,
    last      timestamptz    NOT NULL,
    row_count bigint         NOT NULL,
    PRIMARY KEY (source, satellite, band, is_clean)
);

-- Every imported file, for provenance and to skip unchanged files on later runs.
CREATE TABLE import_file (
    id            bigserial   PRIMARY KEY,
    source        text        NOT NULL CHECK (source IN ('archive', 'live')),
    product       text        NOT NULL,
    satellite     smallint    NOT NULL,
    day           date,
    name          text        NOT NULL,
    url           text        NOT NULL DEFAULT '',
    size          bigint      NOT NULL DEFAULT 0,
    etag          text        NOT NULL DEFAULT '',
    last_modified text        NOT NULL DEFAULT '',
    sha256        text        NOT NULL DEFAULT '',
    rows          bigint      NOT NULL DEFAULT 0,
    imported_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_file_name ON import_file (source, name, imported_at DESC);

-- One row of settings decided when the schema was set up.
CREATE TABLE heliotime_settings (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    timescale boolean NOT NULL DEFAULT false
);
INSERT INTO heliotime_settings DEFAULT VALUES;
