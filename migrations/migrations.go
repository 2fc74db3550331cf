// Package migrations holds heliotime's versioned PostgreSQL schema as SQL files,
// embedded in the binary and applied by golang-migrate (see package store).
package migrations

import "embed"

// Files holds the *.up.sql and *.down.sql migrations, named NNNN_title.{up,down}.sql.
//
//go:embed *.sql
var Files embed.FS
