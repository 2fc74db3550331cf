package noaa_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/ingest/archivetest"
	"github.com/heliotime/heliotime/noaa"
)

func TestCatalogDay(t *testing.T) {
	root := t.TempDir()
	ngdc := "data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes/"
	ncei := "www.ncei.noaa.gov/data/goes-space-environment-monitor/access/science/xrs/"
	sdac := "umbra.nascom.nasa.gov/goes/fits/"
	for _, p := range []string{
		ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240510_v2-1-0.nc",
		ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240510_v2-2-1.nc",
		ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g16_d20240510_v2-10-0.nc.md5",
		ngdc + "goes16/l2/data/xrsf-l2-avg1m_science/2024/05/sci_xrsf-l2-avg1m_g16_d20240510_v2-2-0.nc",
		ngdc + "goes16/l2/data/xrsf-l2-avg1m_science/2024/05/sci_xrsf-l2-avg1m_g16_d20240511_v2-2-0.nc",
		ngdc + "goes16/l2/data/xrsf-l2-avg1m_science/2024/05/sci_xrsf-l2-avg1m_g16_y2024_v2-2-0.nc",
		ngdc + "goes18/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g18_d20240510_v2-2-0.nc",
		ngdc + "goes18/l2/data/xrsf-l2-flx1s_science/2024/05/sci_xrsf-l2-flx1s_g17_d20240510_v2-2-0.nc",
		ncei + "goes15/xrsf-l2-avg1m_science/2019/01/sci_xrsf-l2-avg1m_g15_d20190102_v1-0-0.nc",
		ncei + "goes14/gxrs-l2-irrad_science/2019/01/sci_gxrs-l2-irrad_g14_d20190102_v0-0-0.nc",
		ncei + "goes14/xrsf-l2-avg1m_science/2019/01/sci_xrsf-l2-avg1m_g14_d20190102_v1-0-0.nc",
		sdac + "2017/go1320170901.fits",
		sdac + "1990/go06900101.fits",
		sdac + "1999/go10990120.fits",
		sdac + "1999/go1019990120.fits",
	} {
		f := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := archivetest.New(t, root)
	fetch, err := noaa.NewFetcher(noaa.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer fetch.Close()
	arch := noaa.Archives{NGDC: srv.URL + "/" + ngdc, NCEI: srv.URL + "/" + ncei, SDAC: srv.URL + "/" + sdac}
	cat := noaa.NewCatalog(arch, fetch)
	tests := []struct {
		day  string
		sats []int
		want string
	}{
		{"2024-05-10", nil, "16 flx1s sci_xrsf-l2-flx1s_g16_d20240510_v2-2-1.nc; 18 flx1s sci_xrsf-l2-flx1s_g18_d20240510_v2-2-0.nc"},
		{"2024-05-10", []int{18}, "18 flx1s sci_xrsf-l2-flx1s_g18_d20240510_v2-2-0.nc"},
		{"2024-05-11", nil, "16 avg1m sci_xrsf-l2-avg1m_g16_d20240511_v2-2-0.nc"},
		{"2024-05-12", nil, ""},
		{"2017-09-01", []int{13, 15}, "13 fits go1320170901.fits"},
		{"2019-01-02", nil, "14 irrad sci_gxrs-l2-irrad_g14_d20190102_v0-0-0.nc; 15 avg1m sci_xrsf-l2-avg1m_g15_d20190102_v1-0-0.nc"},
		{"1990-01-01", nil, "6 fits go06900101.fits"},
		{"1999-01-20", []int{10}, "10 fits go1019990120.fits"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.day, tc.sats), func(t *testing.T) {
			day, _ := time.Parse("2006-01-02", tc.day)
			files, err := cat.Day(context.Background(), day, tc.sats)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, fmt.Sprintf("%d %s %s", f.Satellite, f.Product, f.Name))
				if !strings.HasSuffix(f.URL, "/"+f.Name) || !f.Day.Equal(day) {
					t.Errorf("%s: URL %s, day %s", f.Name, f.URL, f.Day)
				}
			}
			if s := strings.Join(got, "; "); s != tc.want {
				t.Errorf("got  %s\nwant %s", s, tc.want)
			}
		})
	}
	// Each listing is read once per catalogue.
	if n := srv.Requests("/" + ngdc + "goes16/l2/data/xrsf-l2-flx1s_science/2024/05/"); n != 1 {
		t.Errorf("the GOES-16 May 2024 listing was read %d times", n)
	}
	// A listing that keeps failing fails the day.
	srv.FailAlways("/"+ngdc+"goes18/l2/data/xrsf-l2-flx1s_science/2024/06/", archivetest.Status500)
	fetch2, _ := noaa.NewFetcher(noaa.FetchOptions{Attempts: 2, BaseDelay: time.Millisecond})
	defer fetch2.Close()
	if _, err := noaa.NewCatalog(arch, fetch2).Day(context.Background(), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), []int{18}); err == nil {
		t.Error("a failing listing did not fail the day")
	}
}
