DROP TABLE IF EXISTS flux_archive_30s, flux_archive_5m, flux_archive_20m, flux_archive_4h, flux_archive_1d,
    flux_live_5m, flux_live_20m, flux_live_4h, flux_live_1d;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['flux_archive_10s', 'flux_archive_1m', 'flux_archive_10m', 'flux_archive_1h',
        'flux_archive_12h', 'flux_archive_5d', 'flux_live_10m', 'flux_live_1h', 'flux_live_12h', 'flux_live_5d']
    LOOP
        EXECUTE format('ALTER TABLE %I RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_scale_factor)', t);
        IF to_regclass('timescaledb_information.hypertables') IS NOT NULL THEN
            CONTINUE WHEN EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = t);
        END IF;
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY (satellite, band, is_clean, time)',
            t, t || '_pkey', t || '_pkey');
    END LOOP;
END $$;
