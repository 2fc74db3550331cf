DROP TABLE IF EXISTS flux_archive_block, flux_live_block;
