DROP TABLE IF EXISTS heliotime_settings, import_file, flux_extent,
    flux_live_5d, flux_live_12h, flux_live_1h, flux_live_10m,
    flux_archive_5d, flux_archive_12h, flux_archive_1h, flux_archive_10m, flux_archive_1m,
    flux_archive_10s, flux_live, flux_archive;
DROP TYPE IF EXISTS frequency_band;
