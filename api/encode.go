package api

import (
	"strconv"
	"time"

	"github.com/heliotime/heliotime/store"
)

// pointEncoder appends the elements of /flux's JSON array: [epoch_ms,flux] or, with
// minmax, [epoch_ms,min,max], comma-separated. Formatting the numbers is most of what a
// 2000-point answer costs in Go; the timestamps of an answer share their leading digits,
// which are formatted once (appendMillis).
type pointEncoder struct {
	minmax bool
	n      int    // elements written
	hi     int64  // ms / 1e10 of the last timestamp formatted
	prefix []byte // hi's digits
}

// append appends pt as the next element of the array.
func (e *pointEncoder) append(b []byte, pt store.Point) []byte {
	if e.n > 0 {
		b = append(b, ',')
	}
	e.n++
	b = append(b, '[')
	b = e.appendMillis(b, epochMillis(pt.Time))
	b = append(b, ',')
	if e.minmax {
		b = appendFlux(b, pt.Min)
		b = append(b, ',')
	}
	b = appendFlux(b, pt.Max)
	return append(b, ']')
}

// digitPairs holds "00" to "99".
const digitPairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendMillis appends ms in decimal, as strconv.AppendInt does: the digits above the
// last ten (those of 1970-04-26 onwards change every 115 days) from the previous call
// when they are the same, the last ten from digitPairs.
func (e *pointEncoder) appendMillis(b []byte, ms int64) []byte {
	const split = 10_000_000_000
	if ms < split {
		return strconv.AppendInt(b, ms, 10)
	}
	hi, lo := ms/split, ms%split
	if hi != e.hi || e.prefix == nil {
		e.hi, e.prefix = hi, strconv.AppendInt(e.prefix[:0], hi, 10)
	}
	b = append(b, e.prefix...)
	p1, p2, p3, p4, p5 := 2*(lo/100_000_000), 2*(lo/1_000_000%100), 2*(lo/10_000%100), 2*(lo/100%100), 2*(lo%100)
	return append(b, digitPairs[p1], digitPairs[p1+1], digitPairs[p2], digitPairs[p2+1], digitPairs[p3], digitPairs[p3+1],
		digitPairs[p4], digitPairs[p4+1], digitPairs[p5], digitPairs[p5+1])
}

// epochMillis returns t in Unix milliseconds rounded from microseconds, halves away from
// zero, as the original's SQL (epoch seconds × 1000 cast to bigint) does.
func epochMillis(t time.Time) int64 {
	us := t.UnixMicro()
	if us < 0 {
		return -((-us + 500) / 1000)
	}
	return (us + 500) / 1000
}

// appendFlux appends a flux value as the shortest JSON number that reads back as the same
// float32; a non-finite value (never written by the import) as null.
func appendFlux(b []byte, v float32) []byte {
	f := float64(v)
	if f != f || f > 3.5e38 || f < -3.5e38 {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 32)
}
