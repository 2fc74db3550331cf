// Package fitstest writes small FITS files byte by byte for tests: header cards,
// END, padding to 2880-byte blocks and big-endian data.
package fitstest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// HDU is one header-data unit to write: its cards (without END) and its data bytes.
type HDU struct {
	Cards []string
	Data  []byte
}

// Card formats one 80-character card. value may be a string (written quoted), a bool
// (T/F), an integer or a float; a nil value writes a commentary card with key and text.
func Card(key string, value any) string {
	var s string
	switch v := value.(type) {
	case nil:
		s = fmt.Sprintf("%-8s", key)
	case string:
		s = fmt.Sprintf("%-8s= '%-8s'", key, strings.ReplaceAll(v, "'", "''"))
	case bool:
		t := "F"
		if v {
			t = "T"
		}
		s = fmt.Sprintf("%-8s= %20s", key, t)
	case int:
		s = fmt.Sprintf("%-8s= %20d", key, v)
	case int64:
		s = fmt.Sprintf("%-8s= %20d", key, v)
	case float64:
		s = fmt.Sprintf("%-8s= %20.12G", key, v)
	default:
		s = fmt.Sprintf("%-8s= %20v", key, v)
	}
	return Raw(s)
}

// Comment formats a COMMENT card.
func Comment(text string) string { return Raw("COMMENT " + text) }

// Raw pads (or cuts) s to exactly 80 characters.
func Raw(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s + strings.Repeat(" ", 80-len(s))
}

// Build concatenates the HDUs: cards, END, blank padding to a block, data, zero padding.
func Build(hdus ...HDU) []byte {
	var b bytes.Buffer
	for _, h := range hdus {
		for _, c := range h.Cards {
			b.WriteString(Raw(c))
		}
		b.WriteString(Raw("END"))
		for b.Len()%2880 != 0 {
			b.WriteByte(' ')
		}
		b.Write(h.Data)
		for b.Len()%2880 != 0 {
			b.WriteByte(0)
		}
	}
	return b.Bytes()
}

// BE encodes values big-endian one after the other. Accepted: float32, float64, int16,
// int32, int64, uint8, and slices []float32, []float64.
func BE(values ...any) []byte {
	var b bytes.Buffer
	for _, v := range values {
		// binary.Write only fails on unsupported types, which is a bug in the test.
		if err := binary.Write(&b, binary.BigEndian, v); err != nil {
			panic(fmt.Sprintf("fitstest.BE: %T: %v", v, err))
		}
	}
	return b.Bytes()
}

// Primary returns the cards of a data-less primary HDU followed by extra cards.
func Primary(extra ...string) []string {
	return append([]string{
		Card("SIMPLE", true), Card("BITPIX", 8), Card("NAXIS", 0), Card("EXTEND", true),
	}, extra...)
}

// BinTable returns the mandatory cards of a BINTABLE with the given row size, rows and
// column count, followed by extra cards (TFORMn, TTYPEn, ...).
func BinTable(rowSize, rows, fields int, extra ...string) []string {
	return append([]string{
		Card("XTENSION", "BINTABLE"), Card("BITPIX", 8), Card("NAXIS", 2),
		Card("NAXIS1", rowSize), Card("NAXIS2", rows), Card("PCOUNT", 0), Card("GCOUNT", 1),
		Card("TFIELDS", fields),
	}, extra...)
}
