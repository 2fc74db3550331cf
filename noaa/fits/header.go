package fits

import (
	"fmt"
	"strconv"
	"strings"
)

// Card is one header card: a keyword, its value (as written, strings unquoted) and the
// comment after the slash. Commentary cards (COMMENT, HISTORY, blank keyword) carry their
// text in Comment and have HasValue false.
type Card struct {
	Key      string
	Value    string
	Comment  string
	HasValue bool
	// Quoted reports that the value was a quoted string.
	Quoted bool
}

// Header holds the cards of one HDU in file order, without the END card.
type Header struct {
	Cards []Card
}

// Card returns the first card with the given keyword (case-insensitive).
func (h *Header) Card(key string) (Card, bool) {
	key = strings.ToUpper(strings.TrimSpace(key))
	for _, c := range h.Cards {
		if c.Key == key && c.HasValue {
			return c, true
		}
	}
	return Card{}, false
}

// String returns a string value with trailing spaces removed (the standard makes them
// insignificant). Non-string values are returned as written.
func (h *Header) String(key string) (string, bool) {
	c, ok := h.Card(key)
	if !ok {
		return "", false
	}
	return c.Value, true
}

// Int returns an integer value. Reals with an integral value are accepted too.
func (h *Header) Int(key string) (int64, bool) {
	c, ok := h.Card(key)
	if !ok || c.Quoted {
		return 0, false
	}
	if n, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
		return n, true
	}
	f, ok := parseReal(c.Value)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// Float returns a numeric value; Fortran exponents such as 1.0D+03 are accepted.
func (h *Header) Float(key string) (float64, bool) {
	c, ok := h.Card(key)
	if !ok || c.Quoted {
		return 0, false
	}
	return parseReal(c.Value)
}

// Bool returns a logical value (T or F).
func (h *Header) Bool(key string) (bool, bool) {
	c, ok := h.Card(key)
	if !ok || c.Quoted {
		return false, false
	}
	switch c.Value {
	case "T":
		return true, true
	case "F":
		return false, true
	}
	return false, false
}

// Comments returns the text of every COMMENT card in order.
func (h *Header) Comments() []string {
	var out []string
	for _, c := range h.Cards {
		if c.Key == "COMMENT" && !c.HasValue {
			out = append(out, c.Comment)
		}
	}
	return out
}

func parseReal(s string) (float64, bool) {
	s = strings.Map(func(r rune) rune {
		if r == 'D' || r == 'd' {
			return 'E'
		}
		return r
	}, s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// parseCard splits one 80-byte card. It never fails: a card it cannot read as a value
// card is kept as commentary, since such cards carry nothing the reader needs.
func parseCard(raw []byte) Card {
	key := strings.TrimRight(string(raw[:8]), " ")
	key = strings.ToUpper(key)
	rest := string(raw[8:])
	switch {
	case key == "COMMENT" || key == "HISTORY" || key == "":
		return Card{Key: key, Comment: strings.TrimRight(rest, " ")}
	case key == "CONTINUE":
		c := Card{Key: key}
		c.Value, c.Comment, c.Quoted = parseValue(rest)
		c.HasValue = c.Quoted
		return c
	case !strings.HasPrefix(rest, "= "):
		return Card{Key: key, Comment: strings.TrimRight(rest, " ")}
	}
	c := Card{Key: key, HasValue: true}
	c.Value, c.Comment, c.Quoted = parseValue(rest[2:])
	return c
}

// parseValue reads the value field: a quoted string (” escapes a quote) or a bare
// token, then an optional "/ comment".
func parseValue(s string) (value, comment string, quoted bool) {
	t := strings.TrimLeft(s, " ")
	if strings.HasPrefix(t, "'") {
		var b strings.Builder
		i := 1
		for i < len(t) {
			if t[i] == '\'' {
				if i+1 < len(t) && t[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				i++
				break
			}
			b.WriteByte(t[i])
			i++
		}
		value = strings.TrimRight(b.String(), " ")
		comment = afterSlash(t[i:])
		return value, comment, true
	}
	if j := strings.IndexByte(t, '/'); j >= 0 {
		return strings.TrimSpace(t[:j]), strings.TrimSpace(t[j+1:]), false
	}
	return strings.TrimSpace(t), "", false
}

func afterSlash(s string) string {
	if j := strings.IndexByte(s, '/'); j >= 0 {
		return strings.TrimSpace(s[j+1:])
	}
	return ""
}

// joinContinue folds long-string CONTINUE cards into the value of the card they extend
// (a string value ending in '&' continues on the next CONTINUE card).
func joinContinue(cards []Card) []Card {
	out := cards[:0]
	for _, c := range cards {
		if c.Key == "CONTINUE" {
			if n := len(out); n > 0 && out[n-1].Quoted && strings.HasSuffix(out[n-1].Value, "&") && c.Quoted {
				prev := &out[n-1]
				prev.Value = strings.TrimSuffix(prev.Value, "&") + c.Value
				continue
			}
			c.HasValue = false
		}
		out = append(out, c)
	}
	return out
}

// intKey returns a mandatory integer keyword checked against [lo, hi].
func (h *Header) intKey(key string, lo, hi int64) (int64, error) {
	n, ok := h.Int(key)
	if !ok {
		return 0, fmt.Errorf("keyword %s missing or not an integer", key)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("keyword %s = %d out of range [%d, %d]", key, n, lo, hi)
	}
	return n, nil
}
