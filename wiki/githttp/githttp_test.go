package githttp_test

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/githttp"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

func get(tb testing.TB, url string, header ...string) (int, http.Header, string) {
	tb.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAdvertise(t *testing.T) {
	r := MustRepo(t, nil)
	head := r.Head(t)
	t.Run("UploadPack", func(t *testing.T) {
		// git 2.39 asks for protocol v2 first; it gets v0 and accepts it.
		code, h, body := get(t, r.URL+"/info/refs?service=git-upload-pack", "Git-Protocol", "version=2")
		if code != 200 || h.Get("Content-Type") != "application/x-git-upload-pack-advertisement" {
			t.Fatalf("%d %q", code, h.Get("Content-Type"))
		}
		if !strings.Contains(h.Get("Cache-Control"), "no-cache") {
			t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
		}
		lines, rest := readPkts([]byte(body))
		if len(rest) != 0 || len(lines) < 5 {
			t.Fatalf("advertisement %q", body)
		}
		if lines[0] != "# service=git-upload-pack\n" || lines[1] != "" || lines[len(lines)-1] != "" {
			t.Fatalf("framing: %q", lines)
		}
		first, caps, _ := strings.Cut(lines[2], "\x00")
		if first != head+" HEAD" {
			t.Errorf("first ref %q, want HEAD at %s", first, head)
		}
		for _, c := range []string{"multi_ack_detailed", "side-band-64k", "ofs-delta", "shallow", "symref=HEAD:refs/heads/main", "agent="} {
			if !strings.Contains(caps, c) {
				t.Errorf("capabilities %q lack %s", caps, c)
			}
		}
		if lines[3] != head+" refs/heads/main\n" {
			t.Errorf("main: %q", lines[3])
		}
	})
	t.Run("ReceivePack", func(t *testing.T) {
		code, h, body := get(t, r.URL+"/info/refs?service=git-receive-pack")
		if code != 200 || h.Get("Content-Type") != "application/x-git-receive-pack-advertisement" {
			t.Fatalf("%d %q", code, h.Get("Content-Type"))
		}
		lines, _ := readPkts([]byte(body))
		first, caps, _ := strings.Cut(lines[2], "\x00")
		if first != head+" refs/heads/main" {
			t.Errorf("first ref %q", first)
		}
		for _, c := range []string{"report-status", "delete-refs", "side-band-64k", "ofs-delta"} {
			if !strings.Contains(caps, c) {
				t.Errorf("capabilities %q lack %s", caps, c)
			}
		}
		if strings.Contains(caps, "no-thin") || strings.Contains(caps, "atomic") {
			t.Errorf("capabilities %q promise what is not served", caps)
		}
	})
	t.Run("EmptyRepository", func(t *testing.T) {
		s, err := gitstore.OpenOrInit(filepath.Join(t.TempDir(), "wiki.git"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rec := httptestRecorder(githttp.New(githttp.Config{Store: s}), "GET", "/wiki.git/info/refs?service=git-receive-pack", nil)
		lines, _ := readPkts(rec.Body.Bytes())
		if len(lines) != 4 || !strings.HasPrefix(lines[2], plumbing.ZeroHash.String()+" capabilities^{}\x00") {
			t.Fatalf("empty repository advertisement: %q", lines)
		}
	})
}

func TestSmartHTTPOnly(t *testing.T) {
	r := MustRepo(t, nil)
	for _, tc := range []struct {
		method, path string
		code         int
		text         string
	}{
		{"GET", "/info/refs", 403, "smart HTTP"},
		{"GET", "/info/refs?service=git-upload-archive", 403, "smart HTTP"},
		{"GET", "/HEAD", 404, "smart HTTP"},
		{"GET", "/objects/info/packs", 404, "smart HTTP"},
		{"GET", "", 200, "git clone http://"},
		{"GET", "/", 200, "git clone http://"},
		{"POST", "/info/refs?service=git-upload-pack", 405, "not allowed"},
		{"GET", "/git-upload-pack", 405, "not allowed"},
		{"GET", "/git-receive-pack", 405, "not allowed"},
		{"GET", "/nothing", 404, "Not found"},
	} {
		req, _ := http.NewRequest(tc.method, r.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.text) {
			t.Errorf("%s %s: %d %q, want %d with %q", tc.method, tc.path, resp.StatusCode, b, tc.code, tc.text)
		}
	}
}

// TestMalformedRequests sends broken pkt-lines and bodies: each is a 4xx
// with a message, never a 500 or a crash.
func TestMalformedRequests(t *testing.T) {
	r := MustRepo(t, nil)
	head := r.Head(t)
	zero := plumbing.ZeroHash.String()
	cases := []struct {
		name, service string
		body          []byte
		gzip          bool
		encoding      string
		code          int
		text          string
	}{
		{"NotHex", "upload", []byte("zzzzwant"), false, "", 400, "bad pkt-line length"},
		{"Truncated", "upload", []byte("0032want " + head), false, "", 400, "truncated"},
		{"TruncatedLength", "upload", []byte("00"), false, "", 400, "truncated"},
		{"TooShort", "upload", []byte("0003"), false, "", 400, "special packet"},
		{"Delim", "upload", []byte("0001"), false, "", 400, "protocol v2"},
		{"BadWant", "upload", pkt("want nothex\n", ""), false, "", 400, "malformed want"},
		{"Unexpected", "upload", pkt("command=ls-refs\n", ""), false, "", 400, "unexpected line"},
		{"NoFlush", "upload", pkt("want " + head + "\n"), false, "", 400, "before its flush"},
		{"BadHave", "upload", pkt("want "+head+"\n", "", "have xyz\n"), false, "", 400, "unexpected line"},
		{"NotGzip", "upload", []byte("not gzip at all"), false, "gzip", 400, "not valid gzip"},
		{"BadGzipContent", "upload", []byte("zzzz"), true, "", 400, "bad pkt-line"},
		{"UnknownEncoding", "upload", pkt(""), false, "br", 400, "Content-Encoding"},
		{"BadCommand", "receive", pkt("nonsense\n", ""), false, "", 400, "malformed command"},
		{"BadCommandHash", "receive", pkt(zero+" xyz refs/heads/main\x00report-status\n", ""), false, "", 400, "malformed command"},
		{"CommandsNoFlush", "receive", pkt(zero + " " + head + " refs/heads/x\x00report-status\n"), false, "", 400, "before their flush"},
		{"GarbageLength", "receive", []byte("00zz"), false, "", 400, "bad pkt-line length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := r.URL + "/git-" + tc.service + "-pack"
			req, _ := http.NewRequest("POST", url, bytes.NewReader(gzipIf(tc.body, tc.gzip)))
			if tc.gzip {
				req.Header.Set("Content-Encoding", "gzip")
			} else if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.text) {
				t.Fatalf("%d %q, want %d with %q", resp.StatusCode, b, tc.code, tc.text)
			}
		})
	}
	t.Run("GarbagePack", func(t *testing.T) {
		// Well-formed commands with a broken pack: refused in the report.
		body := append(pkt(head+" "+strings.Repeat("1", 40)+" refs/heads/main\x00report-status side-band-64k\n", ""), "PACK\x00\x00\x00\x02\x00\x00\x00\x05garbage"...)
		code, _, out := post(t, r.URL+"/git-receive-pack", "application/x-git-receive-pack-request", body, false)
		if code != 200 || !bytes.Contains(out, []byte("unpack ")) || !bytes.Contains(out, []byte("ng refs/heads/main unpacker error")) {
			t.Fatalf("%d %q", code, out)
		}
		if r.Head(t) != head {
			t.Fatal("main moved")
		}
	})
	if strings.Contains(r.Logs.String(), "panicked") {
		t.Fatalf("handler panicked:\n%s", r.Logs)
	}
}

// TestReceiveProbe answers git's probe before a large push (a body that
// is only a flush-pkt) with an empty 200, as git-http-backend does.
func TestReceiveProbe(t *testing.T) {
	r := MustRepo(t, nil)
	for _, body := range [][]byte{[]byte("0000"), nil} {
		code, h, out := post(t, r.URL+"/git-receive-pack", "application/x-git-receive-pack-request", body, false)
		if code != 200 || len(out) != 0 || h.Get("Content-Type") != "application/x-git-receive-pack-result" {
			t.Fatalf("probe %q: %d %q %q", body, code, h.Get("Content-Type"), out)
		}
	}
}

// TestUploadPack drives the negotiation by hand: rounds of haves get
// ACK/NAK lines only; "done" gets the pack of what the client lacks,
// whether the request is gzipped (git gzips large ones) or not.
func TestUploadPack(t *testing.T) {
	r := MustRepo(t, nil)
	old := r.Head(t)
	c, err := r.Store.Commit(ctx, wiki.CommitRequest{Author: wiki.Signature{Name: "Ada", Email: "ada@example.com"}, Message: "Edit",
		Changes: []wiki.FileChange{{Path: "runbooks/disk.md", Content: []byte("---\nowner: sre\n---\n# Disk full\n\nRotate logs.\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	unknown := strings.Repeat("ab", 20)
	url := r.URL + "/git-upload-pack"
	want := "want " + c.ID + " multi_ack_detailed side-band-64k ofs-delta agent=git/2.39\n"
	t.Run("Round", func(t *testing.T) {
		code, h, out := post(t, url, "application/x-git-upload-pack-request", pkt(want, "", "have "+unknown+"\n", "have "+old+"\n", ""), false)
		lines, rest := readPkts(out)
		if code != 200 || h.Get("Content-Type") != "application/x-git-upload-pack-result" || len(rest) != 0 {
			t.Fatalf("%d %q %q", code, h.Get("Content-Type"), out)
		}
		if strings.Join(lines, "|") != "ACK "+old+" common\n|NAK\n" {
			t.Fatalf("round answered %q", lines)
		}
	})
	for _, gz := range []bool{false, true} {
		t.Run("Done/gzip="+map[bool]string{false: "no", true: "yes"}[gz], func(t *testing.T) {
			code, _, out := post(t, url, "application/x-git-upload-pack-request", pkt(want, "", "have "+old+"\n", "done\n"), gz)
			if code != 200 {
				t.Fatalf("%d %q", code, out)
			}
			lines, _ := readPkts(out)
			if len(lines) < 3 || lines[0] != "ACK "+old+" common\n" || lines[1] != "ACK "+old+"\n" || lines[len(lines)-1] != "" {
				t.Fatalf("answer %q", lines[:min(len(lines), 3)])
			}
			var pack bytes.Buffer
			for _, l := range lines[2 : len(lines)-1] {
				switch l[0] {
				case 1:
					pack.WriteString(l[1:])
				case 3:
					t.Fatalf("error band: %q", l[1:])
				}
			}
			st := memory.NewStorage()
			if err := packfile.UpdateObjectStorage(st, &pack); err != nil {
				t.Fatal(err)
			}
			if _, err := st.EncodedObject(plumbing.CommitObject, plumbing.NewHash(c.ID)); err != nil {
				t.Fatalf("the pack lacks the wanted commit: %v", err)
			}
			// Only what changed: the commit, two trees, one blob.
			if n := len(st.Objects); n != 4 {
				t.Errorf("pack holds %d objects, want 4", n)
			}
		})
	}
	t.Run("Shallow", func(t *testing.T) {
		_, _, out := post(t, url, "", pkt(want, "deepen 1\n", ""), false)
		lines, _ := readPkts(out)
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "ERR shallow clones (--depth") {
			t.Fatalf("shallow request answered %q", lines)
		}
	})
	t.Run("NotOurRef", func(t *testing.T) {
		_, _, out := post(t, url, "", pkt("want "+unknown+" side-band-64k\n", "", "done\n"), false)
		if lines, _ := readPkts(out); len(lines) != 1 || lines[0] != "ERR upload-pack: not our ref "+unknown+"\n" {
			t.Fatalf("unknown want answered %q", lines)
		}
	})
	t.Run("NothingWanted", func(t *testing.T) {
		code, _, out := post(t, url, "", pkt(""), false)
		if code != 200 || len(out) != 0 {
			t.Fatalf("%d %q", code, out)
		}
	})
}

func TestAuthorize(t *testing.T) {
	r := MustRepo(t, func(c *githttp.Config) {
		c.Authorize = func(req *http.Request, write bool) (wiki.Signature, error) {
			switch {
			case req.Header.Get("Authorization") == "":
				return wiki.Signature{}, wiki.Errorf(wiki.EUNAUTHORIZED, "Sign in first.")
			case write:
				return wiki.Signature{}, wiki.Errorf(wiki.EFORBIDDEN, "Readers may not push.")
			}
			return wiki.Signature{Name: "reader"}, nil
		}
	})
	code, h, body := get(t, r.URL+"/info/refs?service=git-upload-pack")
	if code != 401 || !strings.Contains(h.Get("WWW-Authenticate"), "Basic") || !strings.Contains(body, "Sign in") {
		t.Fatalf("anonymous: %d %q %q", code, h.Get("WWW-Authenticate"), body)
	}
	if code, _, _ := get(t, r.URL+"/info/refs?service=git-upload-pack", "Authorization", "Basic eDp5"); code != 200 {
		t.Fatalf("reader clone: %d", code)
	}
	if code, _, body := get(t, r.URL+"/info/refs?service=git-receive-pack", "Authorization", "Basic eDp5"); code != 403 || !strings.Contains(body, "may not push") {
		t.Fatalf("reader push: %d %q", code, body)
	}
	out, err := GitErr(t, "", "clone", r.URL, filepath.Join(t.TempDir(), "w"))
	if err == nil || !strings.Contains(out, "401") && !strings.Contains(out, "Authentication failed") && !strings.Contains(out, "could not read Username") {
		t.Fatalf("git clone without credentials: %v\n%s", err, out)
	}
}
