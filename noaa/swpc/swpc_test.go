package swpc_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/noaa/swpc"
)

// swpcDir returns $HELIOTIME_NOAA_SAMPLES/swpc (default ../shared/noaa/swpc beside the
// module root), or "" when it cannot be determined.
func swpcDir() string {
	if dir := os.Getenv("HELIOTIME_NOAA_SAMPLES"); dir != "" {
		return filepath.Join(dir, "swpc")
	}
	root, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, "..", "shared", "noaa", "swpc")
		}
		parent := filepath.Dir(root)
		if parent == root {
			return ""
		}
		root = parent
	}
}

func mustTime(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

// TestSamples parses every real feed file. Expected counts were computed independently
// with Python's json module (records per energy, flux == 0 rows, kept rows with
// electron_contaminaton) and agree with the table in the samples' README.
func TestSamples(t *testing.T) {
	dir := swpcDir()
	if _, err := os.Stat(dir); dir == "" || err != nil {
		t.Skipf("SWPC samples folder %q absent (set HELIOTIME_NOAA_SAMPLES): %v", dir, err)
	}
	cases := []struct {
		file        string
		sat         int
		perBand     [2]int // records short, long
		zero        [2]int
		contamShort int
		first, last string
		truncated   bool
		maxLong     float32
		maxLongAt   string
	}{
		{file: "primary_xrays-1-day_2022-04-26T0159Z_g16.json", sat: 16, perBand: [2]int{1438, 1438}, contamShort: 4,
			first: "2022-04-25T02:02:00Z", last: "2022-04-26T01:59:00Z"},
		{file: "primary_xrays-1-day_2026-08-05T2047Z_g18_zero-flux.json", sat: 18, perBand: [2]int{1437, 1437},
			zero: [2]int{100, 100}, contamShort: 1131, first: "2026-08-04T20:51:00Z", last: "2026-08-05T20:47:00Z"},
		{file: "primary_xrays-1-day_2026-08-07T1428Z_g18_1439-minutes.json", sat: 18, perBand: [2]int{1439, 1439},
			contamShort: 1144, first: "2026-08-06T14:30:00Z", last: "2026-08-07T14:28:00Z"},
		{file: "primary_xrays-1-day_2026-08-08T1758Z_g18.json", sat: 18, perBand: [2]int{1438, 1438},
			contamShort: 1020, first: "2026-08-07T18:01:00Z", last: "2026-08-08T17:58:00Z"},
		{file: "primary_xrays-6-hour_2023-05-29T2035Z_g16.json", sat: 16, perBand: [2]int{357, 357},
			first: "2023-05-29T14:39:00Z", last: "2023-05-29T20:35:00Z"},
		{file: "primary_xrays-6-hour_2023-05-29T2329Z_g16.json", sat: 16, perBand: [2]int{358, 358},
			first: "2023-05-29T17:32:00Z", last: "2023-05-29T23:29:00Z"},
		{file: "primary_xrays-6-hour_2023-05-30T1812Z_g16_zero-flux.json", sat: 16, perBand: [2]int{358, 358},
			zero: [2]int{17, 17}, first: "2023-05-30T12:15:00Z", last: "2023-05-30T18:12:00Z"},
		{file: "primary_xrays-6-hour_2023-08-30T0133Z_g16.json", sat: 16, perBand: [2]int{358, 358},
			first: "2023-08-29T19:36:00Z", last: "2023-08-30T01:33:00Z"},
		{file: "primary_xrays-6-hour_2023-08-31T0417Z_g16.json", sat: 16, perBand: [2]int{358, 358},
			first: "2023-08-30T22:20:00Z", last: "2023-08-31T04:17:00Z"},
		{file: "primary_xrays-6-hour_2023-08-31T0514Z_g16.json", sat: 16, perBand: [2]int{358, 358},
			first: "2023-08-30T23:17:00Z", last: "2023-08-31T05:14:00Z"},
		{file: "primary_xrays-6-hour_2023-08-31T0516Z_g16.json", sat: 16, perBand: [2]int{358, 358},
			first: "2023-08-30T23:19:00Z", last: "2023-08-31T05:16:00Z"},
		{file: "secondary_xrays-6-hour_2024-05-13T2033Z_g18.json", sat: 18, perBand: [2]int{358, 358},
			first: "2024-05-13T14:36:00Z", last: "2024-05-13T20:33:00Z"},
		// Cut at 1 MiB inside record 4611 (a long-band record): 4611 complete records,
		// the X1.0 peak of 2024-05-08T01:41Z among them.
		{file: "secondary_xrays-7-day_from-2024-05-06T2037Z_g18_TRUNCATED-AT-1MiB.json", sat: 18,
			perBand: [2]int{2306, 2305}, zero: [2]int{61, 61}, first: "2024-05-06T20:37:00Z", last: "2024-05-08T11:02:00Z",
			truncated: true, maxLong: 0.00010551477316766977, maxLongAt: "2024-05-08T01:41:00Z"},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			feed, err := swpc.Parse(f)
			if tc.truncated {
				if !errors.Is(err, swpc.ErrTruncated) || !strings.Contains(err.Error(), "record 4611") {
					t.Fatalf("err = %v, want ErrTruncated at record 4611", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := feed.Satellites(); len(got) != 1 || got[0] != tc.sat {
				t.Fatalf("satellites %v, want [%d]", got, tc.sat)
			}
			s := feed.Series[tc.sat]
			for b := range 2 {
				st := feed.Stats[b]
				if st.Records != tc.perBand[b] || st.Missing != tc.zero[b] || st.Kept != tc.perBand[b]-tc.zero[b] ||
					st.OutOfRange != 0 || st.Duplicate != 0 || s[b].Len() != st.Kept {
					t.Errorf("band %v: stats %+v, series %d; want records %d missing %d", flux.Band(b), st, s[b].Len(), tc.perBand[b], tc.zero[b])
				}
				for i := 1; i < s[b].Len(); i++ {
					if s[b].Time[i] <= s[b].Time[i-1] {
						t.Fatalf("band %v not strictly ascending at %d", flux.Band(b), i)
					}
				}
				for _, v := range s[b].Flux {
					if !(v > 0 && v < 1) {
						t.Fatalf("band %v kept %v", flux.Band(b), v)
					}
				}
			}
			if feed.Stats[flux.BandShort].Contaminated != tc.contamShort || feed.Stats[flux.BandLong].Contaminated != 0 {
				t.Errorf("contaminated %d/%d, want %d/0", feed.Stats[0].Contaminated, feed.Stats[1].Contaminated, tc.contamShort)
			}
			short := s[flux.BandShort]
			if tc.zero[0] == 0 && (short.Time[0] != mustTime(tc.first) || short.Time[short.Len()-1] != mustTime(tc.last)) {
				t.Errorf("short spans %v..%v, want %s..%s", time.Unix(0, short.Time[0]).UTC(),
					time.Unix(0, short.Time[short.Len()-1]).UTC(), tc.first, tc.last)
			}
			if tc.maxLongAt != "" {
				long := s[flux.BandLong]
				im := 0
				for i, v := range long.Flux {
					if v > long.Flux[im] {
						im = i
					}
				}
				if long.Flux[im] != tc.maxLong || long.Time[im] != mustTime(tc.maxLongAt) {
					t.Errorf("max long %v at %v", long.Flux[im], time.Unix(0, long.Time[im]).UTC())
				}
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !seen[e.Name()] {
			t.Errorf("sample %s has no expectations", e.Name())
		}
	}
}

func rec(tag string, sat int, fl float64, energy string) string {
	return `{"time_tag": "` + tag + `", "satellite": ` + strconv.Itoa(sat) + `, "flux": ` +
		strconv.FormatFloat(fl, 'g', -1, 64) + `, "observed_flux": 1e-6, "electron_correction": 0.0, ` +
		`"electron_contaminaton": false, "energy": "` + energy + `"}`
}

func TestParse(t *testing.T) {
	const s, l = swpc.EnergyShort, swpc.EnergyLong
	type pt struct {
		sat  int
		band flux.Band
		tag  string
		v    float32
	}
	cases := []struct {
		name    string
		json    string
		want    []pt
		stats   [2]swpc.Stats
		unknown int
	}{
		{name: "empty array", json: "[]"},
		{
			name:  "two bands one minute",
			json:  "[" + rec("2024-05-10T00:00:00Z", 18, 1e-8, s) + "," + rec("2024-05-10T00:00:00Z", 18, 2e-6, l) + "]",
			want:  []pt{{18, flux.BandShort, "2024-05-10T00:00:00Z", 1e-8}, {18, flux.BandLong, "2024-05-10T00:00:00Z", 2e-6}},
			stats: [2]swpc.Stats{{Records: 1, Kept: 1}, {Records: 1, Kept: 1}},
		},
		{
			name: "zero, negative, one and above dropped",
			json: "[" + rec("2024-05-10T00:00:00Z", 18, 0, l) + "," + rec("2024-05-10T00:01:00Z", 18, -1e-9, l) + "," +
				rec("2024-05-10T00:02:00Z", 18, 1, l) + "," + rec("2024-05-10T00:03:00Z", 18, 0.999, l) + "]",
			want:  []pt{{18, flux.BandLong, "2024-05-10T00:03:00Z", 0.999}},
			stats: [2]swpc.Stats{{}, {Records: 4, Kept: 1, Missing: 1, OutOfRange: 2}},
		},
		{
			name: "unsorted and duplicates: sorted, first kept",
			json: "[" + rec("2024-05-10T00:02:00Z", 18, 3e-6, l) + "," + rec("2024-05-10T00:01:00Z", 18, 2e-6, l) + "," +
				rec("2024-05-10T00:02:00Z", 18, 9e-6, l) + "]",
			want:  []pt{{18, flux.BandLong, "2024-05-10T00:01:00Z", 2e-6}, {18, flux.BandLong, "2024-05-10T00:02:00Z", 3e-6}},
			stats: [2]swpc.Stats{{}, {Records: 3, Kept: 2, Duplicate: 1}},
		},
		{
			name: "satellite switch inside the file",
			json: "[" + rec("2025-04-07T15:58:00Z", 16, 1e-6, l) + "," + rec("2025-04-07T15:59:00Z", 19, 2e-6, l) + "," +
				rec("2025-04-07T15:59:00Z", 16, 3e-6, l) + "]",
			want: []pt{{16, flux.BandLong, "2025-04-07T15:58:00Z", 1e-6}, {16, flux.BandLong, "2025-04-07T15:59:00Z", 3e-6},
				{19, flux.BandLong, "2025-04-07T15:59:00Z", 2e-6}},
			stats: [2]swpc.Stats{{}, {Records: 3, Kept: 3}},
		},
		{
			name:    "unknown energy skipped",
			json:    "[" + rec("2024-05-10T00:00:00Z", 18, 1e-6, "0.2-0.9nm") + "]",
			unknown: 1,
		},
		{
			name:  "time zone offset and fraction converted to UTC",
			json:  "[" + rec("2024-05-10T02:00:00.5+02:00", 18, 1e-6, l) + "]",
			want:  []pt{{18, flux.BandLong, "2024-05-10T00:00:00.5Z", 1e-6}},
			stats: [2]swpc.Stats{{}, {Records: 1, Kept: 1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			feed, err := swpc.Parse(strings.NewReader(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			var got []pt
			for _, sat := range feed.Satellites() {
				for b, ser := range feed.Series[sat] {
					for i := range ser.Time {
						got = append(got, pt{sat, flux.Band(b), time.Unix(0, ser.Time[i]).UTC().Format(time.RFC3339Nano), ser.Flux[i]})
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				w := tc.want[i]
				if got[i].sat != w.sat || got[i].band != w.band || got[i].v != w.v || got[i].tag != time.Unix(0, mustTime(w.tag)).UTC().Format(time.RFC3339Nano) {
					t.Errorf("point %d = %v, want %v", i, got[i], w)
				}
			}
			if feed.Stats != tc.stats || feed.Unknown != tc.unknown {
				t.Errorf("stats %+v unknown %d, want %+v %d", feed.Stats, feed.Unknown, tc.stats, tc.unknown)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	good := rec("2024-05-10T00:00:00Z", 18, 1e-6, swpc.EnergyLong)
	cases := []struct {
		name, json, want string
		truncated        bool
	}{
		{"empty input", "", "array start", true},
		{"object", `{"a": 1}`, "not a JSON array", false},
		{"missing flux", "[" + good + `, {"time_tag": "2024-05-10T00:01:00Z", "satellite": 18, "energy": "0.1-0.8nm", "electron_contaminaton": false}]`, `record 1: field "flux" missing`, false},
		{"flux as string", "[" + strings.Replace(good, `"flux": 1e-06`, `"flux": "x"`, 1) + "]", "record 0", false},
		{"bad time", "[" + strings.Replace(good, "2024-05-10T00:00:00Z", "2024-05-10 00:00", 1) + "]", `record 0: field "time_tag"`, false},
		{"satellite out of range", "[" + strings.Replace(good, `"satellite": 18`, `"satellite": 99`, 1) + "]", `record 0: field "satellite" 99`, false},
		{"cut inside record", "[" + good + "," + good[:40], "record 1", true},
		{"cut after record", "[" + good, "after record 1", true},
		{"null record", "[null]", `record 0: field "time_tag" missing`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := swpc.Parse(strings.NewReader(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if errors.Is(err, swpc.ErrTruncated) != tc.truncated {
				t.Errorf("errors.Is(ErrTruncated) = %v, want %v (%v)", !tc.truncated, tc.truncated, err)
			}
		})
	}
	// A truncated feed still returns what it parsed.
	feed, err := swpc.Parse(strings.NewReader("[" + good + "," + good[:40]))
	if err == nil || feed.Stats[flux.BandLong].Kept != 1 {
		t.Errorf("truncated feed: %v, kept %d, want 1", err, feed.Stats[flux.BandLong].Kept)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("[" + rec("2024-05-10T00:00:00Z", 18, 1e-6, swpc.EnergyLong) + "]")
	f.Add("[" + rec("2024-05-10T00:00:00Z", 18, 0, swpc.EnergyShort) + "," + rec("2024-05-10T00:00:00Z", 16, 2, swpc.EnergyLong) + "]")
	if dir := swpcDir(); dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "primary_xrays-6-hour_2023-05-30T1812Z_g16_zero-flux.json")); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		feed, _ := swpc.Parse(strings.NewReader(in))
		for b := range 2 {
			kept := 0
			for _, s := range feed.Series {
				kept += s[b].Len()
				for i := 1; i < s[b].Len(); i++ {
					if s[b].Time[i] <= s[b].Time[i-1] {
						t.Fatalf("band %d not strictly ascending", b)
					}
				}
				for _, v := range s[b].Flux {
					if !(v > 0 && v < 1) {
						t.Fatalf("kept flux %v", v)
					}
				}
			}
			if kept != feed.Stats[b].Kept {
				t.Fatalf("Kept %d, series hold %d", feed.Stats[b].Kept, kept)
			}
		}
	})
}
