package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// benchLine is one result line of go test -bench: the benchmark's name
// without the -GOMAXPROCS suffix, its iterations and its metrics by unit
// (ns/op, p50-ms, ...).
type benchLine struct {
	Name    string
	N       int
	Metrics map[string]float64
}

// parseBench reads the result lines of go test -bench output run with
// -cpu procs; other lines are ignored.
func parseBench(out []byte, procs int) []benchLine {
	var lines []benchLine
	suffix := ""
	if procs > 1 {
		suffix = "-" + strconv.Itoa(procs)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		l := benchLine{Name: strings.TrimSuffix(f[0], suffix), N: n, Metrics: map[string]float64{}}
		ok := true
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			l.Metrics[f[i+1]] = v
		}
		if ok {
			lines = append(lines, l)
		}
	}
	return lines
}

// find returns the line of the named benchmark.
func find(lines []benchLine, name string) (benchLine, bool) {
	for _, l := range lines {
		if l.Name == name {
			return l, true
		}
	}
	return benchLine{}, false
}

// goBench is one run of go test -bench in the module.
type goBench struct {
	Pkg, Pattern, Benchtime string
}

// Command is how a person reruns it.
func (g goBench) Command() string {
	return fmt.Sprintf("go test %s -run '^$' -bench '%s' -benchtime %s", g.Pkg, g.Pattern, g.Benchtime)
}

// run runs the benchmark in the module at root on every core and returns
// its result lines; a benchmark that fails or reports nothing is an error
// with the end of its output.
func (b *bench) goTest(ctx context.Context, g goBench) ([]benchLine, error) {
	procs := runtime.NumCPU()
	args := []string{"test", g.Pkg, "-run", "^$", "-bench", g.Pattern, "-benchtime", g.Benchtime,
		"-cpu", strconv.Itoa(procs), "-timeout", "30m"}
	b.logf("%s", g.Command())
	out, err := b.output(ctx, b.root, "go", args...)
	lines := parseBench(out, procs)
	if err != nil || len(lines) == 0 {
		if err == nil {
			err = fmt.Errorf("no benchmark matched")
		}
		return nil, fmt.Errorf("%s: %w\n%s", g.Command(), err, tail(out, 20))
	}
	return lines, nil
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
