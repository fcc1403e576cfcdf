package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles opswiki once for tests that run it as a process.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func opswikiBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "opswiki-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "opswiki")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// process is opswiki running as a separate process, to be killed.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedWriter
}

func startProcess(tb testing.TB, data, addr string, flags ...string) *process {
	tb.Helper()
	cmd := exec.Command(opswikiBinary(tb), append([]string{"serve", "--data", data, "--addr", addr, "--poll", "50ms"}, flags...)...)
	logs := &lockedWriter{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &process{cmd: cmd, url: "http://" + addr, logs: logs}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			tb.Fatalf("opswiki did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCrashLosesNoAcknowledgedWrite kills the server with SIGKILL while
// clients save pages, restarts it, and checks that every save it answered
// 200 is in main and the repository is sound; three times over.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	var mu sync.Mutex
	acked := map[string]string{} // page name -> content the server acknowledged
	pushes := 0
	for round := range 3 {
		p := startProcess(t, data, addr)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 10 * time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("crash/r%d-w%d-%d", round, w, i)
					content := fmt.Sprintf("# %s\n\nwritten in round %d by worker %d\n", name, round, w)
					body, _ := json.Marshal(map[string]string{"content": content})
					req, _ := http.NewRequest("PUT", p.url+"/-/api/pages/"+name, bytes.NewReader(body))
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						mu.Lock()
						acked[name] = content
						mu.Unlock()
					}
					// Leave main still long enough now and then for a
					// fetch-commit-push to land.
					time.Sleep(time.Duration(150+w*50) * time.Millisecond)
				}
			}()
		}
		// A pusher too: a clone that commits one new page at a time and
		// pushes it; a push git reports as done is acknowledged.
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := filepath.Join(t.TempDir(), "clone")
			if out, err := exec.Command("git", "clone", "-q", p.url+"/wiki.git", work).CombinedOutput(); err != nil {
				t.Logf("clone: %v %s", err, out)
				return
			}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("crash/push-r%d-%d", round, i)
				content := fmt.Sprintf("# %s\n\npushed in round %d\n", name, round)
				gitq := func(args ...string) error {
					cmd := exec.Command("git", args...)
					cmd.Dir = work
					cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Pusher", "GIT_AUTHOR_EMAIL=p@example.com", "GIT_COMMITTER_NAME=Pusher", "GIT_COMMITTER_EMAIL=p@example.com")
					out, err := cmd.CombinedOutput()
					if err != nil && os.Getenv("OPSWIKI_DEBUG_CRASH") != "" {
						t.Logf("git %v: %v %s", args, err, out)
					}
					return err
				}
				if gitq("fetch", "-q", "origin") != nil || gitq("reset", "-q", "--hard", "origin/main") != nil {
					return
				}
				if err := os.MkdirAll(filepath.Join(work, "crash"), 0o755); err != nil {
					return
				}
				os.WriteFile(filepath.Join(work, name+".md"), []byte(content), 0o644)
				if gitq("add", "-A") != nil || gitq("commit", "-q", "-m", name) != nil {
					return
				}
				// Rebase onto saves that landed meanwhile and push again, as
				// a person would after "fetch first".
				for try := 0; try < 20; try++ {
					if gitq("push", "-q", "origin", "HEAD:main") == nil {
						mu.Lock()
						acked[name] = content
						pushes++
						mu.Unlock()
						break
					}
					if gitq("pull", "-q", "--rebase", "origin", "main") != nil {
						return
					}
				}
			}
		}()
		time.Sleep(time.Duration(600+300*round) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		close(stop)
		wg.Wait()
	}
	if len(acked) < 10 {
		t.Fatalf("only %d saves were acknowledged; the test did not exercise anything", len(acked))
	}
	p := startProcess(t, data, addr)
	defer func() { p.cmd.Process.Kill(); p.cmd.Wait() }()
	repo := filepath.Join(data, "wiki.git")
	if out, err := exec.Command("git", "-C", repo, "fsck", "--strict").CombinedOutput(); err != nil {
		t.Fatalf("git fsck after crashes: %v\n%s", err, out)
	}
	missing := 0
	for name, content := range acked {
		out, err := exec.Command("git", "-C", repo, "show", "main:"+name+".md").CombinedOutput()
		if err != nil || string(out) != content {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged save of %s is not in main: %v %s", name, err, out)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged saves lost", missing, len(acked))
	}
	// And the restarted server still takes writes.
	body, _ := json.Marshal(map[string]string{"content": "# after\n"})
	req, _ := http.NewRequest("PUT", p.url+"/-/api/pages/crash/after", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("save after recovery: %v %v\n%s", err, resp, p.logs.String())
	}
	t.Logf("%d acknowledged writes (%d of them pushes) across 3 kills, all in main", len(acked), pushes)
	if strings.Contains(p.logs.String(), "panic") {
		t.Errorf("the server panicked:\n%s", p.logs.String())
	}
}

// freeAddr finds a free loopback port for a server run as a process.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	s := MustServe(tb, "")
	addr := s.Addr()
	s.Stop(tb)
	return addr
}
