package ingest_test

import (
	"context"
	"testing"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/ingest/archivetest"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

// TestReclean re-runs cleaning and combining over stored raw rows: after the clean and
// combined rows of a day are deleted, Reclean restores exactly what the import wrote,
// and running it again changes nothing.
func TestReclean(t *testing.T) {
	srv := archivetest.New(t, mirrorDir)
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := ingest.Archive(ctx, db, ingest.ArchiveOptions{From: day("2024-05-10"), To: day("2024-05-13"), Fetcher: newFetcher(t, srv), BatchDays: 3}); err != nil {
		t.Fatal(err)
	}
	imported := checksum(t, db, flux.SourceArchive)
	// Damage the derived rows of the middle day through the write path (rollups and
	// extents stay consistent): empty clean and combined series over that day.
	var damage []store.ChannelWrite
	r := flux.RangeOf(day("2024-05-11"), day("2024-05-12"))
	for _, sat := range []int16{16, 18, 0} {
		for _, b := range flux.Bands {
			damage = append(damage, store.ChannelWrite{Channel: flux.Channel{Satellite: sat, Band: b, Clean: true}, Replace: r})
			if sat == 0 {
				damage = append(damage, store.ChannelWrite{Channel: flux.Channel{Satellite: sat, Band: b}, Replace: r})
			}
		}
	}
	if _, err := db.WriteBatch(ctx, store.Batch{Source: flux.SourceArchive, Channels: damage}); err != nil {
		t.Fatal(err)
	}
	if checksum(t, db, flux.SourceArchive) == imported {
		t.Fatal("the damage changed nothing; the test checks nothing")
	}
	sum, err := ingest.Reclean(ctx, db, flux.SourceArchive, day("2024-05-10"), day("2024-05-13"), ingest.RecleanOptions{BatchDays: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Days != 3 {
		t.Errorf("reclean summary: %+v", sum)
	}
	if got := checksum(t, db, flux.SourceArchive); got != imported {
		t.Errorf("reclean did not restore the imported data:\n%s\n%s", imported, got)
	}
	if _, err := ingest.Reclean(ctx, db, flux.SourceArchive, day("2024-05-10"), day("2024-05-13"), ingest.RecleanOptions{BatchDays: 1}); err != nil {
		t.Fatal(err)
	}
	if got := checksum(t, db, flux.SourceArchive); got != imported {
		t.Errorf("a second reclean in other batches changed the data")
	}
	storetest.CheckConsistent(t, db, flux.SourceArchive)
}
