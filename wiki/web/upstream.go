package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// maxHookBytes bounds a push webhook's body; GitHub caps theirs at 25 MB
// but a push of a runbooks repository is a few KB.
const maxHookBytes = 1 << 20

// seenDeliveries remembers the webhook deliveries already taken, so a
// replayed request (the same delivery id again) changes nothing.
type seenDeliveries struct {
	mu    sync.Mutex
	ids   map[string]bool
	order []string
}

func (s *seenDeliveries) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	if s.ids[id] {
		return false
	}
	s.ids[id] = true
	s.order = append(s.order, id)
	if len(s.order) > 1000 {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
	return true
}

// VerifyPushHook checks a git host's push webhook against the secret, as
// each host signs it: GitHub's X-Hub-Signature-256 and Gitea's
// X-Gitea-Signature (HMAC-SHA256 of the body), GitLab's X-Gitlab-Token
// (the secret itself). It returns the delivery id ("" when the host sends
// none) or an error saying what is wrong.
func VerifyPushHook(h http.Header, body []byte, secret string) (string, error) {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := mac.Sum(nil)
	matches := func(got string) bool {
		b, err := hex.DecodeString(strings.TrimSpace(got))
		return err == nil && hmac.Equal(b, want)
	}
	switch {
	case h.Get("X-Hub-Signature-256") != "":
		sig, ok := strings.CutPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
		if !ok || !matches(sig) {
			return "", wiki.Errorf(wiki.EUNAUTHORIZED, "The X-Hub-Signature-256 does not match the body signed with the webhook's secret.")
		}
		return h.Get("X-GitHub-Delivery"), nil
	case h.Get("X-Gitea-Signature") != "":
		if !matches(h.Get("X-Gitea-Signature")) {
			return "", wiki.Errorf(wiki.EUNAUTHORIZED, "The X-Gitea-Signature does not match the body signed with the webhook's secret.")
		}
		return h.Get("X-Gitea-Delivery"), nil
	case h.Get("X-Gitlab-Token") != "":
		if subtle.ConstantTimeCompare([]byte(h.Get("X-Gitlab-Token")), []byte(secret)) != 1 {
			return "", wiki.Errorf(wiki.EUNAUTHORIZED, "The X-Gitlab-Token is not the webhook's secret.")
		}
		return h.Get("X-Gitlab-Event-UUID"), nil
	}
	return "", wiki.Errorf(wiki.EUNAUTHORIZED, "The webhook is not signed: set its secret on the git host (GitHub and Gitea sign the body, GitLab sends the token).")
}

// handleUpstreamHook serves POST /-/api/upstream/hook: the git host's push
// webhook, which makes a replica fetch its upstream now.
func (s *Server) handleUpstreamHook(c echo.Context) error {
	if s.cfg.UpstreamHookSecret == "" || s.cfg.UpstreamNotify == nil {
		return wiki.Errorf(wiki.ENOTFOUND, "The push webhook is off: start the wiki with --upstream and --upstream-hook-secret-file.")
	}
	r := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxHookBytes))
	if err != nil {
		return wiki.Errorf(wiki.ETOOLARGE, "The webhook's body is larger than %s.", wiki.ByteSize(maxHookBytes))
	}
	id, err := VerifyPushHook(r.Header, body, s.cfg.UpstreamHookSecret)
	if err != nil {
		return err
	}
	if id != "" && !s.hookDeliveries.add(id) {
		return c.JSON(http.StatusOK, map[string]any{"fetch": false, "why": "delivery " + id + " was taken already"})
	}
	s.cfg.UpstreamNotify()
	return c.JSON(http.StatusAccepted, map[string]any{"fetch": true})
}

// UpstreamState is how the wiki stands with its git host, for the banner,
// /readyz and the settings page.
type UpstreamState struct {
	URL    string `json:"url"`
	Branch string `json:"branch,omitempty"`
	// Ahead counts commits waiting for delivery; Behind the upstream's
	// commits not here yet.
	Ahead  int `json:"ahead"`
	Behind int `json:"behind"`
	// Down says why the upstream cannot be reached; empty when it can.
	Down      string    `json:"down,omitempty"`
	DownSince time.Time `json:"down_since,omitzero"`
	Contact   time.Time `json:"last_contact,omitzero"`
	// Conflicts are pages the last merge with the upstream left with both
	// versions between conflict markers.
	Conflicts []wiki.Path `json:"conflicts,omitempty"`
	ReadOnly  bool        `json:"read_only"`
}

// upstreamStateTTL is how long one look at the upstream's state serves
// page views: reading it costs two ref reads and, when they moved, a walk.
const upstreamStateTTL = 500 * time.Millisecond

// upstreamNow returns the upstream's state, looked at most every
// upstreamStateTTL; ok is false without an upstream.
func (s *Server) upstreamNow(ctx context.Context) (UpstreamState, bool) {
	if s.cfg.Upstream == nil {
		return UpstreamState{}, false
	}
	s.upMu.Lock()
	defer s.upMu.Unlock()
	if time.Since(s.upAt) > upstreamStateTTL {
		s.upState, s.upAt = s.cfg.Upstream(ctx), time.Now()
	}
	return s.upState, true
}

// upstreamBanner says, for every page, when the upstream cannot be
// reached or the wiki is not level with it; "" when all is well.
func (s *Server) upstreamBanner(ctx context.Context) string {
	st, ok := s.upstreamNow(ctx)
	if !ok {
		return ""
	}
	var b strings.Builder
	switch {
	case st.Down != "":
		fmt.Fprintf(&b, "The git host (%s) cannot be reached since %s UTC.", st.URL, st.DownSince.UTC().Format("2006-01-02 15:04"))
		if st.Ahead > 0 {
			fmt.Fprintf(&b, " %s saved here %s kept and will be delivered when it returns.", wiki.Plural(st.Ahead, "change"), isAre(st.Ahead))
		} else {
			b.WriteString(" Changes made there since may not show here yet; saves are kept and delivered when it returns.")
		}
	case st.Behind > 0:
		fmt.Fprintf(&b, "The wiki is %s behind the git host (%s) and is catching up.", wiki.Plural(st.Behind, "commit"), st.URL)
	case st.Ahead > 0:
		fmt.Fprintf(&b, "%s saved here %s being delivered to the git host (%s).", wiki.Plural(st.Ahead, "change"), isAre(st.Ahead), st.URL)
	}
	if len(st.Conflicts) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "The last merge with the git host kept both versions of %s changed on both sides: look for the conflict markers.", wiki.Plural(len(st.Conflicts), "page"))
	}
	return b.String()
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
