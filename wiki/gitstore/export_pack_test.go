package gitstore

import (
	"context"
	"io"
)

// ReceivePackLimits is ReceivePack with the limits on one unpacked object
// and on everything unpacked given, so tests reach them with small packs.
func (s *Store) ReceivePackLimits(ctx context.Context, r io.Reader, maxBytes, object, total int64) (*Incoming, error) {
	return s.receivePack(ctx, r, maxBytes, packLimits{object: object, total: total})
}
