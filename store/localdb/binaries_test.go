package localdb

import "testing"

func TestParseVersion(t *testing.T) {
	tests := []struct{ out, version, major string }{
		{"pg_ctl (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n", "15.8", "15"},
		{"pg_ctl (PostgreSQL) 16.4\n", "16.4", "16"},
		{"pg_ctl (PostgreSQL) 9.6.24\n", "9.6.24", "9.6"},
		{"pg_ctl (PostgreSQL) 17devel\n", "17devel", "17"},
		{"pg_ctl (PostgreSQL) 16beta1\n", "16beta1", "16"},
		{"garbage", "", ""},
	}
	for _, tt := range tests {
		v, m := parseVersion(tt.out)
		if v != tt.version || m != tt.major {
			t.Errorf("parseVersion(%q) = %q, %q; want %q, %q", tt.out, v, m, tt.version, tt.major)
		}
	}
}
