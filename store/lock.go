package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heliotime/heliotime/flux"
)

// lockClass is the first key of heliotime's advisory locks ("HELI"); the second is the source.
const lockClass = 0x48454c49

// ErrLocked reports that another process holds a source's import lock.
var ErrLocked = errors.New("another import of this source is running")

// SourceLock is a held import lock of one source.
type SourceLock struct {
	release func()
}

// Release gives the lock back. It is safe to call more than once.
func (l *SourceLock) Release() {
	if l.release != nil {
		l.release()
		l.release = nil
	}
}

// LockSource takes the PostgreSQL advisory lock that keeps two importers of one source
// apart. With wait it blocks until the lock is free or ctx ends; without, it returns
// ErrLocked at once when another session holds it. The lock lives on a connection taken
// from the pool until Release.
func (db *DB) LockSource(ctx context.Context, src flux.Source, wait bool) (*SourceLock, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s import: %w", src, err)
	}
	if wait {
		// Poll rather than block in pg_advisory_lock, so that ctx cancellation is prompt
		// and no statement timeout cuts the wait short.
		for {
			var ok bool
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockClass, int32(src)).Scan(&ok); err != nil {
				conn.Release()
				return nil, fmt.Errorf("lock %s import: %w", src, err)
			}
			if ok {
				break
			}
			select {
			case <-ctx.Done():
				conn.Release()
				return nil, fmt.Errorf("lock %s import: %w", src, ctx.Err())
			case <-time.After(500 * time.Millisecond):
			}
		}
	} else {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockClass, int32(src)).Scan(&ok); err != nil {
			conn.Release()
			return nil, fmt.Errorf("lock %s import: %w", src, err)
		}
		if !ok {
			conn.Release()
			return nil, fmt.Errorf("%s: %w", src, ErrLocked)
		}
	}
	return &SourceLock{release: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, int32(src)); err != nil {
			// The session may be broken; dropping the connection frees the lock too.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}}, nil
}

// ImportRunning reports whether some session holds the import lock of src right now.
func (db *DB) ImportRunning(ctx context.Context, src flux.Source) (bool, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
		int64(lockClass), int64(src)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check %s import lock: %w", src, err)
	}
	return n > 0, nil
}
