package fits

import (
	"fmt"
	"math"
)

// Image is the data array of a primary HDU or IMAGE extension.
type Image struct {
	// BitPix is BITPIX: 8, 16, 32, 64 (integers) or -32, -64 (IEEE floats).
	BitPix int
	// Axes is NAXIS1..NAXISn; NAXIS1 varies fastest.
	Axes []int64
	// Scale and Zero are BSCALE and BZERO (1 and 0 when absent).
	Scale, Zero float64

	hdu *HDU
}

// Image describes the data array of a primary or IMAGE HDU. An HDU with NAXIS = 0 gives
// an image with no axes and no values.
func (h *HDU) Image() (*Image, error) {
	if h.Kind != KindPrimary && h.Kind != KindImage {
		return nil, fmt.Errorf("HDU %d (%s) is a %s, not an image: %w", h.Index, h.Name(), h.Kind, ErrFormat)
	}
	im := &Image{BitPix: int(h.bitpix), Axes: h.Axes(), Scale: 1, hdu: h}
	if v, ok := h.Header.Float("BSCALE"); ok {
		im.Scale = v
	}
	if v, ok := h.Header.Float("BZERO"); ok {
		im.Zero = v
	}
	return im, nil
}

// Len returns the number of values (the product of the axes, 0 without axes).
func (im *Image) Len() int64 {
	if len(im.Axes) == 0 {
		return 0
	}
	return im.hdu.dataSize / int64(abs(int64(im.BitPix))/8)
}

// Float64s returns every value in file order (NAXIS1 fastest) with BSCALE and BZERO
// applied.
func (im *Image) Float64s() ([]float64, error) {
	n := im.Len()
	if n == 0 {
		return nil, nil
	}
	b, err := im.hdu.readData(0, im.hdu.dataSize)
	if err != nil {
		return nil, err
	}
	var t byte
	switch im.BitPix {
	case 8:
		t = 'B'
	case 16:
		t = 'I'
	case 32:
		t = 'J'
	case 64:
		t = 'K'
	case -32:
		t = 'E'
	case -64:
		t = 'D'
	default:
		return nil, fmt.Errorf("image BITPIX %d: %w", im.BitPix, ErrFormat)
	}
	out := make([]float64, n)
	decode(out, b, t)
	if im.Scale != 1 || im.Zero != 0 {
		for i := range out {
			out[i] = out[i]*im.Scale + im.Zero
		}
	}
	return out, nil
}

// Row returns the i-th row of a two-dimensional image (NAXIS1 values), from vals as
// returned by Float64s.
func (im *Image) Row(vals []float64, i int64) ([]float64, error) {
	if len(im.Axes) != 2 {
		return nil, fmt.Errorf("image has %d axes, not 2: %w", len(im.Axes), ErrFormat)
	}
	w := im.Axes[0]
	if i < 0 || i >= im.Axes[1] || w > math.MaxInt64/(i+1) || (i+1)*w > int64(len(vals)) {
		return nil, fmt.Errorf("image row %d outside %d rows of %d: %w", i, im.Axes[1], w, ErrFormat)
	}
	return vals[i*w : (i+1)*w], nil
}
