package githttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxPktPayload is the largest pkt-line payload git sends or accepts.
const maxPktPayload = 65520 - 4

// errProtocol reports a malformed request: what git itself would die on.
type errProtocol struct{ msg string }

func (e *errProtocol) Error() string { return e.msg }

func protocolErrorf(format string, args ...any) error {
	return &errProtocol{msg: fmt.Sprintf(format, args...)}
}

// pktReader reads pkt-lines (git's length-prefixed framing).
type pktReader struct {
	r   *bufio.Reader
	buf [maxPktPayload]byte
}

func newPktReader(r io.Reader) *pktReader { return &pktReader{r: bufio.NewReaderSize(r, 64<<10)} }

// next returns the next line's payload, which is valid until the next
// call; flush is true for a flush-pkt ("0000"). It returns io.EOF at a
// clean end of input.
func (p *pktReader) next() (line []byte, flush bool, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, false, io.EOF
		}
		return nil, false, protocolErrorf("truncated pkt-line length")
	}
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return nil, false, protocolErrorf("bad pkt-line length %q", hdr[:])
	}
	switch {
	case n == 0:
		return nil, true, nil
	case n < 4:
		return nil, false, protocolErrorf("unexpected special packet %04x (protocol v2 is not served; use protocol v0/v1)", n)
	case n-4 > maxPktPayload:
		return nil, false, protocolErrorf("pkt-line too long (%d bytes)", n)
	}
	line = p.buf[:n-4]
	if _, err := io.ReadFull(p.r, line); err != nil {
		return nil, false, protocolErrorf("truncated pkt-line")
	}
	return line, false, nil
}

// rest returns the input after the lines read so far (a pushed pack).
func (p *pktReader) rest() io.Reader { return p.r }

// pktWriter writes pkt-lines, remembering the first error.
type pktWriter struct {
	w   io.Writer
	err error
}

func (p *pktWriter) line(s string) {
	if p.err != nil {
		return
	}
	if len(s) > maxPktPayload {
		s = s[:maxPktPayload]
	}
	_, p.err = fmt.Fprintf(p.w, "%04x%s", len(s)+4, s)
}

func (p *pktWriter) flush() {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, "0000")
	}
}

// Side-band channels: pack data, progress messages, a fatal error.
const (
	bandData     = 1
	bandProgress = 2
	bandError    = 3
)

// bandWriter writes everything it is given to one side-band channel,
// split into packets of at most 64 KiB as side-band-64k allows, or of
// 1000 bytes for a client that asked for plain side-band.
type bandWriter struct {
	w     io.Writer
	band  byte
	small bool
}

// sideband returns how the client asked for side-band, if it did.
func sideband(caps map[string]bool) (on, small bool) {
	return caps["side-band-64k"] || caps["side-band"], !caps["side-band-64k"]
}

func (b bandWriter) Write(p []byte) (int, error) {
	max := maxPktPayload - 1
	if b.small {
		max = 1000 - 5
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), max)
		if _, err := fmt.Fprintf(b.w, "%04x%c", n+5, b.band); err != nil {
			return written, err
		}
		if _, err := b.w.Write(p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}
