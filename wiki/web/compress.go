package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Content encodings the server writes, best first.
const (
	encBrotli = "br"
	encGzip   = "gzip"
)

// minCompressBytes is the smallest body worth compressing: below it the
// encoding's framing costs about what it saves.
const minCompressBytes = 512

// negotiateEncoding picks the encoding for a request from its
// Accept-Encoding: brotli, else gzip, else none; a q of 0 refuses one.
func negotiateEncoding(r *http.Request) string {
	accept := r.Header.Get("Accept-Encoding")
	if accept == "" {
		return ""
	}
	q := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		weight := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				weight = f
			}
		}
		q[name] = weight
	}
	best, bestQ := "", 0.0
	for _, enc := range []string{encBrotli, encGzip} {
		w, ok := q[enc]
		if !ok {
			w, ok = q["*"]
		}
		if ok && w > bestQ {
			best, bestQ = enc, w
		}
	}
	return best
}

// compressible reports whether a content type is text that compresses.
func compressible(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/xml", "image/svg+xml":
		return true
	}
	return false
}

// weakETag marks an entity tag weak: the compressed body is not the same
// bytes as the one the tag names, but means the same (as nginx does).
func weakETag(h http.Header) {
	if e := h.Get("ETag"); e != "" && !strings.HasPrefix(e, "W/") {
		h.Set("ETag", "W/"+e)
	}
}

// addVary says the response depends on Accept-Encoding, once.
func addVary(h http.Header) {
	for _, v := range h.Values("Vary") {
		if strings.Contains(strings.ToLower(v), "accept-encoding") {
			return
		}
	}
	h.Add("Vary", "Accept-Encoding")
}

// encodedBody is a response body kept with its compressed forms, each made
// once, on first use: for cached page views and static files, which are
// sent many times.
type encodedBody struct {
	raw     []byte
	gzOnce  sync.Once
	gz      []byte
	brOnce  sync.Once
	br      []byte
	brLevel int
}

func newEncodedBody(raw []byte, brLevel int) *encodedBody {
	return &encodedBody{raw: raw, brLevel: brLevel}
}

// size is what the body costs in a cache: its forms made so far.
func (e *encodedBody) size() int64 { return int64(len(e.raw) + len(e.gz) + len(e.br)) }

// form returns the body in the encoding, making it the first time.
func (e *encodedBody) form(enc string) []byte {
	switch enc {
	case encBrotli:
		e.brOnce.Do(func() {
			var b bytes.Buffer
			b.Grow(len(e.raw) / 4)
			pool := &brotliLevelPools[min(max(e.brLevel, brotli.BestSpeed), brotli.BestCompression)]
			w, _ := pool.Get().(*brotli.Writer)
			if w == nil {
				w = brotli.NewWriterLevel(&b, e.brLevel)
			} else {
				w.Reset(&b)
			}
			w.Write(e.raw)
			w.Close()
			w.Reset(io.Discard)
			pool.Put(w)
			e.br = b.Bytes()
		})
		return e.br
	case encGzip:
		e.gzOnce.Do(func() {
			var b bytes.Buffer
			b.Grow(len(e.raw) / 4)
			// A gzip writer is about 800 KB of tables: under a stream of
			// saves, cached pages are made again many times a second.
			w := gzipBestPool.Get().(*gzip.Writer)
			w.Reset(&b)
			w.Write(e.raw)
			w.Close()
			w.Reset(io.Discard)
			gzipBestPool.Put(w)
			e.gz = b.Bytes()
		})
		return e.gz
	}
	return e.raw
}

// write sends the body as the request accepts it. Headers set before
// (Content-Type, ETag) are kept; the ETag is weakened when compressed.
func (e *encodedBody) write(w http.ResponseWriter, r *http.Request, status int) {
	h := w.Header()
	addVary(h)
	enc := ""
	if len(e.raw) >= minCompressBytes {
		enc = negotiateEncoding(r)
	}
	body := e.form(enc)
	if enc != "" {
		h.Set("Content-Encoding", enc)
		weakETag(h)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// Pools of streaming encoders for responses made per request. The levels
// favour speed: such responses are made once and sent once.
var (
	gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, 5); return w }}
	// gzipBestPool and brotliLevelPools compress the bodies of the page
	// and static caches, made once and sent many times.
	gzipBestPool     = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestCompression); return w }}
	brotliLevelPools [brotli.BestCompression + 1]sync.Pool
	brotliPool       = sync.Pool{New: func() any { return brotli.NewWriterLevel(io.Discard, 4) }}
)

// withCompression compresses the text responses of next (pages, listings,
// JSON) as each request accepts, except what is already encoded and git's
// own protocol, whose packs are compressed already.
func withCompression(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := negotiateEncoding(r)
		if enc == "" || r.Method == http.MethodHead || strings.HasPrefix(r.URL.Path, "/wiki.git") {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, enc: enc}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// compressWriter decides at the first write whether the response is worth
// compressing, and then compresses it as it streams.
type compressWriter struct {
	http.ResponseWriter
	enc     string
	decided bool
	status  int
	out     io.WriteCloser // nil: written as it is
	pending []byte         // the start of a body of unknown length
}

func (cw *compressWriter) WriteHeader(status int) {
	if cw.decided || cw.status != 0 {
		cw.ResponseWriter.WriteHeader(status)
		return
	}
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified {
		cw.decided = true
		cw.ResponseWriter.WriteHeader(status)
		return
	}
	cw.status = status
}

func (cw *compressWriter) Write(b []byte) (int, error) {
	if cw.decided {
		if cw.out != nil {
			return cw.out.Write(b)
		}
		return cw.ResponseWriter.Write(b)
	}
	h := cw.Header()
	if h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" || !compressible(h.Get("Content-Type")) {
		cw.decide(false)
		return cw.ResponseWriter.Write(b)
	}
	if n, err := strconv.Atoi(h.Get("Content-Length")); err == nil && n < minCompressBytes {
		cw.decide(false)
		return cw.ResponseWriter.Write(b)
	}
	if h.Get("Content-Length") == "" && len(cw.pending)+len(b) < minCompressBytes {
		// Wait for more: a short answer is sent as it is.
		cw.pending = append(cw.pending, b...)
		return len(b), nil
	}
	cw.decide(true)
	return cw.out.Write(b)
}

// decide writes the header, compressed or not, and what was held back.
func (cw *compressWriter) decide(compress bool) {
	cw.decided = true
	h := cw.Header()
	addVary(h)
	if compress {
		h.Del("Content-Length")
		h.Set("Content-Encoding", cw.enc)
		weakETag(h)
		if cw.enc == encBrotli {
			bw := brotliPool.Get().(*brotli.Writer)
			bw.Reset(cw.ResponseWriter)
			cw.out = bw
		} else {
			gw := gzipPool.Get().(*gzip.Writer)
			gw.Reset(cw.ResponseWriter)
			cw.out = gw
		}
	}
	if cw.status != 0 {
		cw.ResponseWriter.WriteHeader(cw.status)
	}
	if len(cw.pending) > 0 {
		p := cw.pending
		cw.pending = nil
		if cw.out != nil {
			cw.out.Write(p)
		} else {
			cw.ResponseWriter.Write(p)
		}
	}
}

// close ends the response: a short body held back goes out as it is, an
// encoder is flushed and returned to its pool.
func (cw *compressWriter) close() {
	if !cw.decided {
		if cw.status == 0 && len(cw.pending) == 0 {
			return // nothing was written: the server writes 200 itself
		}
		cw.decide(false)
	}
	switch out := cw.out.(type) {
	case *brotli.Writer:
		out.Close()
		brotliPool.Put(out)
	case *gzip.Writer:
		out.Close()
		gzipPool.Put(out)
	}
	cw.out = nil
}

// Flush sends what is compressed so far.
func (cw *compressWriter) Flush() {
	if !cw.decided {
		cw.decide(len(cw.pending) > 0 && compressible(cw.Header().Get("Content-Type")) && cw.Header().Get("Content-Encoding") == "")
	}
	switch out := cw.out.(type) {
	case *brotli.Writer:
		out.Flush()
	case *gzip.Writer:
		out.Flush()
	}
	if f, ok := cw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
