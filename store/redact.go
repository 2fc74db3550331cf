package store

import (
	"net/url"
	"regexp"
)

// Patterns of a password in URLs that net/url cannot parse and in keyword/value strings.
var (
	userinfoPassword = regexp.MustCompile(`(://[^:/@]*):[^@/]*@`)
	keywordPassword  = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
)

// Redact returns the database URL with its password masked, for messages and logs.
// URLs that do not parse, and keyword/value connection strings, are masked too.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		s := userinfoPassword.ReplaceAllString(raw, "${1}:xxxxx@")
		return keywordPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
