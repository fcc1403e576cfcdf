package wiki_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/opswiki/opswiki/wiki"
)

func TestCheckWritePath(t *testing.T) {
	for _, tt := range []struct {
		path string
		ok   bool
	}{
		{"runbooks/disk-full.md", true},
		{"README.md", true},
		{".github/workflows/ci.yml", true},
		{".gitignore", true},
		{".gitattributes", true},
		{"docs/.gitkeep", true},
		{"git~2/x.md", true},
		{"x.git/y.md", true},
		{"metrics/latency.md", true},
		{"healthz-runbook.md", true},
		{"readyz.png", true},
		{"services/wiki.git.md", true},
		{"a-/x.md", true},
		{"-x/y.md", true},
		{"über/straße.md", true},

		{".git/config", false},
		{".GIT/x", false},
		{"h/GIT~1/z", false},
		{"git~1/x.md", false},
		{".GIT~1/u", false},
		{".git~12. /u", false},
		{".git~/u", true},
		{".git\u200c/x", false},
		{".gi\u200dt/y", false},
		{"a/\u200e.git/b", false},
		{".g\u202ait/x", false},
		{".git\u206f/x", false},
		{".git\ufeff/x", false},
		{".git./x", false},
		{".git . ./x", false},
		{".git::$INDEX_ALLOCATION/x", false},
		{".Git:stream/x", false},
		{"a\\b.md", false},
		{"a\\.git\\x", false},
		{"tab\there.md", false},
		{"a/../b.md", false},
		{"./a.md", false},
		{"a//b.md", false},
		{"", false},

		{"-/x", false},
		{"-.md", false},
		{"-/README.md", false},
		{"wiki.git/x", false},
		{"Wiki.GIT/x.md", false},
		{"wiki.git.md", false},
		{"healthz", false},
		{"healthz.md", false},
		{"HEALTHZ.md", false},
		{"Metrics/README.md", false},
		{"readyz/index.md", false},
		{"metrics", false},
	} {
		t.Run(tt.path, func(t *testing.T) {
			err := wiki.CheckWritePath(wiki.Path(tt.path))
			switch {
			case tt.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case !tt.ok && err == nil:
				t.Fatal("accepted")
			case !tt.ok && wiki.ErrorCode(err) != wiki.EINVALID:
				t.Fatalf("code %s: %v", wiki.ErrorCode(err), err)
			case !tt.ok && tt.path != "" && !strings.HasPrefix(wiki.ErrorMessage(err), tt.path) && !strings.Contains(wiki.ErrorMessage(err), tt.path):
				t.Fatalf("the message does not name the path: %s", wiki.ErrorMessage(err))
			}
		})
	}
}

// TestCheckWriteFile checks the content rules of git's own files.
func TestCheckWriteFile(t *testing.T) {
	for _, tt := range []struct {
		name, path, content string
		ok                  bool
	}{
		{"Page", "a.md", "url = --upload-pack=x", true},
		{"GoodModules", ".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git\n", true},
		{"RelativeURL", ".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = ../lib.git\n", true},
		{"Comments", ".gitmodules", "# modules\n[submodule \"a b\"] ; x\n\tpath = \"a b\" # c\n\turl = git://example.com/a\n\tactive\n", true},
		{"UploadPack", ".gitmodules", "[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n", false},
		{"QuotedOption", ".gitmodules", "[submodule \"x\"]\n\turl = \"-oProxyCommand=sh\"\n", false},
		{"PathOption", ".gitmodules", "[submodule \"x\"]\n\tpath = -x\n\turl = ./x\n", false},
		{"NameDotDot", ".gitmodules", "[submodule \"../../hooks\"]\n\tpath = x\n\turl = ./x\n", false},
		{"NameDotDotBackslash", ".gitmodules", "[submodule \"a\\\\..\\\\..\\\\x\"]\n\tpath = x\n", false},
		{"NameOption", ".gitmodules", "[submodule \"-x\"]\n\tpath = x\n", false},
		{"NewlineURL", ".gitmodules", "[submodule \"x\"]\n\turl = ./%0ahost=evil\n", false},
		{"ClimbPastHost", ".gitmodules", "[submodule \"x\"]\n\turl = ../../:evil\n", false},
		{"NoHost", ".gitmodules", "[submodule \"x\"]\n\turl = https:///x.git\n", false},
		{"UpdateCommand", ".gitmodules", "[submodule \"x\"]\n\tupdate = !rm -rf .\n", false},
		{"Unparsable", ".gitmodules", "[submodule \"x\n", false},
		{"NTFSAlias", "GITMOD~1", "[submodule \"x\"]\n\turl = -x\n", false},
		{"HFSAlias", ".gitmod\u200cules", "[submodule \"x\"]\n\turl = -x\n", false},
		{"OldStyleSection", ".gitmodules", "[submodule.-x]\n\tpath = x\n", false},
		{"Continued", ".gitmodules", "[submodule \"x\"]\n\turl = \\\n-x\n", false},
		{"LongAttributes", ".gitattributes", strings.Repeat("a", 3000) + " text\n", false},
		{"Attributes", ".gitattributes", "*.md text eol=lf\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := wiki.CheckWriteFile(wiki.Path(tt.path), []byte(tt.content))
			if tt.ok != (err == nil) {
				t.Fatalf("ok=%v, got %v", tt.ok, err)
			}
			if err != nil && wiki.ErrorCode(err) != wiki.EINVALID {
				t.Fatalf("code %s", wiki.ErrorCode(err))
			}
		})
	}
}

// TestEntryNamesAgainstGitFsck builds, for each name, a tree holding it
// and asks the real git fsck --strict about all of them at once: whatever
// git reports, the rule refuses; the rule refuses more only where it says
// so on purpose. The names are git's own test cases and random ones built
// from the characters that matter.
func TestEntryNamesAgainstGitFsck(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		cmd.Stdin = strings.NewReader(stdin)
		out, _ := cmd.CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	git("", "init", "-q", "--bare", ".")
	raw, _ := hex.DecodeString(git("", "hash-object", "-w", "-t", "blob", "--stdin"))
	names := []string{
		"a.md", ".github", ".gitx", "git~2", "x.git", "...", ".g", "gi", ".gitignore", ".mailmap", ".gitattributes",
		".git", ".GIT", ".Git", "git~1", "GIT~1", "Git~1.", ".git.", ".git ", ".git. . .", ".git::$INDEX_ALLOCATION",
		".git:x", ".git\u200c", ".g\u200cit", "\u200c.git", ".gi\u200dt", ".git\ufeff", "\u206a.git", ".gi\u202et",
		".git\u200e", ".g\u200fit", ".git\u206b", "x\\.git", "x\\git~1", "a\\b", ".git\\x", ".gitmodules", ".GITMODULES",
		"gitmod~1", "GITMOD~4", "gitmod~5", "GI7EBA~1", "gi7eba~9", ".gitmodules.", ".gitmodules::$DATA", ".gitmodu\u200cles",
		"x\\.gitmodules", "GITATT~1", ".gitignore.", "maba30~1", ".git\xff", ".gi\xfft", ".GIT~1", ".git~2", ".", "..",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{".", ".", "g", "G", "i", "I", "t", "T", "~", "1", "4", " ", ":", "\u200c", "\ufeff", "\u206e", "\\",
		"m", "o", "d", "u", "l", "e", "s", "a", "7", "b", "x"}
	templates := []string{".git", "git~1", ".gitmodules", "gitmod~1", "gi7eba~1", ".gitattributes", ".mailmap"}
	for i := range 800 {
		var b strings.Builder
		if i%2 == 0 {
			for range 1 + rng.IntN(12) {
				b.WriteString(parts[rng.IntN(len(parts))])
			}
		} else {
			// A name git knows, with case flips and a few characters
			// inserted: near misses and aliases.
			for _, c := range templates[rng.IntN(len(templates))] {
				if rng.IntN(6) == 0 {
					b.WriteString(parts[rng.IntN(len(parts))])
				}
				if rng.IntN(2) == 0 {
					c = unicode.ToUpper(c)
				}
				b.WriteRune(c)
			}
			if rng.IntN(3) == 0 {
				b.WriteString(parts[rng.IntN(len(parts))])
			}
		}
		names = append(names, b.String())
	}
	type probe struct {
		name string
		mode uint32
	}
	var paths strings.Builder
	var probes []probe
	trees := t.TempDir()
	for i, name := range names {
		for _, mode := range []uint32{wiki.ModeFile, wiki.ModeSymlink} {
			var tree bytes.Buffer
			fmt.Fprintf(&tree, "%o %s\x00", mode, name)
			tree.Write(raw)
			f := filepath.Join(trees, fmt.Sprintf("tree-%d-%o", i, mode))
			if err := os.WriteFile(f, tree.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			paths.WriteString(f + "\n")
			probes = append(probes, probe{name, mode})
		}
	}
	ids := strings.Split(git(paths.String(), "hash-object", "-w", "-t", "tree", "--literally", "--stdin-paths"), "\n")
	if len(ids) != len(probes) {
		t.Fatalf("%d trees written for %d names", len(ids), len(probes))
	}
	refused := map[string]bool{}
	for _, l := range strings.Split(git("", "fsck", "--strict", "--no-dangling", "--no-progress"), "\n") {
		if id, ok := strings.CutPrefix(l, "error in tree "); ok && len(id) > 40 {
			refused[id[:40]] = true
		}
	}
	if len(refused) < 60 {
		t.Fatalf("git fsck refused only %d of %d trees: the probe is broken", len(refused), len(probes))
	}
	for i, p := range probes {
		err := wiki.CheckEntryName(p.name, p.mode)
		msg := wiki.ErrorMessage(err)
		switch {
		case refused[ids[i]] && err == nil:
			t.Errorf("%q (%o): git fsck refuses it, the rule accepts it", p.name, p.mode)
		case !refused[ids[i]] && err != nil && !strings.Contains(msg, "short name of .git") &&
			!(strings.Contains(msg, "may not be a symbolic link") && !strings.Contains(msg, ".gitmodules")):
			t.Errorf("%q (%o): the rule refuses it, git fsck does not: %s", p.name, p.mode, msg)
		}
	}
}

// TestGitmodulesAgainstGitFsck asks git fsck --strict about each
// .gitmodules: what git refuses, the rule refuses.
func TestGitmodulesAgainstGitFsck(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		cmd.Stdin = strings.NewReader(stdin)
		out, _ := cmd.CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	git("", "init", "-q", "--bare", ".")
	for _, content := range []string{
		"[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git\n",
		"[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n",
		"[submodule \"x\"]\n\turl = \"-oProxyCommand=sh\"\n",
		"[submodule \"x\"]\n\tpath = -x\n",
		"[submodule \"../../hooks\"]\n\tpath = x\n",
		"[submodule \"x\"]\n\turl = ./%0ahost=evil\n",
		"[submodule \"x\"]\n\turl = ../../:evil\n",
		"[submodule \"x\"]\n\turl = https:///x.git\n",
		"[submodule \"x\"]\n\tupdate = !rm -rf .\n",
		"[submodule \"x\"]\n\turl = \\\n-x\n",
		"[submodule.x]\n\turl = -x\n",
		"[submodule \"x\"]\n\turl = git://example.com/%0a\n",
		"[submodule \"a\\\\..\"]\n\tpath = x\n",
	} {
		blob := git(content, "hash-object", "-w", "--stdin")
		raw, _ := hex.DecodeString(blob)
		tree := git("100644 .gitmodules\x00"+string(raw), "hash-object", "-w", "-t", "tree", "--literally", "--stdin")
		out := git("", "fsck", "--strict", "--no-dangling", "--no-progress")
		fsckRefuses := strings.Contains(out, "gitmodules")
		ruleRefuses := wiki.CheckSpecialFile(".gitmodules", []byte(content)) != nil
		if fsckRefuses && !ruleRefuses {
			t.Errorf("%q: git fsck refuses it, the rule accepts it:\n%s", content, out)
		}
		if !fsckRefuses && ruleRefuses {
			t.Errorf("%q: the rule refuses it, git fsck does not", content)
		}
		for _, id := range []string{tree, blob} {
			os.Remove(filepath.Join(dir, "objects", id[:2], id[2:]))
		}
	}
}
