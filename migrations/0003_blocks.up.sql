-- Blocks: every level of a source (raw rows, bucket 0, and each rollup level) packed into
-- rows of a fixed span of time, which the read path reads instead of walking the level's
-- rows one by one (docs/storage.md, "Blocks"; the format is in store/block.go).
CREATE TABLE flux_archive_block (
    satellite smallint       NOT NULL,
    band      frequency_band NOT NULL,
    is_clean  boolean        NOT NULL,
    bucket    integer        NOT NULL, -- the level's bucket in seconds; 0: raw rows
    start     timestamptz    NOT NULL, -- on the bucket grid: a multiple of the block span from 2000-01-03
    data      bytea          NOT NULL,
    PRIMARY KEY (satellite, band, is_clean, bucket, start)
) WITH (toast_tuple_target = 8160, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02);
-- A block (at most about 7.7 kB at the usual cadences) stays in its heap page, uncompressed.
ALTER TABLE flux_archive_block ALTER COLUMN data SET STORAGE MAIN;
CREATE TABLE flux_live_block (LIKE flux_archive_block INCLUDING ALL)
    WITH (toast_tuple_target = 8160, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02);

-- Pack the data already stored, channel by channel and in pieces of 64 blocks, so that each
-- statement walks one key range and sorts little.
DO $$
DECLARE
    lv    record;
    ch    record;
    span  interval;
    piece interval;
    t     timestamptz;
    vals  text;
BEGIN
    FOR lv IN
        SELECT * FROM (VALUES
            ('archive', '',    0),      ('archive', '_10s', 10),    ('archive', '_30s', 30),
            ('archive', '_1m', 60),     ('archive', '_5m', 300),    ('archive', '_10m', 600),
            ('archive', '_20m', 1200),  ('archive', '_1h', 3600),   ('archive', '_4h', 14400),
            ('archive', '_12h', 43200), ('archive', '_1d', 86400),  ('archive', '_5d', 432000),
            ('live', '', 0),            ('live', '_5m', 300),       ('live', '_10m', 600),
            ('live', '_20m', 1200),     ('live', '_1h', 3600),      ('live', '_4h', 14400),
            ('live', '_12h', 43200),    ('live', '_1d', 86400),     ('live', '_5d', 432000)
        ) AS v(source, suffix, bucket)
    LOOP
        IF lv.bucket = 0 THEN
            span := interval '960 seconds';
            vals := 'int4send((extract(epoch FROM b.time - g.start) * 1000000)::integer) || float4send(b.flux)';
        ELSE
            span := make_interval(secs => 640 * lv.bucket);
            vals := 'int4send(extract(epoch FROM b.time - g.start)::integer) || float4send(b.flux_min) || float4send(b.flux_max)';
        END IF;
        piece := 64 * span;
        FOR ch IN SELECT satellite, band, is_clean, first, last FROM flux_extent WHERE source = lv.source LOOP
            t := date_bin(piece, ch.first, '2000-01-03 00:00:00+00');
            WHILE t <= ch.last LOOP
                EXECUTE format(
                    'INSERT INTO %I (satellite, band, is_clean, bucket, start, data)
                     SELECT b.satellite, b.band, b.is_clean, $1, g.start, string_agg(%s, ''''::bytea ORDER BY b.time)
                     FROM %I AS b
                     CROSS JOIN LATERAL (SELECT date_bin($2, b.time, ''2000-01-03 00:00:00+00'') AS start) AS g
                     WHERE b.satellite = $3 AND b.band = $4 AND b.is_clean = $5 AND b.time >= $6 AND b.time < $7
                     GROUP BY 1, 2, 3, 5',
                    'flux_' || lv.source || '_block', vals, 'flux_' || lv.source || lv.suffix)
                USING lv.bucket, span, ch.satellite, ch.band, ch.is_clean, t, t + piece;
                t := t + piece;
            END LOOP;
        END LOOP;
    END LOOP;
END $$;
