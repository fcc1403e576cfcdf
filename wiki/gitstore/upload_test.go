package gitstore_test

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"

	"github.com/opswiki/opswiki/wiki/gitstore"
)

// workRepo is a repository with a worktree where a test builds history
// with the git command; its .git folder is opened as the store.
type workRepo struct {
	tb  testing.TB
	dir string
}

func newWorkRepo(tb testing.TB) *workRepo {
	tb.Helper()
	w := &workRepo{tb: tb, dir: filepath.Join(tb.TempDir(), "work")}
	Git(tb, "", "init", "-q", "-b", "main", w.dir)
	// No automatic gc: the tests choose how objects are stored.
	w.git("config", "gc.auto", "0")
	return w
}

func (w *workRepo) git(args ...string) string {
	w.tb.Helper()
	return Git(w.tb, w.dir, args...)
}

// page is a file big enough for git to store its versions as deltas.
func page(name, version string) string {
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "line %d of %s: the runbook says to check the disk and the queue.\n", i, name)
	}
	return b.String() + "version " + version + "\n"
}

// commit writes files (a "" content removes the file) and commits them,
// returning the commit.
func (w *workRepo) commit(msg string, files map[string]string) string {
	w.tb.Helper()
	for p, c := range files {
		name := filepath.Join(w.dir, filepath.FromSlash(p))
		if c == "" {
			w.git("rm", "-rq", p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			w.tb.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(c), 0o644); err != nil {
			w.tb.Fatal(err)
		}
		w.git("add", p)
	}
	w.git("commit", "-q", "--allow-empty", "-m", msg)
	return w.git("rev-parse", "HEAD")
}

// sendCase builds a history and names what a client wants and has: refs,
// commits or other objects, and ids the repository does not have.
type sendCase struct {
	name  string
	build func(w *workRepo) (wants, haves []string)
}

var sendCases = []sendCase{
	{"DeletedSibling", func(w *workRepo) ([]string, []string) {
		// The folder x's tree after the delete is the one of the first
		// commit: walked once, it must be walked whole.
		w.commit("a", map[string]string{"x/a.md": page("a", "1")})
		w.commit("b", map[string]string{"x/b.md": page("b", "1")})
		return []string{w.commit("delete b", map[string]string{"x/b.md": ""})}, nil
	}},
	{"SameSubtreeDifferentBases", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"d/e/f.md": page("f", "1"), "d/g.md": page("g", "1"), "h.md": page("h", "1")})
		w.commit("2", map[string]string{"d/e/f.md": page("f", "2")})
		w.commit("3", map[string]string{"d/g.md": page("g", "2")})
		w.commit("4", map[string]string{"d/e/f.md": page("f", "1"), "h.md": page("h", "2")})
		w.commit("5", map[string]string{"d/g.md": page("g", "1")})
		return []string{"main"}, nil
	}},
	{"FetchSameSubtreeDifferentBases", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"d/e/f.md": page("f", "1"), "d/g.md": page("g", "1")})
		have := w.commit("2", map[string]string{"d/e/f.md": page("f", "2")})
		w.commit("3", map[string]string{"d/e/f.md": page("f", "3"), "d/g.md": page("g", "2")})
		w.commit("4", map[string]string{"d/e/f.md": page("f", "2")})
		w.commit("5", map[string]string{"d/g.md": page("g", "1"), "d/e/f.md": page("f", "1")})
		return []string{"main"}, []string{have}
	}},
	{"PathDeletedAndReadded", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"p/q/f.md": page("f", "1"), "r.md": page("r", "1")})
		have := w.commit("2", map[string]string{"p/q/f.md": ""})
		w.commit("3", map[string]string{"p/q/f.md": page("f", "1")})
		w.commit("4", map[string]string{"p/q/f.md": page("f", "2")})
		return []string{"main"}, []string{have}
	}},
	{"FileRevertedToOldVersion", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"f.md": page("f", "1"), "g/h.md": page("h", "1")})
		have := w.commit("2", map[string]string{"f.md": page("f", "2"), "g/h.md": page("h", "2")})
		w.commit("3", map[string]string{"f.md": page("f", "1"), "g/h.md": page("h", "1")})
		return []string{"main"}, []string{have}
	}},
	{"FolderReplacedByFileAndBack", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"p/x.md": page("x", "1"), "p/y/z.md": page("z", "1")})
		w.commit("2", map[string]string{"p/x.md": "", "p/y/z.md": ""})
		have := w.commit("3", map[string]string{"p": page("p", "file")})
		w.commit("4", map[string]string{"p": ""})
		w.commit("5", map[string]string{"p/x.md": page("x", "1"), "p/y/z.md": page("z", "2")})
		return []string{"main"}, []string{have}
	}},
	{"Merge", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"a/f.md": page("f", "1"), "b/g.md": page("g", "1")})
		w.git("checkout", "-qb", "side")
		side := w.commit("side", map[string]string{"b/g.md": page("g", "side"), "c/new.md": page("new", "1")})
		w.git("checkout", "-q", "main")
		w.commit("main", map[string]string{"a/f.md": page("f", "main")})
		w.git("merge", "-q", "--no-ff", "-m", "merge", "side")
		return []string{"main"}, []string{side}
	}},
	{"MergeBothSidesHad", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"a/f.md": page("f", "1"), "b/g.md": page("g", "1")})
		w.git("checkout", "-qb", "side")
		side := w.commit("side", map[string]string{"b/g.md": page("g", "side")})
		w.git("checkout", "-q", "main")
		mine := w.commit("main", map[string]string{"a/f.md": page("f", "main")})
		w.git("merge", "-q", "--no-ff", "-m", "merge", "side")
		w.commit("after", map[string]string{"a/f.md": page("f", "after")})
		return []string{"main", "side"}, []string{side, mine}
	}},
	{"MergeClone", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"a/f.md": page("f", "1")})
		w.git("checkout", "-qb", "side")
		w.commit("side", map[string]string{"a/f.md": page("f", "side"), "b/g.md": page("g", "1")})
		w.git("checkout", "-q", "main")
		w.commit("main", map[string]string{"c/h.md": page("h", "1")})
		w.git("merge", "-q", "--no-ff", "-m", "merge", "side")
		return []string{"main"}, nil
	}},
	{"AnnotatedTags", func(w *workRepo) ([]string, []string) {
		first := w.commit("1", map[string]string{"f.md": page("f", "1")})
		w.git("tag", "-a", "-m", "release", "v1", first)
		w.git("-c", "advice.nestedTag=false", "tag", "-a", "-m", "of a tag", "v1-signed", "v1")
		w.commit("2", map[string]string{"f.md": page("f", "2"), "d/g.md": page("g", "1")})
		w.git("tag", "-a", "-m", "a tree", "tree-tag", "HEAD^{tree}")
		w.git("tag", "-a", "-m", "a blob", "blob-tag", "HEAD:d/g.md")
		return []string{w.git("rev-parse", "v1-signed"), w.git("rev-parse", "tree-tag"), w.git("rev-parse", "blob-tag"), "main"}, nil
	}},
	{"FetchTagOfKnownCommit", func(w *workRepo) ([]string, []string) {
		have := w.commit("1", map[string]string{"f.md": page("f", "1")})
		w.git("tag", "-a", "-m", "late tag", "v1", have)
		return []string{w.git("rev-parse", "v1")}, []string{have}
	}},
	{"WantsTreeAndBlob", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"d/e/f.md": page("f", "1"), "g.md": page("g", "1")})
		w.commit("2", map[string]string{"d/e/f.md": page("f", "2")})
		return []string{w.git("rev-parse", "HEAD~1:d"), w.git("rev-parse", "HEAD:g.md")}, nil
	}},
	{"HavesTheRepositoryLacks", func(w *workRepo) ([]string, []string) {
		have := w.commit("1", map[string]string{"f.md": page("f", "1")})
		w.commit("2", map[string]string{"f.md": page("f", "2")})
		return []string{"main"}, []string{strings.Repeat("ab", 20), have, strings.Repeat("01", 20)}
	}},
	{"HaveAnnotatedTag", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"f.md": page("f", "1"), "d/g.md": page("g", "1")})
		w.git("tag", "-a", "-m", "release", "v1")
		w.commit("2", map[string]string{"f.md": page("f", "2")})
		return []string{"main"}, []string{w.git("rev-parse", "v1")}
	}},
	{"HaveEverything", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"f.md": page("f", "1")})
		head := w.commit("2", map[string]string{"f.md": page("f", "2")})
		return []string{w.git("rev-parse", "HEAD~1")}, []string{head}
	}},
	{"ModesAndSubmodule", func(w *workRepo) ([]string, []string) {
		w.commit("1", map[string]string{"tools/run.sh": "#!/bin/sh\necho run\n", "f.md": page("f", "1")})
		w.git("update-index", "--chmod=+x", "tools/run.sh")
		if err := os.Symlink("../f.md", filepath.Join(w.dir, "tools", "link.md")); err != nil {
			w.tb.Fatal(err)
		}
		w.git("add", "tools/link.md")
		// A submodule's commit is named, never sent: it is not here.
		w.git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("5a", 20)+",vendor/lib")
		w.git("commit", "-qm", "modes")
		return []string{"main"}, nil
	}},
}

// TestSendPackObjects checks the objects SendPack chooses against git's
// own choice (git rev-list --objects WANTS --not HAVES), across histories
// that trip a walk that takes shortcuts, with the repository's objects
// loose, packed with offset deltas and packed with reference deltas. Each
// pack is also indexed with git index-pack --strict into a repository
// holding only what the haves reach, which git fsck --strict must then
// find complete, with and without ofs-delta and as a thin pack.
func TestSendPackObjects(t *testing.T) {
	layouts := []struct {
		name   string
		repack []string
	}{
		{"Loose", nil},
		{"OfsDeltas", []string{"repack", "-adfq", "--depth=10", "--window=50"}},
		{"RefDeltas", []string{"-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq", "--depth=10", "--window=50"}},
	}
	modes := []struct {
		name      string
		ofs, thin bool
	}{{"OfsDelta", true, false}, {"RefDelta", false, false}, {"Thin", true, true}}
	for _, tc := range sendCases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkRepo(t)
			wantNames, haveNames := tc.build(w)
			wants, haves := w.resolve(wantNames), w.resolve(haveNames)
			want := gitObjects(t, w.dir, wants, haves)
			client := mustClient(t, w, haves)
			for _, layout := range layouts {
				t.Run(layout.name, func(t *testing.T) {
					if layout.repack != nil {
						w.git(layout.repack...)
					}
					s, err := gitstore.Open(filepath.Join(w.dir, ".git"))
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					for _, mode := range modes {
						if (layout.repack == nil && mode.name != "OfsDelta") || (mode.thin && len(haves) == 0) {
							continue // nothing stored as a delta; nothing to be thin against
						}
						t.Run(mode.name, func(t *testing.T) {
							req := gitstore.SendRequest{Wants: hashes(wants), Haves: hashes(haves), OfsDelta: mode.ofs, ThinPack: mode.thin}
							pack, st := mustSendPack(t, s, req)
							entries := scanPack(t, pack)
							if !mode.ofs && entries[plumbing.OFSDeltaObject] > 0 {
								t.Errorf("%d offset deltas without ofs-delta", entries[plumbing.OFSDeltaObject])
							}
							if st.Objects != len(want) {
								t.Errorf("SendStats.Objects %d, want %d", st.Objects, len(want))
							}
							repo := copyRepo(t, client)
							if mode.thin {
								mustIndexPack(t, repo, pack, "--fix-thin")
							} else {
								if got := packObjects(t, repo, pack); !slices.Equal(got, want) {
									t.Errorf("sent %d objects, git chooses %d:\nsent but not chosen %v\nchosen but not sent %v",
										len(got), len(want), minus(got, want), minus(want, got))
								}
								mustIndexPack(t, repo, pack)
							}
							mustComplete(t, repo, wants)
						})
					}
				})
			}
		})
	}
}

// mustComplete points refs at ids and checks with git fsck --strict that
// the repository has everything they reach.
func mustComplete(tb testing.TB, repo string, ids []string) {
	tb.Helper()
	var in strings.Builder
	for i, id := range ids {
		fmt.Fprintf(&in, "update refs/wants/%d %s\n", i, id)
	}
	cmd := exec.Command("git", "update-ref", "--stdin")
	cmd.Dir, cmd.Stdin = repo, strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git update-ref: %v\n%s", err, out)
	}
	// The client's HEAD names a branch it does not have: git says so.
	var problems []string
	for line := range strings.SplitSeq(Git(tb, repo, "fsck", "--strict", "--no-progress", "--no-dangling"), "\n") {
		if line != "" && !strings.HasPrefix(line, "notice: HEAD points to an unborn branch") {
			problems = append(problems, line)
		}
	}
	if len(problems) > 0 {
		tb.Fatalf("git fsck --strict: %s", strings.Join(problems, "\n"))
	}
}

// copyRepo copies a bare repository into a new folder.
func copyRepo(tb testing.TB, src string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "copy.git")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dst
}

// TestSendPackHistory compares the objects of a clone and of fetches of
// a longer history with git's choice, with the versions of each folder
// stored as deltas of the older ones (git fast-import) and of the newer
// ones (git repack), which SendPack reads in opposite orders.
func TestSendPackHistory(t *testing.T) {
	s, dir := MustHistoryRepo(t, 3000, 400)
	head := Git(t, dir, "rev-parse", "main")
	for _, layout := range []string{"FastImport", "Repacked"} {
		t.Run(layout, func(t *testing.T) {
			if layout == "Repacked" {
				Git(t, dir, "repack", "-adfq", "--depth=50", "--window=10")
			}
			for _, have := range []string{"", "main~1", "main~37", "main~399"} {
				var haves []string
				if have != "" {
					haves = []string{Git(t, dir, "rev-parse", have)}
				}
				want := gitObjects(t, dir, []string{head}, haves)
				pack, _ := mustSendPack(t, s, gitstore.SendRequest{Wants: hashes([]string{head}), Haves: hashes(haves), OfsDelta: true})
				client := filepath.Join(t.TempDir(), "client.git")
				Git(t, "", "init", "-q", "--bare", client)
				if got := packObjects(t, client, pack); !slices.Equal(got, want) {
					t.Errorf("have %q: sent %d objects, git chooses %d", have, len(got), len(want))
				}
				if have == "" {
					mustIndexPack(t, client, pack)
					mustComplete(t, client, []string{head})
				}
			}
		})
	}
}

// resolve turns names into object ids; 40 hex digits pass as they are,
// whether the repository has them or not.
func (w *workRepo) resolve(names []string) []string {
	var out []string
	for _, n := range names {
		if plumbing.IsHash(n) {
			out = append(out, n)
		} else {
			out = append(out, w.git("rev-parse", n))
		}
	}
	return out
}

func hashes(ids []string) []plumbing.Hash {
	var out []plumbing.Hash
	for _, id := range ids {
		out = append(out, plumbing.NewHash(id))
	}
	return out
}

// gitObjects returns the sorted ids git rev-list --objects lists for wants
// and not haves, leaving out haves the repository lacks, as a server does.
func gitObjects(tb testing.TB, dir string, wants, haves []string) []string {
	tb.Helper()
	args := append([]string{"rev-list", "--objects"}, wants...)
	args = append(args, "--not")
	for _, h := range haves {
		if _, err := exec.Command("git", "-C", dir, "cat-file", "-e", h).CombinedOutput(); err == nil {
			args = append(args, h)
		}
	}
	var ids []string
	for line := range strings.SplitSeq(Git(tb, dir, args...), "\n") {
		if id, _, _ := strings.Cut(line, " "); id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// mustSendPack runs SendPack and checks the pack's trailing SHA-1.
func mustSendPack(tb testing.TB, s *gitstore.Store, req gitstore.SendRequest) ([]byte, gitstore.SendStats) {
	tb.Helper()
	var buf bytes.Buffer
	st, err := s.SendPack(ctx, &buf, req)
	if err != nil {
		tb.Fatalf("SendPack: %v", err)
	}
	pack := buf.Bytes()
	if len(pack) < 32 {
		tb.Fatalf("pack of %d bytes", len(pack))
	}
	if sum := sha1.Sum(pack[:len(pack)-20]); !bytes.Equal(sum[:], pack[len(pack)-20:]) {
		tb.Fatal("the pack's trailer is not the SHA-1 of its content")
	}
	if st.Bytes != int64(len(pack)) {
		tb.Errorf("SendStats.Bytes %d, pack of %d", st.Bytes, len(pack))
	}
	return pack, st
}

// scanPack counts a pack's entries by type, deltas by kind.
func scanPack(tb testing.TB, pack []byte) map[plumbing.ObjectType]int {
	tb.Helper()
	sc := packfile.NewScanner(bytes.NewReader(pack))
	_, n, err := sc.Header()
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[plumbing.ObjectType]int)
	for range n {
		h, err := sc.NextObjectHeader()
		if err != nil {
			tb.Fatal(err)
		}
		out[h.Type]++
		if _, _, err := sc.NextObject(io.Discard); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// mustClient makes a bare repository holding what the haves reach (the
// ones the work repository has) and nothing else.
func mustClient(tb testing.TB, w *workRepo, haves []string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "client.git")
	Git(tb, "", "init", "-q", "--bare", "-b", "main", dir)
	var specs []string
	for i, h := range haves {
		if _, err := exec.Command("git", "-C", w.dir, "cat-file", "-e", h).CombinedOutput(); err != nil {
			continue
		}
		ref := fmt.Sprintf("refs/haves/%d", i)
		w.git("update-ref", ref, h)
		specs = append(specs, ref+":"+ref)
	}
	if len(specs) > 0 {
		Git(tb, dir, append([]string{"fetch", "-q", "--no-tags", w.dir}, specs...)...)
		for _, s := range specs {
			ref, _, _ := strings.Cut(s, ":")
			w.git("update-ref", "-d", ref)
		}
	}
	return dir
}

// mustIndexPack stores a pack in repo with git index-pack --strict.
func mustIndexPack(tb testing.TB, repo string, pack []byte, args ...string) {
	tb.Helper()
	cmd := exec.Command("git", append([]string{"index-pack", "--stdin", "--strict"}, args...)...)
	cmd.Dir, cmd.Stdin = repo, bytes.NewReader(pack)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git index-pack: %v\n%s", err, out)
	}
}

// packObjects indexes a pack on its own and returns the sorted ids git
// verify-pack lists in it; the pack may need objects repo does not have.
func packObjects(tb testing.TB, repo string, pack []byte) []string {
	tb.Helper()
	name := filepath.Join(tb.TempDir(), "sent.pack")
	if err := os.WriteFile(name, pack, 0o644); err != nil {
		tb.Fatal(err)
	}
	Git(tb, repo, "index-pack", name)
	var ids []string
	for line := range strings.SplitSeq(Git(tb, repo, "verify-pack", "-v", strings.TrimSuffix(name, ".pack")+".idx"), "\n") {
		if f := strings.Fields(line); len(f) >= 5 && plumbing.IsHash(f[0]) {
			ids = append(ids, f[0])
		}
	}
	slices.Sort(ids)
	return ids
}
