package githttp

import "time"

// SetSendStall sets how long a pack waits for a client that stopped
// reading it, and returns a function that restores the default.
func SetSendStall(d time.Duration) (restore func()) {
	old := sendStall.Swap(int64(d))
	return func() { sendStall.Store(old) }
}
