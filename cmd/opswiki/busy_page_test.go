package main_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestBusyPageSaves has thirty people save one page through the API at the
// same moment, each from the same version and each changing a line of their
// own, then thirty more all changing the same line. Saves of one page queue,
// so the first thirty all land (200, merged) and the second thirty get 200
// once and 409 otherwise: never 503, and nothing is lost.
func TestBusyPageSaves(t *testing.T) {
	s := MustServe(t, "")
	const writers = 30
	var lines []string
	for i := range writers {
		lines = append(lines, fmt.Sprintf("- step %d: look at the dashboard", i))
	}
	text := "# Busy page\n\n" + strings.Join(lines, "\n\n") + "\n"
	if code, m := s.Put(t, "runbooks/busy", text, "", "start"); code != 200 {
		t.Fatalf("create: %d %v", code, m)
	}
	base := s.Page(t, "runbooks/busy").Blob

	codes := make([]int, writers)
	bodies := make([]map[string]any, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			yours := strings.Replace(text, fmt.Sprintf("step %d: look", i), fmt.Sprintf("step %d: LOOKED (writer %d)", i, i), 1)
			codes[i], bodies[i] = s.Put(t, "runbooks/busy", yours, base, fmt.Sprintf("writer %d", i))
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != 200 {
			t.Errorf("writer %d: %d %v", i, code, bodies[i])
		}
	}
	got := s.Page(t, "runbooks/busy")
	for i := range writers {
		if !strings.Contains(got.Content, fmt.Sprintf("step %d: LOOKED (writer %d)", i, i)) {
			t.Errorf("writer %d's change is lost", i)
		}
	}

	for i := range writers {
		wg.Go(func() {
			yours := strings.Replace(got.Content, "# Busy page", fmt.Sprintf("# Busy page, renamed by %d", i), 1)
			codes[i], bodies[i] = s.Put(t, "runbooks/busy", yours, got.Blob, "")
		})
	}
	wg.Wait()
	won := 0
	for i, code := range codes {
		switch code {
		case 200:
			won++
		case 409:
			if !strings.Contains(str(bodies[i]["yours"]), fmt.Sprintf("renamed by %d", i)) {
				t.Errorf("writer %d's 409 does not carry their text: %v", i, bodies[i])
			}
		default:
			t.Errorf("writer %d: %d %v, want 200 or 409", i, code, bodies[i])
		}
	}
	if won != 1 {
		t.Errorf("%d writers changed the title, want exactly one", won)
	}
	s.Fsck(t)
}
