package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"

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
