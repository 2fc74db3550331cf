-- Denser rollup levels and covering keys, so that a 2000-point read walks about one to two
-- rollup rows per point in key order, from the index alone (docs/storage.md, "Levels").

-- Covering keys: the read path selects time, flux_min and flux_max in key order, which an
-- index-only scan answers without visiting the heap once the visibility map is set.
-- Hypertables (TimescaleDB) keep their keys: compressed chunks are read through
-- TimescaleDB's own storage, where a covering key would not help.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flux_archive_10s', 'flux_archive_1m', 'flux_archive_10m', 'flux_archive_1h',
        'flux_archive_12h', 'flux_archive_5d', 'flux_live_10m', 'flux_live_1h', 'flux_live_12h', 'flux_live_5d']
    LOOP
        IF to_regclass('timescaledb_information.hypertables') IS NOT NULL THEN
            CONTINUE WHEN EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = t);
        END IF;
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY (satellite, band, is_clean, time) INCLUDE (flux_min, flux_max)',
            t, t || '_pkey', t || '_pkey');
    END LOOP;
END $$;

CREATE TABLE flux_archive_30s (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_5m  (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_20m (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_4h  (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_archive_1d  (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_5m     (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_20m    (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_4h     (LIKE flux_archive_10s INCLUDING ALL);
CREATE TABLE flux_live_1d     (LIKE flux_archive_10s INCLUDING ALL);

-- The new levels of data already stored, each from the level below it (the first live
-- level from the raw rows), on the same bucket grid.
INSERT INTO flux_archive_30s SELECT date_bin('30 seconds', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_archive_10s GROUP BY 1, 2, 3, 4;
INSERT INTO flux_archive_5m  SELECT date_bin('5 minutes', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_archive_1m GROUP BY 1, 2, 3, 4;
INSERT INTO flux_archive_20m SELECT date_bin('20 minutes', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_archive_10m GROUP BY 1, 2, 3, 4;
INSERT INTO flux_archive_4h  SELECT date_bin('4 hours', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_archive_1h GROUP BY 1, 2, 3, 4;
INSERT INTO flux_archive_1d  SELECT date_bin('1 day', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_archive_12h GROUP BY 1, 2, 3, 4;
INSERT INTO flux_live_5m     SELECT date_bin('5 minutes', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux), max(flux), count(*)::integer FROM flux_live GROUP BY 1, 2, 3, 4;
INSERT INTO flux_live_20m    SELECT date_bin('20 minutes', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_live_10m GROUP BY 1, 2, 3, 4;
INSERT INTO flux_live_4h     SELECT date_bin('4 hours', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_live_1h GROUP BY 1, 2, 3, 4;
INSERT INTO flux_live_1d     SELECT date_bin('1 day', time, '2000-01-03 00:00:00+00'), satellite, band, is_clean, min(flux_min), max(flux_max), sum(count)::integer FROM flux_live_12h GROUP BY 1, 2, 3, 4;

-- Index-only scans need the visibility map: have autovacuum follow the rollups' inserts
-- closely (each import batch deletes and re-inserts the buckets it touches).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flux_archive_10s', 'flux_archive_30s', 'flux_archive_1m', 'flux_archive_5m',
        'flux_archive_10m', 'flux_archive_20m', 'flux_archive_1h', 'flux_archive_4h', 'flux_archive_12h',
        'flux_archive_1d', 'flux_archive_5d', 'flux_live_5m', 'flux_live_10m', 'flux_live_20m', 'flux_live_1h',
        'flux_live_4h', 'flux_live_12h', 'flux_live_1d', 'flux_live_5d']
    LOOP
        EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02)', t);
    END LOOP;
END $$;
