//go:build !race

package markdown_test

// raceEnabled: the race detector changes what allocates (sync.Pool keeps
// nothing), so allocation figures mean nothing under it.
const raceEnabled = false
