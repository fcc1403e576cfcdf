package main

// Run is the command line, for tests: arguments without the program name.
var Run = run

// ErrCheckFailed is what a failing check returns.
var ErrCheckFailed = errCheckFailed
