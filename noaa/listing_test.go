package noaa

import (
	"reflect"
	"testing"
)

func TestParseListing(t *testing.T) {
	const dir = "https://data.ngdc.noaa.gov/platforms/goes/goes16/l2/data/xrsf-l2-flx1s_science/2024/05/"
	tests := []struct {
		name string
		html string
		want []string
	}{
		{"apache", `<table><tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>
<tr><td><a href="/platforms/goes/goes16/l2/data/xrsf-l2-flx1s_science/2024/">Parent Directory</a></td></tr>
<tr><td><a href="sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc">sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc</a></td></tr>
<tr><td><a href="sci_xrsf-l2-flx1s_g16_d20240511_v2-2-1.nc">sci_xrsf-l2-flx1s_g16_d2024051..&gt;</a></td></tr></table>`,
			[]string{"sci_xrsf-l2-flx1s_g16_d20240510_v2-2-0.nc", "sci_xrsf-l2-flx1s_g16_d20240511_v2-2-1.nc"}},
		{"nginx with absolute paths and single quotes", `<html><body><pre><a href="../">../</a>
<A HREF='/platforms/goes/goes16/l2/data/xrsf-l2-flx1s_science/2024/05/a.nc'>a.nc</A>   10-May-2024 00:00  3M
<a href="https://data.ngdc.noaa.gov/platforms/goes/goes16/l2/data/xrsf-l2-flx1s_science/2024/05/b.nc">b.nc</a>
<a href=c%20d.nc>c d.nc</a>
<a class="x" href="sub/">sub/</a></pre></body></html>`,
			[]string{"a.nc", "b.nc", "c d.nc", "sub/"}},
		{"foreign links dropped", `<a href="https://example.org/x.nc">x</a><a href="/other/y.nc">y</a><a href="#top">top</a>
<a href="sub/deeper/z.nc">z</a><a href="e.nc?download=1">e</a><a href="f.nc">f</a><a href="f.nc">f again</a>`,
			[]string{"f.nc"}},
		{"entities", `<a href="g&amp;h.nc">g&amp;h.nc</a>`, []string{"g&h.nc"}},
		{"empty", `<html></html>`, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseListing(dir, []byte(tc.html))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMirrorMap(t *testing.T) {
	dir := t.TempDir()
	local, err := ParseMirror(dir)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := ParseMirror("http://127.0.0.1:8080/mirror/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		m    *Mirror
		in   string
		want string
	}{
		{local, "https://data.ngdc.noaa.gov/a/b/c.nc", dir + "/data.ngdc.noaa.gov/a/b/c.nc"},
		{local, "https://services.swpc.noaa.gov/json/goes/primary/xrays-6-hour.json?x=1", dir + "/services.swpc.noaa.gov/json/goes/primary/xrays-6-hour.json"},
		{local, "https://h/../../etc/passwd", dir + "/h/etc/passwd"},
		{remote, "https://data.ngdc.noaa.gov/a/b/", "http://127.0.0.1:8080/mirror/data.ngdc.noaa.gov/a/b/"},
		{remote, "https://umbra.nascom.nasa.gov/goes/fits/1990/go0619900101.fits", "http://127.0.0.1:8080/mirror/umbra.nascom.nasa.gov/goes/fits/1990/go0619900101.fits"},
	}
	for _, tc := range tests {
		got, err := tc.m.Map(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Map(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseMirror(dir + "/missing"); err == nil {
		t.Error("a missing mirror directory was accepted")
	}
}
