package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/ingest"
	"github.com/heliotime/heliotime/ingest/archivetest"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

const (
	ngdc = "https://data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/"
	ncei = "https://www.ncei.noaa.gov/data/goes-space-environment-monitor/access/science/xrs/"
)

// sampleTree serves a NOAA-like tree: two full days of GOES-16 (the shared benchmark
// files) and a day with GOES-15 and GOES-16 (shared samples). It returns the server and
// the URL → local file map.
func sampleTree(t *testing.T) (*archivetest.Server, map[string]string) {
	t.Helper()
	bench := archivetest.SharedDir(t, "HELIOTIME_BENCH_DIR", "bench")
	samples := archivetest.SharedDir(t, "HELIOTIME_NOAA_DIR", "noaa")
	files := map[string]string{
		ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc": filepath.Join(bench, "sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc"),
		ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240511_v2-2-1.nc": filepath.Join(bench, "sci_xrsf-l2-flx1s_g16_d20240511_v2-2-1.nc"),
		ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2017/09/sci_xrsf-l2-flx1s_g16_d20170910_v2-1-0.nc": filepath.Join(samples, "sci_xrsf-l2-flx1s_g16_d20170910_v2-1-0_truncated.nc"),
		ncei + "goes15/gxrs-l2-irrad_science/2017/09/sci_gxrs-l2-irrad_g15_d20170910_v0-0-0.nc":         filepath.Join(samples, "sci_gxrs-l2-irrad_g15_d20170910_v0-0-0_truncated.nc"),
	}
	root := archivetest.Tree(t, t.TempDir(), files)
	return archivetest.New(t, root), files
}

// mirrorDir is the project's generated offline mirror (go run ./testdata/mirror/gen).
const mirrorDir = "../testdata/mirror"

// mirrorFiles maps the archive URLs of the generated mirror to its files.
func mirrorFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(mirrorDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".nc") {
			rel, _ := filepath.Rel(mirrorDir, p)
			out["https://"+filepath.ToSlash(rel)] = p
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("read the generated mirror %s (%d files): %v", mirrorDir, len(out), err)
	}
	return out
}

// daysOf keeps the files of the given days (YYYYMMDD in the name).
func daysOf(files map[string]string, days ...string) map[string]string {
	out := map[string]string{}
	for u, p := range files {
		for _, d := range days {
			if strings.Contains(u, "_d"+d+"_") {
				out[u] = p
			}
		}
	}
	return out
}

func newFetcher(t *testing.T, srv *archivetest.Server) *noaa.Fetcher {
	t.Helper()
	m, err := noaa.ParseMirror(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f, err := noaa.NewFetcher(noaa.FetchOptions{Mirror: m, Attempts: 3, BaseDelay: 5 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// expectedRaw decodes the files independently and counts the records per raw channel
// inside [from, to).
func expectedRaw(t *testing.T, files map[string]string, from, to time.Time) map[flux.Channel]int64 {
	t.Helper()
	want := map[flux.Channel]int64{}
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := fh.Stat()
		dec, err := noaa.Decode(filepath.Base(p), fh, fi.Size())
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The day comes from the name: the benchmark files keep their template's attributes.
		d := dec.Day
		if m := regexp.MustCompile(`_d(\d{8})_`).FindStringSubmatch(filepath.Base(p)); m != nil {
			d, _ = time.Parse("20060102", m[1])
		}
		r := flux.Range{Start: d.UnixNano(), End: d.AddDate(0, 0, 1).UnixNano()}
		for _, b := range flux.Bands {
			for _, ts := range dec.Bands[b].Time {
				if r.Contains(ts) && !time.Unix(0, ts).Before(from) && time.Unix(0, ts).Before(to) {
					want[flux.Channel{Satellite: int16(dec.Satellite), Band: b}]++
				}
			}
		}
	}
	return want
}

// rawRows counts the stored raw (not clean, not combined) rows per channel.
func rawRows(t *testing.T, db *store.DB, src flux.Source) map[flux.Channel]int64 {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT satellite, band::text, count(*) FROM `+store.RawTable(src)+`
		WHERE NOT is_clean AND satellite <> 0 GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[flux.Channel]int64{}
	for rows.Next() {
		var (
			c    flux.Channel
			band string
			n    int64
		)
		if err := rows.Scan(&c.Satellite, &band, &n); err != nil {
			t.Fatal(err)
		}
		c.Band, _ = flux.ParseBand(band)
		out[c] = n
	}
	return out
}

func sameCounts(t *testing.T, what string, got, want map[flux.Channel]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func checksum(t *testing.T, db *store.DB, src flux.Source) string {
	t.Helper()
	s, err := db.Checksum(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testPreparer is the preparation the pipeline tests run: flux.Prepare through
// ingest.DefaultPreparer.
var testPreparer ingest.Preparer = ingest.DefaultPreparer

func TestArchiveImportIdempotent(t *testing.T) {
	srv := archivetest.New(t, mirrorDir)
	files := mirrorFiles(t)
	db := storetest.New(t)
	ctx := context.Background()
	opt := ingest.ArchiveOptions{From: day("2024-05-10"), To: day("2024-05-13"), Fetcher: newFetcher(t, srv), BatchDays: 2, Prepare: testPreparer}
	sum, err := ingest.Archive(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Days != 3 || sum.Files != 6 || len(sum.Failed) != 0 {
		t.Fatalf("summary: %+v", sum)
	}
	want := expectedRaw(t, files, day("2024-05-10"), day("2024-05-13"))
	sameCounts(t, "raw rows", rawRows(t, db, flux.SourceArchive), want)
	for c, n := range want {
		if sum.Rows[c] != n {
			t.Errorf("summary rows of %s: %d, want %d", c, sum.Rows[c], n)
		}
	}
	for _, c := range []flux.Channel{{Satellite: 16, Band: flux.BandLong, Clean: true}, {Satellite: 0, Band: flux.BandLong}, {Satellite: 0, Band: flux.BandShort, Clean: true}} {
		if sum.Rows[c] == 0 {
			t.Errorf("no rows of %s written", c)
		}
	}
	storetest.CheckConsistent(t, db, flux.SourceArchive)
	before := checksum(t, db, flux.SourceArchive)

	// Unchanged files are skipped: conditional requests, nothing rewritten.
	again, err := ingest.Archive(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != 3 || again.Days != 0 {
		t.Errorf("second run: %+v, want 3 unchanged days", again)
	}
	if n := srv.NotModified("/data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc"); n != 1 {
		t.Errorf("%d conditional 304 answers, want 1", n)
	}
	// Forced, the files are imported again, in other batches, and the data is identical.
	opt.Force = true
	opt.BatchDays = 1
	forced, err := ingest.Archive(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if forced.Days != 3 {
		t.Errorf("forced run wrote %d days", forced.Days)
	}
	if after := checksum(t, db, flux.SourceArchive); after != before {
		t.Errorf("re-import changed the data:\n%s\n%s", before, after)
	}
	var recorded int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM import_file WHERE source = 'archive'`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 12 {
		t.Errorf("import_file has %d records, want 12 (2 runs that wrote 6 files)", recorded)
	}
}

// TestArchiveLocalMirror imports from the generated mirror as a local folder, the
// README's offline main job.
func TestArchiveLocalMirror(t *testing.T) {
	m, err := noaa.ParseMirror(mirrorDir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := noaa.NewFetcher(noaa.FetchOptions{Mirror: m})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	db := storetest.New(t)
	sum, err := ingest.Archive(context.Background(), db, ingest.ArchiveOptions{From: day("2024-05-10"), To: day("2024-05-13"), Fetcher: f, Prepare: testPreparer})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Days != 3 || sum.Files != 6 {
		t.Errorf("summary: %+v", sum)
	}
	sameCounts(t, "raw rows", rawRows(t, db, flux.SourceArchive), expectedRaw(t, mirrorFiles(t), day("2024-05-10"), day("2024-05-13")))
	storetest.CheckConsistent(t, db, flux.SourceArchive)
	// The mirror's files are not ours: they stay.
	for _, p := range mirrorFiles(t) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("mirror file gone: %v", err)
		}
	}
}

func TestArchiveTwoSatellites(t *testing.T) {
	srv, files := sampleTree(t)
	db := storetest.New(t)
	sum, err := ingest.Archive(context.Background(), db, ingest.ArchiveOptions{From: day("2017-09-10"), To: day("2017-09-11"),
		Fetcher: newFetcher(t, srv), Prepare: testPreparer})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 2 {
		t.Errorf("summary: %+v", sum)
	}
	sub := map[string]string{}
	for u, p := range files {
		if strings.Contains(u, "20170910") {
			sub[u] = p
		}
	}
	sameCounts(t, "raw rows", rawRows(t, db, flux.SourceArchive), expectedRaw(t, sub, day("2017-09-10"), day("2017-09-11")))
	storetest.CheckConsistent(t, db, flux.SourceArchive)
	// Restricted to one satellite, only it is read.
	sum, err = ingest.Archive(context.Background(), db, ingest.ArchiveOptions{From: day("2017-09-10"), To: day("2017-09-11"),
		Fetcher: newFetcher(t, srv), Prepare: testPreparer, Satellites: []int{15}, Force: true})
	if err != nil || sum.Files != 1 {
		t.Errorf("--satellite 15: %+v, %v", sum, err)
	}
}

func TestArchiveFaults(t *testing.T) {
	const d10 = "/data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc"
	const d11 = "/data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/goes18/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g18_d20240511_v2-2-0.nc"
	tests := []struct {
		name   string
		setup  func(*archivetest.Server)
		days   int
		failed string // the failing day, "" for none
	}{
		{"500s then ok", func(s *archivetest.Server) { s.Fail(d10, archivetest.Status500, archivetest.Status500) }, 2, ""},
		{"429 with Retry-After", func(s *archivetest.Server) { s.Fail(d11, archivetest.TooMany) }, 2, ""},
		{"stalled body", func(s *archivetest.Server) { s.Fail(d10, archivetest.Stall) }, 2, ""},
		{"truncated body", func(s *archivetest.Server) { s.Fail(d11, archivetest.Truncate) }, 2, ""},
		{"always truncated", func(s *archivetest.Server) { s.FailAlways(d11, archivetest.Truncate) }, 1, "2024-05-11"},
		{"corrupt file", func(s *archivetest.Server) { s.FailAlways(d10, archivetest.Corrupt) }, 1, "2024-05-10"},
		{"500 every time", func(s *archivetest.Server) { s.FailAlways(d10, archivetest.Status500) }, 1, "2024-05-10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := archivetest.New(t, mirrorDir)
			tc.setup(srv)
			db := storetest.New(t)
			sum, err := ingest.Archive(context.Background(), db, ingest.ArchiveOptions{From: day("2024-05-10"), To: day("2024-05-12"),
				Fetcher: newFetcher(t, srv), Prepare: testPreparer})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Days != tc.days {
				t.Errorf("%d days written, want %d", sum.Days, tc.days)
			}
			if tc.failed == "" {
				if len(sum.Failed) != 0 {
					t.Errorf("failures: %+v", sum.Failed)
				}
			} else {
				if len(sum.Failed) != 1 || sum.Failed[0].Day.Format("2006-01-02") != tc.failed || !strings.Contains(sum.Failed[0].File, "sci_xrsf-l2-flx1s_g1") {
					t.Errorf("failures: %+v, want %s", sum.Failed, tc.failed)
				}
				var n int
				if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM import_file WHERE day = $1::date`, tc.failed).Scan(&n); err != nil || n != 0 {
					t.Errorf("the failed day is recorded in import_file (%d, %v)", n, err)
				}
				var rows int
				if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM flux_archive WHERE NOT is_clean AND satellite <> 0
					AND time >= $1::date AND time < $1::date + 1`, tc.failed).Scan(&rows); err != nil || rows != 0 {
					t.Errorf("the failed day has %d raw rows (%v)", rows, err)
				}
			}
			storetest.CheckConsistent(t, db, flux.SourceArchive)
		})
	}
}

// TestArchiveResumeAfterCancel cancels an import while its second batch is written, then
// resumes without --from.
func TestArchiveResumeAfterCancel(t *testing.T) {
	srv := archivetest.New(t, mirrorDir)
	files := mirrorFiles(t)
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := ingest.Archive(ctx, db, ingest.ArchiveOptions{From: day("2024-05-10"), To: day("2024-05-11"), Fetcher: newFetcher(t, srv), Prepare: testPreparer}); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, db, flux.SourceArchive)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cancelling := func(ctx context.Context, raw map[flux.Channel]flux.Series, r flux.Range, st store.StoredSource) ([]store.ChannelWrite, error) {
		w, err := testPreparer(ctx, raw, r, st)
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		return w, err
	}
	_, err := ingest.Archive(cctx, db, ingest.ArchiveOptions{From: day("2024-05-11"), To: day("2024-05-12"), Fetcher: newFetcher(t, srv), Prepare: cancelling, Force: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v", err)
	}
	if after := checksum(t, db, flux.SourceArchive); after != before {
		t.Fatal("the cancelled batch left data behind")
	}
	sum, err := ingest.Archive(ctx, db, ingest.ArchiveOptions{To: day("2024-05-12"), Fetcher: newFetcher(t, srv), Prepare: testPreparer})
	if err != nil {
		t.Fatal(err)
	}
	// The resume starts within 2024-05-10 (after its last stored time) and reaches 05-11.
	if sum.Days < 1 || len(sum.Failed) != 0 {
		t.Errorf("resume: %+v", sum)
	}
	sameCounts(t, "raw rows after resume", rawRows(t, db, flux.SourceArchive), expectedRaw(t, daysOf(files, "20240510", "20240511"), day("2024-05-10"), day("2024-05-12")))
	storetest.CheckConsistent(t, db, flux.SourceArchive)
}

func TestArchiveLock(t *testing.T) {
	srv := archivetest.New(t, mirrorDir)
	db := storetest.New(t)
	ctx := context.Background()
	held, err := db.LockSource(ctx, flux.SourceArchive, false)
	if err != nil {
		t.Fatal(err)
	}
	opt := ingest.ArchiveOptions{From: day("2024-05-10"), To: day("2024-05-11"), Fetcher: newFetcher(t, srv), Prepare: testPreparer}
	if _, err := ingest.Archive(ctx, db, opt); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second importer without --wait: %v, want ErrLocked", err)
	}
	// The live source has its own lock.
	if l, err := db.LockSource(ctx, flux.SourceLive, false); err != nil {
		t.Errorf("live lock while archive is locked: %v", err)
	} else {
		l.Release()
	}
	opt.Wait = true
	go func() { time.Sleep(700 * time.Millisecond); held.Release() }()
	start := time.Now()
	sum, err := ingest.Archive(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 700*time.Millisecond || sum.Days != 1 {
		t.Errorf("--wait returned after %s with %+v", time.Since(start), sum)
	}
}

func TestImportFiles(t *testing.T) {
	_, files := sampleTree(t)
	db := storetest.New(t)
	bad := filepath.Join(t.TempDir(), "sci_xrsf-l2-flx1s_g16_d20240512_v2-2-0.nc")
	if err := os.WriteFile(bad, []byte("\x89HDF\r\n\x1a\ngarbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	var paths []string
	sub := map[string]string{}
	for u, p := range files {
		if strings.Contains(u, "20170910") {
			paths = append(paths, p)
			sub[u] = p
		}
	}
	// Other families: SDAC FITS (plain and gzipped) and GOES-R avg1m.
	samples := archivetest.SharedDir(t, "HELIOTIME_NOAA_DIR", "noaa")
	for _, n := range []string{"go1520110607.fits", "go1520120601.fits.gz", "sci_xrsf-l2-avg1m_g16_d20210101_truncated.nc"} {
		p := filepath.Join(samples, n)
		paths = append(paths, p)
		sub[n] = p
	}
	paths = append(paths, bad)
	sum, err := ingest.ImportFiles(context.Background(), db, paths, ingest.ArchiveOptions{Prepare: testPreparer})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 5 || sum.Days != 4 || len(sum.Failed) != 1 || sum.Failed[0].File != bad {
		t.Errorf("summary: %+v", sum)
	}
	sameCounts(t, "raw rows", rawRows(t, db, flux.SourceArchive), expectedRaw(t, sub, day("2011-01-01"), day("2022-01-01")))
	storetest.CheckConsistent(t, db, flux.SourceArchive)
}
