package store

// NewMigratorFS exposes newMigratorFS to the external tests (migrations other than the
// embedded ones).
var NewMigratorFS = newMigratorFS
