package githttp

import (
	"net/http"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Capabilities. Upload-pack: multi_ack_detailed is what git needs to
// negotiate over stateless HTTP; thin-pack lets a fetch get deltas on
// objects the client has; shallow and deepen-* are advertised so
// that git sends its depth request and prints our refusal, rather than its
// own vaguer "does not support shallow"; filter is not, so partial clones
// fall back to full ones with a warning. Receive-pack: no "no-thin", as
// thin packs are completed against the repository; no "atomic" or
// "push-options", which are not implemented.
const (
	uploadCaps  = "multi_ack_detailed side-band-64k thin-pack ofs-delta shallow deepen-since deepen-not deepen-relative no-progress"
	receiveCaps = "report-status delete-refs side-band-64k quiet ofs-delta"
)

// advertise serves GET /wiki.git/info/refs?service=...: the refs and
// capabilities, after the "# service=" line smart HTTP clients look for.
// A client asking for protocol v2 (Git-Protocol: version=2) gets v0,
// which it accepts.
func (h *Handler) advertise(w http.ResponseWriter, r *http.Request, service string) {
	refs, head, err := h.store.Refs()
	if err != nil {
		h.log.Error("list refs", "err", err)
		textError(w, http.StatusInternalServerError, "Internal error.")
		return
	}
	upload := service == "git-upload-pack"
	caps := receiveCaps
	if upload {
		caps = uploadCaps
	}
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	noCache(w)
	pw := &pktWriter{w: w}
	pw.line("# service=" + service + "\n")
	pw.flush()
	var lines []string
	if upload {
		for _, ref := range refs {
			if ref.Name == head {
				caps += " symref=HEAD:" + head
				lines = append(lines, ref.Hash.String()+" HEAD")
			}
		}
	}
	for _, ref := range refs {
		lines = append(lines, ref.Hash.String()+" "+ref.Name)
		if upload && strings.HasPrefix(ref.Name, "refs/tags/") {
			if target, ok := h.store.Peel(ref.Hash); ok {
				lines = append(lines, target.String()+" "+ref.Name+"^{}")
			}
		}
	}
	caps += " agent=" + h.cfg.Agent
	if len(lines) == 0 {
		lines = []string{plumbing.ZeroHash.String() + " capabilities^{}"}
	}
	pw.line(lines[0] + "\x00" + caps + "\n")
	for _, l := range lines[1:] {
		pw.line(l + "\n")
	}
	pw.flush()
}
