package ingest

import (
	"context"

	"github.com/heliotime/heliotime/flux"
	"github.com/heliotime/heliotime/store"
)

// DefaultPreparer prepares a batch with flux.Prepare: every raw channel is cleaned with
// 9 h of border context and the satellites are combined with 6 h of border context, as
// the original server does; every prepared channel becomes one write.
func DefaultPreparer(ctx context.Context, raw map[flux.Channel]flux.Series, t flux.Range, st store.StoredSource) ([]store.ChannelWrite, error) {
	prep, err := flux.Prepare(ctx, raw, t, st)
	if err != nil {
		return nil, err
	}
	out := make([]store.ChannelWrite, 0, len(prep))
	for c, p := range prep {
		out = append(out, store.ChannelWrite{Channel: c, Series: p.Series, Replace: p.Replace})
	}
	return out, nil
}
