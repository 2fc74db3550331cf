package fits

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Table is a BINTABLE extension: fixed-size rows of typed columns.
type Table struct {
	// Rows is NAXIS2.
	Rows int64
	// RowSize is NAXIS1, the bytes per row.
	RowSize int64
	// Columns in TFIELDS order.
	Columns []*Column

	hdu *HDU
}

// Column is one field of a binary table.
type Column struct {
	// Name is TTYPEn (blanks trimmed).
	Name string
	// Unit is TUNITn.
	Unit string
	// Format is TFORMn as written.
	Format string
	// Type is the data type letter of TFORMn: L X B I J K A E D C M P Q.
	Type byte
	// Repeat is the repeat count of TFORMn (elements per row).
	Repeat int64
	// Dims is TDIMn parsed ("(2,42177)" gives [2 42177]), nil when absent or unreadable.
	Dims []int64
	// Scale and Zero are TSCALn and TZEROn (1 and 0 when absent).
	Scale, Zero float64
	// Offset is the byte offset of the column in a row.
	Offset int64

	table *Table
}

// elemSize returns the bytes of one element of a type letter; 0 for unknown letters.
func elemSize(t byte) int64 {
	switch t {
	case 'L', 'B', 'A':
		return 1
	case 'I':
		return 2
	case 'J', 'E':
		return 4
	case 'K', 'D', 'C', 'P':
		return 8
	case 'M', 'Q':
		return 16
	}
	return 0
}

// Table parses the column descriptions of a BINTABLE HDU. It checks that the columns fit
// in a row and that the table fits in the HDU's data.
func (h *HDU) Table() (*Table, error) {
	if h.Kind != KindBinTable {
		return nil, fmt.Errorf("HDU %d (%s) is a %s, not a BINTABLE: %w", h.Index, h.Name(), h.Kind, ErrFormat)
	}
	if len(h.axes) != 2 || h.bitpix != 8 {
		return nil, fmt.Errorf("HDU %d (%s): BINTABLE needs NAXIS = 2 and BITPIX = 8: %w", h.Index, h.Name(), ErrFormat)
	}
	t := &Table{RowSize: h.axes[0], Rows: h.axes[1], hdu: h}
	nf, err := h.Header.intKey("TFIELDS", 0, maxAxes)
	if err != nil {
		return nil, fmt.Errorf("HDU %d (%s): %w: %w", h.Index, h.Name(), err, ErrFormat)
	}
	var off int64
	for i := int64(1); i <= nf; i++ {
		c, err := h.column(i)
		if err != nil {
			return nil, fmt.Errorf("HDU %d (%s) column %d: %w", h.Index, h.Name(), i, err)
		}
		c.Offset, c.table = off, t
		width := c.width()
		if width < 0 || width > t.RowSize-off {
			return nil, fmt.Errorf("HDU %d (%s) column %d (%s): %s needs %d bytes, only %d left of the %d-byte row: %w",
				h.Index, h.Name(), i, c.Name, c.Format, width, t.RowSize-off, t.RowSize, ErrFormat)
		}
		off += width
		t.Columns = append(t.Columns, c)
	}
	return t, nil
}

func (h *HDU) column(i int64) (*Column, error) {
	hd := &h.Header
	key := func(k string) string { return k + strconv.FormatInt(i, 10) }
	form, ok := hd.String(key("TFORM"))
	if !ok {
		return nil, fmt.Errorf("TFORM%d missing: %w", i, ErrFormat)
	}
	c := &Column{Format: strings.TrimSpace(form), Scale: 1}
	j := 0
	for j < len(c.Format) && c.Format[j] >= '0' && c.Format[j] <= '9' {
		j++
	}
	c.Repeat = 1
	if j > 0 {
		r, err := strconv.ParseInt(c.Format[:j], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("TFORM%d = %q: repeat count: %w", i, c.Format, ErrFormat)
		}
		c.Repeat = r
	}
	if j >= len(c.Format) || elemSize(c.Format[j]) == 0 {
		return nil, fmt.Errorf("TFORM%d = %q: unknown data type: %w", i, c.Format, ErrFormat)
	}
	c.Type = c.Format[j]
	if s, ok := hd.String(key("TTYPE")); ok {
		c.Name = strings.TrimSpace(s)
	}
	if s, ok := hd.String(key("TUNIT")); ok {
		c.Unit = strings.TrimSpace(s)
	}
	if s, ok := hd.String(key("TDIM")); ok {
		c.Dims = parseDims(s)
	}
	if v, ok := hd.Float(key("TSCAL")); ok {
		c.Scale = v
	}
	if v, ok := hd.Float(key("TZERO")); ok {
		c.Zero = v
	}
	return c, nil
}

// width returns the bytes the column takes in a row, or -1 on overflow.
func (c *Column) width() int64 {
	if c.Type == 'X' {
		return (c.Repeat + 7) / 8
	}
	size := elemSize(c.Type)
	if c.Repeat > math.MaxInt64/size {
		return -1
	}
	return c.Repeat * size
}

func parseDims(s string) []int64 {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return nil
	}
	var dims []int64
	for _, p := range strings.Split(s[1:len(s)-1], ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n < 0 {
			return nil
		}
		dims = append(dims, n)
	}
	return dims
}

// Column returns the column named name (case-insensitive), or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// raw returns the column's bytes of every row, concatenated.
func (c *Column) raw() ([]byte, error) {
	t := c.table
	w := c.width()
	if t.Rows == 0 || w == 0 {
		return nil, nil
	}
	if t.Rows > math.MaxInt64/t.RowSize || t.Rows*t.RowSize > t.hdu.dataSize {
		return nil, fmt.Errorf("column %s: %d rows of %d bytes exceed the HDU data: %w", c.Name, t.Rows, t.RowSize, ErrFormat)
	}
	if t.Rows == 1 || w == t.RowSize {
		return t.hdu.readData(c.Offset, t.Rows*w)
	}
	all, err := t.hdu.readData(0, t.Rows*t.RowSize)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, t.Rows*w)
	for r := int64(0); r < t.Rows; r++ {
		start := r*t.RowSize + c.Offset
		out = append(out, all[start:start+w]...)
	}
	return out, nil
}

// Len returns the number of elements over all rows (Rows × Repeat).
func (c *Column) Len() int64 { return c.table.Rows * c.Repeat }

// Float64s returns every element of every row in row order, converted to float64 with
// TSCALn and TZEROn applied. Numeric types B, I, J, K, E and D are accepted.
func (c *Column) Float64s() ([]float64, error) {
	if !c.numeric() {
		return nil, fmt.Errorf("column %s: type %c is not numeric: %w", c.Name, c.Type, ErrFormat)
	}
	b, err := c.raw()
	if err != nil {
		return nil, err
	}
	n := int(c.Len())
	out := make([]float64, n)
	decode(out, b, c.Type)
	if c.Scale != 1 || c.Zero != 0 {
		for i := range out {
			out[i] = out[i]*c.Scale + c.Zero
		}
	}
	return out, nil
}

// Float32s is Float64s narrowed to float32; for an E column without scaling the values
// are copied exactly, without a float64 round trip.
func (c *Column) Float32s() ([]float32, error) {
	if c.Type == 'E' && c.Scale == 1 && c.Zero == 0 {
		b, err := c.raw()
		if err != nil {
			return nil, err
		}
		out := make([]float32, c.Len())
		for i := range out {
			out[i] = math.Float32frombits(binary.BigEndian.Uint32(b[4*i:]))
		}
		return out, nil
	}
	v, err := c.Float64s()
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, nil
}

// String returns an A column's text of one row, trailing blanks and NULs removed.
func (c *Column) String(row int64) (string, error) {
	if c.Type != 'A' {
		return "", fmt.Errorf("column %s: type %c is not text: %w", c.Name, c.Type, ErrFormat)
	}
	t := c.table
	if row < 0 || row >= t.Rows {
		return "", fmt.Errorf("column %s: row %d outside [0, %d): %w", c.Name, row, t.Rows, ErrFormat)
	}
	if row > (math.MaxInt64-c.Offset)/max(t.RowSize, 1) {
		return "", fmt.Errorf("column %s: row %d offset overflows: %w", c.Name, row, ErrFormat)
	}
	b, err := t.hdu.readData(row*t.RowSize+c.Offset, c.Repeat)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), " \x00"), nil
}

func (c *Column) numeric() bool {
	switch c.Type {
	case 'B', 'I', 'J', 'K', 'E', 'D':
		return true
	}
	return false
}

// decode converts big-endian elements of type t into out (len(out) elements).
func decode(out []float64, b []byte, t byte) {
	switch t {
	case 'B':
		for i := range out {
			out[i] = float64(b[i])
		}
	case 'I':
		for i := range out {
			out[i] = float64(int16(binary.BigEndian.Uint16(b[2*i:])))
		}
	case 'J':
		for i := range out {
			out[i] = float64(int32(binary.BigEndian.Uint32(b[4*i:])))
		}
	case 'K':
		for i := range out {
			out[i] = float64(int64(binary.BigEndian.Uint64(b[8*i:])))
		}
	case 'E':
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(b[4*i:])))
		}
	case 'D':
		for i := range out {
			out[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
	}
}
