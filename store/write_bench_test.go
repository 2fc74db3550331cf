package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
	"github.com/heliotime/heliotime/store/storetest"
)

// BenchmarkWriteBatch writes one day of 1 s data for 12 channels (2 satellites and the
// combined signal, 2 bands, raw and clean) per iteration, each iteration a new day, and
// reports stored raw rows per second.
func BenchmarkWriteBatch(b *testing.B) {
	db := storetest.New(b)
	ctx := context.Background()
	d0 := at("2024-01-01T00:00:00Z")
	var rows int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := d0 + int64(i)*day
		batch := store.Batch{Source: flux.SourceArchive}
		for _, sat := range []int16{16, 18, 0} {
			for _, band := range flux.Bands {
				for _, clean := range []bool{false, true} {
					batch.Channels = append(batch.Channels, store.ChannelWrite{
						Channel: flux.Channel{Satellite: sat, Band: band, Clean: clean},
						Series:  mkSeries(uint64(i), start, int64(time.Second), 86400),
						Replace: flux.Range{Start: start, End: start + day},
					})
				}
			}
		}
		st, err := db.WriteBatch(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		rows += st.Written
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
