package githttp

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// shallowRefusal is what a client asking for a shallow clone or fetch is
// told; git prints it as "fatal: remote error: ...".
const shallowRefusal = "shallow clones (--depth, --shallow-since, --shallow-exclude) are not supported by this server; clone without --depth"

// uploadRequest is one stateless upload-pack request: the wants with their
// capabilities, then the haves of this round, ending in "done" or a flush.
type uploadRequest struct {
	wants   []plumbing.Hash
	caps    map[string]bool
	shallow string // the first shallow/deepen line, if any
	haves   []plumbing.Hash
	done    bool
}

// parseUploadRequest reads an upload-pack request.
func parseUploadRequest(r io.Reader) (*uploadRequest, error) {
	req := &uploadRequest{caps: map[string]bool{}}
	pr := newPktReader(r)
	// Wants and shallow lines, up to the first flush.
	for {
		line, flush, err := pr.next()
		if errors.Is(err, io.EOF) {
			if len(req.wants) == 0 {
				return req, nil
			}
			return nil, protocolErrorf("the request ends before its flush-pkt")
		}
		if err != nil {
			return nil, err
		}
		if flush {
			break
		}
		l := strings.TrimSuffix(string(line), "\n")
		switch {
		case strings.HasPrefix(l, "want "):
			id, caps, _ := strings.Cut(l[len("want "):], " ")
			if len(req.wants) == 0 {
				for c := range strings.FieldsSeq(caps) {
					name, _, _ := strings.Cut(c, "=")
					req.caps[name] = true
				}
			}
			if !plumbing.IsHash(id) {
				return nil, protocolErrorf("malformed want line %q", l)
			}
			req.wants = append(req.wants, plumbing.NewHash(id))
		case strings.HasPrefix(l, "shallow "), strings.HasPrefix(l, "deepen"):
			if req.shallow == "" {
				req.shallow = l
			}
		case strings.HasPrefix(l, "filter "):
			// Not advertised, so not sent by git; serve everything.
		default:
			return nil, protocolErrorf("unexpected line %q in the wants", l)
		}
	}
	// Haves, ending in done, a flush, or the end of the body.
	for {
		line, flush, err := pr.next()
		if errors.Is(err, io.EOF) {
			return req, nil
		}
		if err != nil {
			return nil, err
		}
		if flush {
			continue
		}
		l := strings.TrimSuffix(string(line), "\n")
		switch {
		case strings.HasPrefix(l, "have ") && plumbing.IsHash(l[len("have "):]):
			req.haves = append(req.haves, plumbing.NewHash(l[len("have "):]))
		case l == "done":
			req.done = true
			return req, nil
		default:
			return nil, protocolErrorf("unexpected line %q in the haves", l)
		}
	}
}

// uploadPack serves POST /wiki.git/git-upload-pack: one round of the
// negotiation of a clone or fetch, and the pack once the client says done.
//
// go-git's server session is not used: it answers every request with a
// pack, while git over stateless HTTP sends rounds of haves first and
// expects only ACK/NAK lines back (multi_ack_detailed) until "done"; with
// a pack after the NAK a fetch with more than 16 haves fails. The
// negotiation is answered here; the store chooses the objects and writes
// the pack.
func (h *Handler) uploadPack(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, closeBody, err := requestBody(r, maxRequestBytes)
	if err == nil {
		defer closeBody()
		var req *uploadRequest
		if req, err = parseUploadRequest(body); err == nil {
			h.answerUpload(w, r, req, start)
			return
		}
	}
	var pe *errProtocol
	switch {
	case errors.As(err, &pe):
		textError(w, http.StatusBadRequest, "Malformed upload-pack request: "+pe.msg+".")
	case errors.Is(err, errTooLarge):
		textError(w, http.StatusRequestEntityTooLarge, "The upload-pack request is too large.")
	default:
		h.log.Warn("read upload-pack request", "err", err)
		textError(w, http.StatusBadRequest, "The upload-pack request could not be read.")
	}
}

func (h *Handler) answerUpload(w http.ResponseWriter, r *http.Request, req *uploadRequest, start time.Time) {
	w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
	noCache(w)
	pw := &pktWriter{w: w}
	if len(req.wants) == 0 {
		return // the client has everything: an empty answer
	}
	if req.shallow != "" {
		pw.line("ERR " + shallowRefusal + "\n")
		return
	}
	for _, want := range req.wants {
		if h.store.ObjectType(want) == plumbing.InvalidObject {
			pw.line("ERR upload-pack: not our ref " + want.String() + "\n")
			return
		}
	}
	multiAck := req.caps["multi_ack_detailed"]
	var common []plumbing.Hash
	for _, have := range req.haves {
		if h.store.ObjectType(have) == plumbing.InvalidObject {
			continue
		}
		common = append(common, have)
		if multiAck {
			pw.line("ACK " + have.String() + " common\n")
		} else if len(common) == 1 {
			pw.line("ACK " + have.String() + "\n")
		}
	}
	if !req.done {
		if multiAck || len(common) == 0 {
			pw.line("NAK\n")
		}
		return
	}
	switch {
	case len(common) == 0:
		pw.line("NAK\n")
	case multiAck:
		pw.line("ACK " + common[len(common)-1].String() + "\n")
	}
	if pw.err != nil {
		return
	}
	rc := http.NewResponseController(w)
	out := stallWriter{w: w, rc: rc}
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	var data io.Writer = out
	var progress io.Writer
	band, small := sideband(req.caps)
	if band {
		data = bandWriter{w: out, band: bandData, small: small}
		if !req.caps["no-progress"] {
			progress = flushed{bandWriter{w: out, band: bandProgress, small: small}, rc}
		}
	}
	release, err := acquire(r.Context(), h.packs)
	if err != nil {
		return
	}
	defer release()
	// Whole side-band packets, not one per write of the pack writer.
	buf := bufio.NewWriterSize(data, maxPktPayload-1)
	stats, err := h.store.SendPack(r.Context(), buf, gitstore.SendRequest{
		Wants: req.wants, Haves: common, OfsDelta: req.caps["ofs-delta"], ThinPack: req.caps["thin-pack"],
		Progress: progress})
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		if r.Context().Err() == nil {
			h.log.Error("send pack", "wants", len(req.wants), "haves", len(common), "err", err)
		}
		if band {
			msg := "the server could not send the pack: " + wiki.ErrorMessage(err)
			_, _ = bandWriter{w: w, band: bandError, small: small}.Write([]byte(msg + "\n"))
		}
		return
	}
	if band {
		pw.flush()
	}
	h.log.Debug("upload-pack", "wants", len(req.wants), "haves", len(req.haves), "common", len(common),
		"objects", stats.Objects, "commits", stats.Commits, "deltas", stats.Deltas, "reused", stats.Reused, "bytes", stats.Bytes,
		"took", since(start), "user", identity(r))
}

// sendStall is how long the pack waits for a client that stops reading
// it before the connection is dropped. The server has no write timeout,
// which would cut off slow but steady clones of a large wiki; without
// this, a client that stops reading would keep one of the few pack slots
// (maxConcurrentPacks) forever.
var sendStall atomic.Int64 // nanoseconds; defaultSendStall when 0

const defaultSendStall = 2 * time.Minute

// stallWriter moves the connection's write deadline sendStall ahead of
// each write.
type stallWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (s stallWriter) Write(p []byte) (int, error) {
	stall := time.Duration(sendStall.Load())
	if stall == 0 {
		stall = defaultSendStall
	}
	_ = s.rc.SetWriteDeadline(time.Now().Add(stall))
	return s.w.Write(p)
}

// flushed sends each write to the client at once, for progress lines.
type flushed struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f flushed) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		_ = f.rc.Flush()
	}
	return n, err
}
