// Package netcdf reads netCDF files in pure Go: netCDF-4 (HDF5-based) and
// the netCDF-3 classic, 64-bit offset and CDF-5 formats.
//
// Open reads only metadata; variable data is read on demand through Var.
// The reader treats its input as untrusted: every declared size is checked
// against the file size before anything is allocated, cyclic or runaway
// structures are cut off, and checksums of HDF5 structures are verified.
package netcdf

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
)

// Kind is the on-disk format of a netCDF file.
type Kind int

// The netCDF formats.
const (
	KindClassic     Kind = iota + 1 // netCDF-3 classic (CDF-1)
	Kind64BitOffset                 // netCDF-3 64-bit offset (CDF-2)
	KindCDF5                        // netCDF-3 64-bit data (CDF-5)
	KindNetCDF4                     // netCDF-4 (HDF5)
)

// String returns the format name as ncdump -k prints it.
func (k Kind) String() string {
	switch k {
	case KindClassic:
		return "classic"
	case Kind64BitOffset:
		return "64-bit offset"
	case KindCDF5:
		return "cdf5"
	case KindNetCDF4:
		return "netCDF-4"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Type is the element type of a variable.
type Type int

// The element types. TypeCompound variables can be listed but not read.
const (
	TypeInt8 Type = iota + 1
	TypeUint8
	TypeInt16
	TypeUint16
	TypeInt32
	TypeUint32
	TypeInt64
	TypeUint64
	TypeFloat32
	TypeFloat64
	TypeChar
	TypeString
	TypeCompound
)

var typeNames = [...]string{"", "byte", "ubyte", "short", "ushort", "int", "uint", "int64", "uint64", "float", "double", "char", "string", "compound"}

// String returns the CDL name of the type.
func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// size is the element size in bytes of numeric and char types.
func (t Type) size() int {
	switch t {
	case TypeInt8, TypeUint8, TypeChar:
		return 1
	case TypeInt16, TypeUint16:
		return 2
	case TypeInt32, TypeUint32, TypeFloat32:
		return 4
	case TypeInt64, TypeUint64, TypeFloat64:
		return 8
	}
	return 0
}

// Dim is a netCDF dimension.
type Dim struct {
	Name      string
	Len       int64
	Unlimited bool
}

// Attr is a netCDF attribute. Value is a string for text and single
// strings, []string for string arrays, and otherwise a typed slice
// ([]int8 []uint8 []int16 []uint16 []int32 []uint32 []int64 []uint64
// []float32 []float64).
type Attr struct {
	Name  string
	Value any
}

// AttrFloat64 returns the first element of the numeric attribute name,
// converted to float64.
func AttrFloat64(a []Attr, name string) (float64, bool) {
	for _, at := range a {
		if at.Name != name {
			continue
		}
		f, err := toFloat64(at.Value)
		if err != nil || len(f) == 0 {
			return 0, false
		}
		return f[0], true
	}
	return 0, false
}

// AttrString returns the text attribute name (the first element of a
// string array).
func AttrString(a []Attr, name string) (string, bool) {
	for _, at := range a {
		if at.Name != name {
			continue
		}
		switch v := at.Value.(type) {
		case string:
			return v, true
		case []string:
			if len(v) > 0 {
				return v[0], true
			}
		}
		return "", false
	}
	return "", false
}

// File is an open netCDF file. Its methods are safe for concurrent use
// once Open has returned.
type File struct {
	src    source
	kind   Kind
	dims   []Dim
	attrs  []Attr
	vars   []*Var
	groups []group
	h5     *h5file
	cdf    *cdf3
	feat   *features
}

// group is a netCDF-4 group below the root.
type group struct {
	name  string
	attrs []Attr
}

// Open reads the file's metadata (not its data) from r, which holds size
// bytes. The format is detected from the signature.
func Open(r io.ReaderAt, size int64) (*File, error) {
	if r == nil || size < 4 {
		return nil, fmt.Errorf("file of %d bytes is too small for netCDF", size)
	}
	f := &File{src: source{r: r, size: size}, feat: newFeatures()}
	head := make([]byte, 8)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("CDF\x01")), bytes.HasPrefix(head, []byte("CDF\x02")), bytes.HasPrefix(head, []byte("CDF\x05")):
		if err := f.openCDF3(); err != nil {
			return nil, err
		}
	default:
		if err := f.openHDF5(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Kind returns the file format.
func (f *File) Kind() Kind { return f.kind }

// Dims returns the dimensions of the root group followed by those of
// subgroups, named "group/sub/name".
func (f *File) Dims() []Dim { return f.dims }

// Attrs returns the global (root group) attributes.
func (f *File) Attrs() []Attr { return f.attrs }

// Groups returns the paths ("group/sub") of the groups below the root, in
// file order.
func (f *File) Groups() []string {
	out := make([]string, len(f.groups))
	for i, g := range f.groups {
		out[i] = g.name
	}
	return out
}

// GroupAttrs returns the attributes of the group at path ("" is the root).
func (f *File) GroupAttrs(path string) []Attr {
	if path == "" {
		return f.attrs
	}
	for _, g := range f.groups {
		if g.name == path {
			return g.attrs
		}
	}
	return nil
}

// Vars returns every variable; variables in groups are named
// "group/sub/name".
func (f *File) Vars() []*Var { return f.vars }

// Var returns the variable with the given (group-qualified) name, or nil.
func (f *File) Var(name string) *Var {
	for _, v := range f.vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Var is a netCDF variable.
type Var struct {
	Name  string
	Type  Type
	Dims  []Dim
	Attrs []Attr

	f    *File
	h5   *dataset
	cdf  *cdf3Var
	strN int // fixed-length string size for TypeString read from HDF5 fixed strings
}

// Shape returns the length of each dimension.
func (v *Var) Shape() []int64 {
	s := make([]int64, len(v.Dims))
	for i, d := range v.Dims {
		s[i] = d.Len
	}
	return s
}

// Attr returns the value of the variable's attribute name.
func (v *Var) Attr(name string) (any, bool) {
	for _, a := range v.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return nil, false
}

// count returns the number of elements, or an error when the product
// overflows.
func shapeCount(shape []int64) (int64, error) {
	n := int64(1)
	for _, s := range shape {
		if s < 0 {
			return 0, fmt.Errorf("negative dimension length %d", s)
		}
		if s != 0 && n > math.MaxInt64/s {
			return 0, fmt.Errorf("shape %v overflows", shape)
		}
		n *= s
	}
	return n, nil
}

// maxRatio bounds how much larger than the file the decoded data of one
// read may be (a generous compression ratio).
const maxRatio = 1000

// maxOutputSlack is added to the output bound so tiny files with fill-only
// variables still work.
const maxOutputSlack = 1 << 20

// checkOutput rejects reads whose output would be absurd for the file size.
func (v *Var) checkOutput(n int64, esize int) error {
	if esize <= 0 {
		esize = 1
	}
	if n > (math.MaxInt64-maxOutputSlack)/int64(esize)/2 {
		return fmt.Errorf("variable %q: shape %v is too large", v.Name, v.Shape())
	}
	limit := v.f.src.size*maxRatio + maxOutputSlack
	if n*int64(esize) > limit {
		return fmt.Errorf("variable %q: shape %v needs %d bytes, more than %dx the file size", v.Name, v.Shape(), n*int64(esize), maxRatio)
	}
	return nil
}

// Read returns the whole variable as a typed slice in row-major order.
// Char variables come back as []string, one string per last-dimension row
// (trailing NULs removed), or as a string for rank 0 and 1.
func (v *Var) Read() (any, error) {
	n := int64(0)
	if len(v.Dims) > 0 {
		n = v.Dims[0].Len
	}
	if len(v.Dims) == 0 {
		return v.readRange(0, 1)
	}
	return v.readRange(0, n)
}

// ReadRecords returns count records starting at start along the first
// dimension, reading only the chunks or records needed.
func (v *Var) ReadRecords(start, count int64) (any, error) {
	if len(v.Dims) == 0 {
		return nil, fmt.Errorf("variable %q is a scalar and has no records", v.Name)
	}
	if start < 0 || count < 0 || start > v.Dims[0].Len || count > v.Dims[0].Len-start {
		return nil, fmt.Errorf("variable %q: records [%d, %d) outside [0, %d)", v.Name, start, start+count, v.Dims[0].Len)
	}
	return v.readRange(start, count)
}

func (v *Var) readRange(start, count int64) (any, error) {
	if v.Type == TypeCompound {
		return nil, fmt.Errorf("variable %q: unsupported compound data", v.Name)
	}
	var raw []byte
	var strs []string
	var big bool
	var err error
	switch {
	case v.h5 != nil:
		if d, ok, err := v.f.h5.readTyped(v, start, count); ok {
			return d, err
		}
		raw, strs, big, err = v.f.h5.readVar(v, start, count)
	case v.cdf != nil:
		raw, err = v.f.cdf.readVar(v, start, count)
		big = true
	default:
		return nil, fmt.Errorf("variable %q has no storage", v.Name)
	}
	if err != nil {
		return nil, err
	}
	if v.Type == TypeString {
		if strs == nil {
			strs = splitFixedStrings(raw, v.strN)
		}
		return strs, nil
	}
	if v.Type == TypeChar {
		return charStrings(raw, v.Dims), nil
	}
	return decodeSlice(raw, v.Type, big)
}

// charStrings turns char data into one string per last-dimension row.
func charStrings(raw []byte, dims []Dim) any {
	if len(dims) <= 1 {
		return trimNUL(raw)
	}
	w := int(dims[len(dims)-1].Len)
	if w == 0 {
		return make([]string, 0)
	}
	out := make([]string, 0, len(raw)/w)
	for i := 0; i+w <= len(raw); i += w {
		out = append(out, trimNUL(raw[i:i+w]))
	}
	return out
}

func splitFixedStrings(raw []byte, n int) []string {
	if n <= 0 {
		return nil
	}
	out := make([]string, 0, len(raw)/n)
	for i := 0; i+n <= len(raw); i += n {
		out = append(out, trimNUL(raw[i:i+n]))
	}
	return out
}

// trimNUL cuts a fixed-size text at its first NUL.
func trimNUL(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Float64s returns the whole numeric variable converted to float64.
func (v *Var) Float64s() ([]float64, error) {
	d, err := v.Read()
	if err != nil {
		return nil, err
	}
	out, err := toFloat64(d)
	if err != nil {
		return nil, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	return out, nil
}

// Float32s returns the whole numeric variable as float32; float32 data is
// returned without conversion.
func (v *Var) Float32s() ([]float32, error) {
	d, err := v.Read()
	if err != nil {
		return nil, err
	}
	if f, ok := d.([]float32); ok {
		return f, nil
	}
	f64, err := toFloat64(d)
	if err != nil {
		return nil, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	out := make([]float32, len(f64))
	for i, x := range f64 {
		out[i] = float32(x)
	}
	return out, nil
}

// Int64s returns the whole integer variable as int64.
func (v *Var) Int64s() ([]int64, error) {
	d, err := v.Read()
	if err != nil {
		return nil, err
	}
	out, err := toInt64(d)
	if err != nil {
		return nil, fmt.Errorf("variable %q: %w", v.Name, err)
	}
	return out, nil
}

func toFloat64(d any) ([]float64, error) {
	switch s := d.(type) {
	case []float64:
		return s, nil
	case []float32:
		return conv(s, func(x float32) float64 { return float64(x) }), nil
	case []int8:
		return conv(s, func(x int8) float64 { return float64(x) }), nil
	case []uint8:
		return conv(s, func(x uint8) float64 { return float64(x) }), nil
	case []int16:
		return conv(s, func(x int16) float64 { return float64(x) }), nil
	case []uint16:
		return conv(s, func(x uint16) float64 { return float64(x) }), nil
	case []int32:
		return conv(s, func(x int32) float64 { return float64(x) }), nil
	case []uint32:
		return conv(s, func(x uint32) float64 { return float64(x) }), nil
	case []int64:
		return conv(s, func(x int64) float64 { return float64(x) }), nil
	case []uint64:
		return conv(s, func(x uint64) float64 { return float64(x) }), nil
	}
	return nil, fmt.Errorf("%T is not numeric", d)
}

func toInt64(d any) ([]int64, error) {
	switch s := d.(type) {
	case []int64:
		return s, nil
	case []int8:
		return conv(s, func(x int8) int64 { return int64(x) }), nil
	case []uint8:
		return conv(s, func(x uint8) int64 { return int64(x) }), nil
	case []int16:
		return conv(s, func(x int16) int64 { return int64(x) }), nil
	case []uint16:
		return conv(s, func(x uint16) int64 { return int64(x) }), nil
	case []int32:
		return conv(s, func(x int32) int64 { return int64(x) }), nil
	case []uint32:
		return conv(s, func(x uint32) int64 { return int64(x) }), nil
	case []uint64:
		out := make([]int64, len(s))
		for i, x := range s {
			if x > math.MaxInt64 {
				return nil, fmt.Errorf("value %d overflows int64", x)
			}
			out[i] = int64(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is not an integer type", d)
}

func conv[S, D any](s []S, f func(S) D) []D {
	out := make([]D, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}

// features counts the file structures met while reading, so tests can
// check which code paths a file exercised.
type features struct {
	mu sync.Mutex
	n  map[string]int
}

func newFeatures() *features { return &features{n: map[string]int{}} }

// versioned names a structure version for features, "what v1" to "what
// v3" without formatting: it is counted for every attribute and dataspace.
func versioned(what string, v int) string {
	switch {
	case what == "attribute message" && v >= 1 && v <= 3:
		return [...]string{"attribute message v1", "attribute message v2", "attribute message v3"}[v-1]
	case what == "dataspace" && v >= 1 && v <= 2:
		return [...]string{"dataspace v1", "dataspace v2"}[v-1]
	}
	return fmt.Sprintf("%s v%d", what, v)
}

func (s *features) hit(name string) {
	if s != nil {
		s.mu.Lock()
		s.n[name]++
		s.mu.Unlock()
	}
}

// summary lists the structures seen, sorted.
func (s *features) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.n))
	for k := range s.n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%d", k, s.n[k])
	}
	return b.String()
}
