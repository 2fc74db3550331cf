package netcdf

import (
	"fmt"
	"strings"
	"unicode"
)

// This file parses the CDL text that ncdump prints, so tests can compare
// the reader with the netCDF C library value by value.

type cdlTok struct {
	kind byte // 'w' word, 's' string, 'p' punctuation
	text string
}

func cdlLex(src string) ([]cdlTok, error) {
	var out []cdlTok
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case unicode.IsSpace(rune(c)):
			i++
		case strings.IndexByte("=,;(){}:", c) >= 0:
			out = append(out, cdlTok{'p', string(c)})
			i++
		case c == '"':
			var b strings.Builder
			i++
			for i < len(src) && src[i] != '"' {
				if src[i] == '\\' && i+1 < len(src) {
					i++
					switch src[i] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					case '0':
						b.WriteByte(0)
					case 'b':
						b.WriteByte('\b')
					case 'f':
						b.WriteByte('\f')
					case 'v':
						b.WriteByte('\v')
					case 'a':
						b.WriteByte('\a')
					case 'x':
						var v int
						if i+2 < len(src) {
							fmt.Sscanf(src[i+1:i+3], "%02x", &v)
							i += 2
						}
						b.WriteByte(byte(v))
					default:
						b.WriteByte(src[i])
					}
					i++
					continue
				}
				b.WriteByte(src[i])
				i++
			}
			if i >= len(src) {
				return nil, fmt.Errorf("unterminated string")
			}
			i++
			out = append(out, cdlTok{'s', b.String()})
		default:
			j := i
			for j < len(src) && !unicode.IsSpace(rune(src[j])) && strings.IndexByte("=,;(){}:\"", src[j]) < 0 {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				j++
			}
			out = append(out, cdlTok{'w', strings.ReplaceAll(src[i:j], "\\", "")})
			i = j
		}
	}
	return out, nil
}

// cdlValue is an attribute or data value list: typ is the CDL type
// ("" when untyped), vals the raw tokens.
type cdlValue struct {
	typ  string
	vals []cdlTok
}

type cdlVar struct {
	typ   string
	dims  []string
	attrs map[string]cdlValue
	data  []cdlTok
}

type cdlDim struct {
	len   int64
	unlim bool
}

type cdlFile struct {
	dims   map[string]cdlDim // group-qualified
	vars   map[string]*cdlVar
	gattrs map[string]map[string]cdlValue // by group path
	order  []string
}

var cdlTypes = map[string]bool{"char": true, "byte": true, "short": true, "int": true, "long": true, "float": true, "real": true,
	"double": true, "ubyte": true, "ushort": true, "uint": true, "int64": true, "uint64": true, "string": true}

type cdlParser struct {
	t []cdlTok
	p int
	f *cdlFile
}

func (c *cdlParser) peek(k int) cdlTok {
	if c.p+k < len(c.t) {
		return c.t[c.p+k]
	}
	return cdlTok{}
}

func (c *cdlParser) next() cdlTok {
	t := c.peek(0)
	c.p++
	return t
}

func (c *cdlParser) expect(s string) error {
	if t := c.next(); t.text != s {
		return fmt.Errorf("CDL: expected %q, got %q at token %d", s, t.text, c.p)
	}
	return nil
}

func parseCDL(src string) (*cdlFile, error) {
	toks, err := cdlLex(src)
	if err != nil {
		return nil, err
	}
	c := &cdlParser{t: toks, f: &cdlFile{dims: map[string]cdlDim{}, vars: map[string]*cdlVar{}, gattrs: map[string]map[string]cdlValue{}}}
	if err := c.expect("netcdf"); err != nil {
		return nil, err
	}
	c.next()
	if err := c.expect("{"); err != nil {
		return nil, err
	}
	if err := c.group(""); err != nil {
		return nil, err
	}
	return c.f, nil
}

func qual(g, n string) string {
	if g == "" {
		return n
	}
	return g + "/" + n
}

func (c *cdlParser) values() ([]cdlTok, error) {
	var out []cdlTok
	for {
		t := c.next()
		if t.kind == 0 {
			return nil, fmt.Errorf("CDL: unexpected end in value list")
		}
		if t.text == ";" && t.kind == 'p' {
			return out, nil
		}
		if t.kind == 'p' && (t.text == "," || t.text == "{" || t.text == "}") {
			continue
		}
		out = append(out, t)
	}
}

func (c *cdlParser) group(g string) error {
	if c.f.gattrs[g] == nil {
		c.f.gattrs[g] = map[string]cdlValue{}
	}
	section := ""
	for {
		t := c.peek(0)
		if t.kind == 0 {
			return fmt.Errorf("CDL: unexpected end of group %q", g)
		}
		if t.kind == 'p' && t.text == "}" {
			c.next()
			return nil
		}
		if t.kind == 'w' && c.peek(1).text == ":" && (t.text == "dimensions" || t.text == "variables" || t.text == "data" || t.text == "types") {
			section = t.text
			c.p += 2
			continue
		}
		if t.kind == 'w' && t.text == "group" && c.peek(1).text == ":" {
			name := c.peek(2).text
			c.p += 3
			if err := c.expect("{"); err != nil {
				return err
			}
			if err := c.group(qual(g, name)); err != nil {
				return err
			}
			continue
		}
		switch section {
		case "dimensions":
			name := c.next().text
			if err := c.expect("="); err != nil {
				return err
			}
			v := c.next().text
			var d cdlDim
			if v == "UNLIMITED" {
				d.unlim = true
			} else if _, err := fmt.Sscan(v, &d.len); err != nil {
				return fmt.Errorf("CDL: dimension %s = %s", name, v)
			}
			if err := c.expect(";"); err != nil {
				return err
			}
			c.f.dims[qual(g, name)] = d
		case "variables":
			typ := ""
			if t.kind == 'w' && cdlTypes[t.text] && (c.peek(1).kind == 'w' || c.peek(1).text == ":") {
				typ = t.text
				c.next()
			}
			if c.peek(0).text == ":" {
				c.next()
				name := c.next().text
				if err := c.expect("="); err != nil {
					return err
				}
				vals, err := c.values()
				if err != nil {
					return err
				}
				c.f.gattrs[g][name] = cdlValue{typ, vals}
				continue
			}
			name := c.next().text
			switch c.peek(0).text {
			case "(", ";":
				v := &cdlVar{typ: typ, attrs: map[string]cdlValue{}}
				if c.next().text == "(" {
					for {
						d := c.next()
						if d.text == ")" {
							break
						}
						if d.text == "," {
							continue
						}
						if d.kind == 0 {
							return fmt.Errorf("CDL: unterminated dims")
						}
						v.dims = append(v.dims, d.text)
					}
					if err := c.expect(";"); err != nil {
						return err
					}
				}
				c.f.vars[qual(g, name)] = v
				c.f.order = append(c.f.order, qual(g, name))
			case ":":
				c.next()
				an := c.next().text
				if err := c.expect("="); err != nil {
					return err
				}
				vals, err := c.values()
				if err != nil {
					return err
				}
				v := c.f.vars[qual(g, name)]
				if v == nil {
					return fmt.Errorf("CDL: attribute of unknown variable %q", name)
				}
				v.attrs[an] = cdlValue{typ, vals}
			default:
				return fmt.Errorf("CDL: unexpected %q after %q", c.peek(0).text, name)
			}
		case "data":
			name := c.next().text
			if err := c.expect("="); err != nil {
				return err
			}
			vals, err := c.values()
			if err != nil {
				return err
			}
			v := c.f.vars[qual(g, name)]
			if v == nil {
				return fmt.Errorf("CDL: data of unknown variable %q", name)
			}
			v.data = vals
		default:
			return fmt.Errorf("CDL: %q outside a section", t.text)
		}
	}
}
