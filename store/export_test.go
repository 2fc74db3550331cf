package store

import (
	"context"

	"github.com/heliotime/heliotime/flux"
)

// Test hooks into the read path: a section read whole, and read as two halves at once.

var SplitSection = splitSection

func (db *DB) ReadSection(ctx context.Context, ch flux.Channel, s Section, minmax bool, emit func(Point) error) error {
	return db.readSection(ctx, ch, s, minmax, emit)
}

func (db *DB) ReadHalves(ctx context.Context, ch flux.Channel, first, second Section, minmax bool, emit func(Point) error) error {
	return db.readHalves(ctx, ch, first, second, minmax, emit)
}
