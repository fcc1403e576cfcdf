package gitstore

// SetBeforeCAS sets a function to run just before each compare-and-swap of
// main, and returns a function that removes it.
func SetBeforeCAS(f func()) (restore func()) {
	beforeCAS = f
	return func() { beforeCAS = nil }
}
