package gitstore

// SetBeforeCAS sets a function to run just before each compare-and-swap of
// main, and returns a function that removes it.
func SetBeforeCAS(f func()) (restore func()) {
	beforeCAS = f
	return func() { beforeCAS = nil }
}

// SetOnHistoryRebuild sets a function to run each time a History index is
// rebuilt from the root rather than extended, and returns a function that
// removes it.
func SetOnHistoryRebuild(f func()) (restore func()) {
	onHistoryRebuild = f
	return func() { onHistoryRebuild = nil }
}

// SetOnGroup sets a function told the size of each group of commits
// written at once, and returns a function that removes it.
func SetOnGroup(f func(n int)) (restore func()) {
	onGroup = f
	return func() { onGroup = nil }
}
