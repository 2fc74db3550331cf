package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa"
	"github.com/heliotime/heliotime/store"
)

// ImportFiles imports local archive files of any family into the archive source: the
// satellite and day are read from each file. Files are grouped by day and written in
// batches of opt.BatchDays consecutive days, like Archive; of two files of one satellite
// and day the higher-cadence product wins. Files already imported unchanged (same name
// and SHA-256 in import_file) are skipped unless opt.Force. A file that cannot be read is
// reported in Summary.Failed.
func ImportFiles(ctx context.Context, db *store.DB, paths []string, opt ArchiveOptions) (Summary, error) {
	opt.defaults()
	sum := Summary{Source: flux.SourceArchive, Rows: map[flux.Channel]int64{}}
	began := time.Now()
	lock, err := db.LockSource(ctx, flux.SourceArchive, opt.Wait)
	if err != nil {
		return sum, err
	}
	defer lock.Release()
	fs := &fileSource{db: db, opt: &opt, byDay: map[time.Time][]localFile{}}
	for _, p := range paths {
		lf, err := fs.scan(p)
		if err != nil {
			sum.Failed = append(sum.Failed, DayFailure{File: p, Reason: err.Error()})
			continue
		}
		fs.byDay[lf.day] = append(fs.byDay[lf.day], lf)
	}
	days := make([]time.Time, 0, len(fs.byDay))
	for d := range fs.byDay {
		days = append(days, d)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	if opt.Progress != nil {
		opt.Progress.Start(len(days))
	}
	if len(days) > 0 {
		err = runPipeline(ctx, db, flux.SourceArchive, days, opt.BatchDays, false, fs, opt.Prepare, opt.Progress, opt.Logger, &sum)
	}
	sort.SliceStable(sum.Failed, func(i, j int) bool { return sum.Failed[i].Day.Before(sum.Failed[j].Day) })
	sum.Elapsed = time.Since(began)
	if err == nil && sum.Days == 0 && sum.Unchanged == 0 && len(sum.Failed) > 0 {
		err = fmt.Errorf("%w: none of the %d files could be read", ErrNothingDone, len(paths))
	}
	return sum, err
}

// localFile is one local file with what a first decode told about it.
type localFile struct {
	path, name string
	product    noaa.Product
	satellite  int
	day        time.Time
	size       int64
	sha        string
}

// fileSource loads days of local files.
type fileSource struct {
	db    *store.DB
	opt   *ArchiveOptions
	byDay map[time.Time][]localFile
}

// scan decodes a file once for its day, satellite and product, and hashes it.
func (s *fileSource) scan(path string) (localFile, error) {
	dec, err := decodeFile(filepath.Base(path), path)
	if err != nil {
		return localFile{}, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return localFile{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return localFile{}, fmt.Errorf("read %s: %w", path, err)
	}
	return localFile{path: path, name: filepath.Base(path), product: dec.Product, satellite: dec.Satellite,
		day: midnight(dec.Day), size: n, sha: hex.EncodeToString(h.Sum(nil))}, nil
}

// productRank orders products by preference (lower first).
func productRank(p noaa.Product) int {
	switch p {
	case noaa.ProductFlx1s, noaa.ProductIrrad:
		return 0
	case noaa.ProductAvg1m:
		return 1
	}
	return 2
}

func (s *fileSource) load(ctx context.Context, days []time.Time) []dayLoad {
	out := make([]dayLoad, len(days))
	for i, day := range days {
		dl := dayLoad{day: day, r: flux.RangeOf(day, day.AddDate(0, 0, 1))}
		files := append([]localFile(nil), s.byDay[day]...)
		sort.SliceStable(files, func(a, b int) bool {
			if files[a].satellite != files[b].satellite {
				return files[a].satellite < files[b].satellite
			}
			return productRank(files[a].product) < productRank(files[b].product)
		})
		unchanged := 0
		var keep []localFile
		for j, f := range files {
			if j > 0 && files[j-1].satellite == f.satellite {
				s.opt.Logger.Info("skipping a second file of the same satellite and day", "file", f.path, "kept", files[j-1].path)
				continue
			}
			keep = append(keep, f)
			if !s.opt.Force {
				prev, ok, err := s.db.LastImport(ctx, flux.SourceArchive, f.name)
				if err != nil {
					dl.fail = &DayFailure{Day: day, File: f.path, Reason: err.Error()}
					break
				}
				if ok && prev.SHA256 == f.sha {
					unchanged++
				}
			}
		}
		if dl.fail == nil && unchanged == len(keep) && len(keep) > 0 {
			dl.unchanged = true
		}
		if dl.fail == nil && !dl.unchanged {
			for _, f := range keep {
				t0 := time.Now()
				dec, err := decodeFile(f.name, f.path)
				dl.stages.Decode += time.Since(t0)
				if err != nil {
					dl.fail = &DayFailure{Day: day, File: f.path, Reason: err.Error()}
					dl.files = nil
					break
				}
				dl.stages.Bytes += f.size
				dl.files = append(dl.files, loadedFile{dec: dec, rec: store.ImportedFile{Product: f.product.String(), Satellite: dec.Satellite,
					Day: day, Name: f.name, URL: "file://" + f.path, Size: f.size, SHA256: f.sha}})
			}
		}
		out[i] = dl
	}
	return out
}
