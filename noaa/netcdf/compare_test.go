package netcdf

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// moduleRoot walks up from the package directory to go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// sharedDir returns the directory named by env, or ../shared/<rel> from
// the module root, skipping the test when it is absent.
func sharedDir(t testing.TB, env, rel string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "..", "shared", rel)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("%s not available (set %s): skipping", dir, env)
	}
	return dir
}

// sampleFiles lists every .nc file under the samples directory.
func sampleFiles(t testing.TB) []string {
	t.Helper()
	dir := sharedDir(t, "HELIOTIME_NOAA_SAMPLES", "noaa")
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".nc") {
			out = append(out, p)
		}
		return nil
	})
	if len(out) == 0 {
		t.Skipf("no .nc samples under %s", dir)
	}
	return out
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed: skipping", name)
	}
}

func openPath(t testing.TB, p string) (*File, error) {
	t.Helper()
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Open(fh, st.Size())
}

// ncdumpCDL runs ncdump with exact float precision and parses its output.
func ncdumpCDL(p string) (*cdlFile, error) {
	out, err := exec.Command("ncdump", "-p", "9,17", p).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ncdump %s: %v: %s", p, err, strings.TrimSpace(string(out)))
	}
	return parseCDL(string(out))
}

// compareWithNcdump checks every dimension, variable, attribute and value
// of f against ncdump's CDL output of path.
func compareWithNcdump(t *testing.T, path string, f *File) {
	t.Helper()
	cdl, err := ncdumpCDL(path)
	if err != nil {
		t.Fatal(err)
	}
	compareCDL(t, cdl, f)
}

func compareCDL(t *testing.T, cdl *cdlFile, f *File) {
	t.Helper()
	// Dimensions.
	got := map[string]Dim{}
	for _, d := range f.Dims() {
		got[d.Name] = d
	}
	for name, d := range cdl.dims {
		g, ok := got[name]
		if !ok {
			t.Errorf("dimension %q missing", name)
			continue
		}
		if g.Unlimited != d.unlim || (!d.unlim && g.Len != d.len) {
			t.Errorf("dimension %q = %+v, ncdump says len %d unlimited %v", name, g, d.len, d.unlim)
		}
	}
	if len(got) != len(cdl.dims) {
		t.Errorf("%d dimensions, ncdump lists %d", len(got), len(cdl.dims))
	}
	// Group attributes.
	for g, attrs := range cdl.gattrs {
		compareAttrs(t, "group "+g, attrs, f.GroupAttrs(g))
	}
	// Variables.
	if len(f.Vars()) != len(cdl.vars) {
		t.Errorf("%d variables, ncdump lists %d", len(f.Vars()), len(cdl.vars))
	}
	compared := 0
	defer func() { t.Logf("compared %d data values of %d variables with ncdump", compared, len(cdl.vars)) }()
	for _, name := range cdl.order {
		cv := cdl.vars[name]
		v := f.Var(name)
		if v == nil {
			t.Errorf("variable %q missing", name)
			continue
		}
		typ := cv.typ
		if typ == "long" {
			typ = "int"
		} else if typ == "real" {
			typ = "float"
		}
		if v.Type.String() != typ {
			t.Errorf("variable %q type %s, ncdump %s", name, v.Type, typ)
		}
		var dn []string
		for _, d := range v.Dims {
			dn = append(dn, d.Name)
		}
		if strings.Join(dn, ",") != strings.Join(cv.dims, ",") {
			t.Errorf("variable %q dims %v, ncdump %v", name, dn, cv.dims)
		}
		compareAttrs(t, "variable "+name, cv.attrs, v.Attrs)
		if cv.data == nil {
			continue
		}
		data, err := v.Read()
		if err != nil {
			t.Errorf("read %q: %v", name, err)
			continue
		}
		if err := compareData(v, data, cv.data); err != nil {
			t.Errorf("variable %q data: %v", name, err)
		}
		compared += len(cv.data)
	}
}

func compareAttrs(t *testing.T, where string, want map[string]cdlValue, got []Attr) {
	t.Helper()
	if len(got) != len(want) {
		var names []string
		for _, a := range got {
			names = append(names, a.Name)
		}
		t.Errorf("%s: %d attributes %v, ncdump lists %d", where, len(got), names, len(want))
	}
	for name, cv := range want {
		var a *Attr
		for i := range got {
			if got[i].Name == name {
				a = &got[i]
			}
		}
		if a == nil {
			t.Errorf("%s: attribute %q missing", where, name)
			continue
		}
		if err := compareAttr(a.Value, cv); err != nil {
			t.Errorf("%s: attribute %q: %v", where, name, err)
		}
	}
}

// numSuffix splits a CDL number into its text and type suffix and returns
// the CDL type it denotes.
func numSuffix(s string) (string, string) {
	num, suf := s, ""
	for _, special := range []string{"-Infinity", "Infinity", "NaN", "+Infinity"} {
		if strings.HasPrefix(s, special) {
			num, suf = special, s[len(special):]
			goto typed
		}
	}
	for i := len(s); i > 0; i-- {
		c := s[i-1]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			num, suf = s[:i], s[i:]
			break
		}
	}
typed:
	switch strings.ToUpper(suf) {
	case "B":
		return num, "byte"
	case "UB":
		return num, "ubyte"
	case "S":
		return num, "short"
	case "US":
		return num, "ushort"
	case "U":
		return num, "uint"
	case "LL":
		return num, "int64"
	case "ULL":
		return num, "uint64"
	case "F":
		return num, "float"
	case "L":
		return num, "int"
	case "D":
		return num, "double"
	}
	if strings.ContainsAny(num, ".eE") || strings.Contains(num, "NaN") || strings.Contains(num, "Infinity") {
		return num, "double"
	}
	return num, "int"
}

func goTypeName(v any) string {
	switch v.(type) {
	case []int8:
		return "byte"
	case []uint8:
		return "ubyte"
	case []int16:
		return "short"
	case []uint16:
		return "ushort"
	case []int32:
		return "int"
	case []uint32:
		return "uint"
	case []int64:
		return "int64"
	case []uint64:
		return "uint64"
	case []float32:
		return "float"
	case []float64:
		return "double"
	}
	return fmt.Sprintf("%T", v)
}

func compareAttr(got any, cv cdlValue) error {
	if len(cv.vals) == 0 {
		return fmt.Errorf("no values in CDL")
	}
	if cv.vals[0].kind == 's' {
		var parts []string
		for _, t := range cv.vals {
			parts = append(parts, t.text)
		}
		if cv.typ == "string" {
			if len(parts) == 1 {
				if got != parts[0] {
					return fmt.Errorf("got %#v, want %q", got, parts[0])
				}
				return nil
			}
			if !reflect.DeepEqual(got, parts) {
				return fmt.Errorf("got %#v, want %q", got, parts)
			}
			return nil
		}
		want := strings.Join(parts, "")
		if got != want {
			return fmt.Errorf("got %#v, want %q", got, want)
		}
		return nil
	}
	_, typ := numSuffix(cv.vals[0].text)
	if cv.typ != "" {
		typ = cv.typ
	}
	if goTypeName(got) != typ {
		return fmt.Errorf("type %s, ncdump %s", goTypeName(got), typ)
	}
	var toks []string
	for _, t := range cv.vals {
		n, _ := numSuffix(t.text)
		toks = append(toks, n)
	}
	return compareNumbers(got, toks, nil)
}

// compareNumbers compares a typed slice with CDL number texts; "_" stands
// for fill.
func compareNumbers(got any, toks []string, fill any) error {
	rv := reflect.ValueOf(got)
	if rv.Kind() != reflect.Slice {
		return fmt.Errorf("got %T, want a slice", got)
	}
	if rv.Len() != len(toks) {
		return fmt.Errorf("%d values, ncdump has %d", rv.Len(), len(toks))
	}
	fv := reflect.ValueOf(fill)
	bad := 0
	var first error
	for i, s := range toks {
		ev := rv.Index(i)
		var ok bool
		if s == "_" {
			if fill == nil || fv.Len() == 0 {
				return fmt.Errorf("element %d is fill but no fill value is known", i)
			}
			fe := fv.Index(0)
			switch ev.Kind() {
			case reflect.Float32, reflect.Float64:
				ok = ev.Float() == fe.Float() || math.IsNaN(ev.Float()) && math.IsNaN(fe.Float())
			default:
				ok = ev.Interface() == fe.Interface()
			}
		} else {
			s = strings.TrimSuffix(strings.TrimSuffix(s, "f"), "F")
			switch ev.Kind() {
			case reflect.Float32:
				w, err := strconv.ParseFloat(normFloat(s), 32)
				ok = err == nil && (float32(w) == float32(ev.Float()) || math.IsNaN(w) && math.IsNaN(ev.Float()))
			case reflect.Float64:
				w, err := strconv.ParseFloat(normFloat(s), 64)
				ok = err == nil && (w == ev.Float() || math.IsNaN(w) && math.IsNaN(ev.Float()))
			case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				w, err := strconv.ParseInt(s, 10, 64)
				ok = err == nil && w == ev.Int()
			default:
				w, err := strconv.ParseUint(s, 10, 64)
				ok = err == nil && w == ev.Uint()
			}
		}
		if !ok {
			bad++
			if first == nil {
				first = fmt.Errorf("element %d = %v, ncdump %s", i, ev.Interface(), toks[i])
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d of %d differ; first: %w", bad, len(toks), first)
	}
	return nil
}

func normFloat(s string) string {
	switch s {
	case "Infinity", "+Infinity":
		return "+Inf"
	case "-Infinity":
		return "-Inf"
	}
	return s
}

func compareData(v *Var, got any, toks []cdlTok) error {
	switch v.Type {
	case TypeChar:
		var parts []string
		for _, t := range toks {
			parts = append(parts, t.text)
		}
		if s, ok := got.(string); ok {
			if want := strings.Join(parts, ""); s != want {
				return fmt.Errorf("got %q, want %q", s, want)
			}
			return nil
		}
		if !reflect.DeepEqual(got, parts) && !(len(parts) == 0 && reflect.ValueOf(got).Len() == 0) {
			return fmt.Errorf("got %q, want %q", got, parts)
		}
		return nil
	case TypeString:
		var parts []string
		for _, t := range toks {
			if t.kind == 'w' && t.text == "_" {
				parts = append(parts, "")
				continue
			}
			parts = append(parts, t.text)
		}
		if !reflect.DeepEqual(got, parts) {
			return fmt.Errorf("got %q, want %q", got, parts)
		}
		return nil
	}
	var nums []string
	for _, t := range toks {
		nums = append(nums, t.text)
	}
	return compareNumbers(got, nums, fillValueOf(v))
}

// fillValueOf is the value ncdump prints as "_" for v.
func fillValueOf(v *Var) any {
	if a, ok := v.Attr("_FillValue"); ok {
		return a
	}
	d := defaultFill(v.Type)
	return d
}
