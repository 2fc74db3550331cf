package ingest

import (
	"context"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
)

// Preparer turns one batch's raw channels, all covering t, into the channel writes of
// the batch: the raw channels, their clean versions and the combined channels, each with
// the range it replaces. st reads the stored rows around the batch.
type Preparer func(ctx context.Context, raw map[flux.Channel]flux.Series, t flux.Range, st store.StoredSource) ([]store.ChannelWrite, error)
