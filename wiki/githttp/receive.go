package githttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/gitstore"
)

// maxCommands bounds the ref updates one push may ask for.
const maxCommands = 10000

// maxProblems bounds the problem lines a push prints.
const maxProblems = 100

// command is one ref update of a push and, once decided, why it was
// refused ("" while it stands).
type command struct {
	old, new plumbing.Hash
	name     string
	reason   string
}

func (c *command) refuse(reason string) {
	if c.reason == "" {
		c.reason = reason
	}
}

// receivePack serves POST /wiki.git/git-receive-pack: a push. The pack is
// read into memory and checked before anything is written: a refused push
// leaves the repository exactly as it was. main must move forward from the
// commit the client saw, and every page the push adds or changes on it
// must be free of errors; other branches and tags are kept as drafts
// without checks. Problems are printed by git as "remote:" lines.
func (h *Handler) receivePack(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	body, closeBody, err := requestBody(r, h.cfg.MaxPushBytes+maxRequestBytes)
	if err != nil {
		textError(w, http.StatusBadRequest, "Malformed receive-pack request: "+err.Error()+".")
		return
	}
	defer closeBody()
	pr := newPktReader(body)
	cmds, caps, shallow, err := parseCommands(pr)
	if err != nil {
		var pe *errProtocol
		if errors.As(err, &pe) {
			textError(w, http.StatusBadRequest, "Malformed receive-pack request: "+pe.msg+".")
		} else {
			textError(w, http.StatusBadRequest, "The receive-pack request could not be read.")
		}
		return
	}
	w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
	noCache(w)
	if len(cmds) == 0 {
		// A flush alone: git's probe before a large push (http.postBuffer)
		// or a push with nothing to do. An empty answer lets it go on.
		return
	}
	band, small := sideband(caps)
	rep := &reporter{w: w, sideband: band, small: small, report: caps["report-status"]}
	release, err := acquire(ctx, h.pushes)
	if err != nil {
		return
	}
	defer release()
	in, err := h.store.ReceivePack(ctx, pr.rest(), h.cfg.MaxPushBytes)
	if err != nil {
		unpack := "error reading the pack"
		switch wiki.ErrorCode(err) {
		case wiki.ETOOLARGE:
			// Read what is left, up to 32 MiB more, so git is still
			// listening when the refusal arrives; a push far over the
			// limit may see the connection close instead.
			_, _ = io.Copy(io.Discard, io.LimitReader(pr.rest(), maxRequestBytes))
			unpack = "pack too large"
			rep.msg("error: " + wiki.ErrorMessage(err) + " Push in smaller parts, or raise --max-push-mb.")
		case wiki.EINVALID:
			rep.msg("error: " + wiki.ErrorMessage(err))
		default:
			h.log.Error("receive pack", "err", err)
			unpack = "internal error"
		}
		for _, c := range cmds {
			c.refuse("unpacker error")
		}
		rep.finish(unpack, cmds)
		h.logPush(r, cmds, nil, start)
		return
	}
	if shallow {
		rep.msg("error: pushes from shallow clones are not supported by this server; clone without --depth and push from there")
		for _, c := range cmds {
			c.refuse("shallow push refused")
		}
	}
	var mainCmd *command
	for _, c := range cmds {
		h.check(ctx, in, c, rep)
		if c.name == gitstore.MainRef {
			mainCmd = c
		}
	}
	h.apply(ctx, r, in, cmds, rep)
	if mainCmd != nil && mainCmd.reason == "" && h.cfg.AfterPush != nil {
		if err := h.cfg.AfterPush(ctx); err != nil {
			h.log.Warn("views after push", "err", err)
			rep.msg("warning: the wiki is still catching up with this push; the pages will show it shortly")
		}
	}
	rep.finish("ok", cmds)
	h.logPush(r, cmds, in, start)
}

// parseCommands reads the ref updates and capabilities up to the flush.
func parseCommands(pr *pktReader) (cmds []*command, caps map[string]bool, shallow bool, err error) {
	caps = map[string]bool{}
	for {
		line, flush, err := pr.next()
		if errors.Is(err, io.EOF) {
			if len(cmds) == 0 {
				return nil, caps, false, nil
			}
			return nil, nil, false, protocolErrorf("the commands end before their flush-pkt")
		}
		if err != nil {
			return nil, nil, false, err
		}
		if flush {
			return cmds, caps, shallow, nil
		}
		l := strings.TrimSuffix(string(line), "\n")
		if len(cmds) == 0 {
			var cs string
			l, cs, _ = strings.Cut(l, "\x00")
			for c := range strings.FieldsSeq(cs) {
				name, _, _ := strings.Cut(c, "=")
				caps[name] = true
			}
		}
		if strings.HasPrefix(l, "shallow ") {
			shallow = true
			continue
		}
		f := strings.Split(l, " ")
		if len(f) != 3 || !plumbing.IsHash(f[0]) || !plumbing.IsHash(f[1]) || f[2] == "" {
			return nil, nil, false, protocolErrorf("malformed command %q", l)
		}
		if len(cmds) == maxCommands {
			return nil, nil, false, protocolErrorf("more than %d ref updates", maxCommands)
		}
		cmds = append(cmds, &command{old: plumbing.NewHash(f[0]), new: plumbing.NewHash(f[1]), name: f[2]})
	}
}

// check decides whether one update may be applied, short of the
// compare-and-swap itself.
func (h *Handler) check(ctx context.Context, in *gitstore.Incoming, c *command, rep *reporter) {
	if c.reason != "" {
		return
	}
	if h.cfg.ReadOnly != "" {
		rep.problem("error: " + h.cfg.ReadOnly)
		c.refuse("read-only replica")
		return
	}
	if msg := gitstore.ValidRefName(c.name); msg != "" {
		c.refuse(msg)
		return
	}
	if !c.new.IsZero() {
		typ, err := in.Check(ctx, c.new)
		if err != nil {
			rep.problem("error: " + wiki.ErrorMessage(err))
			c.refuse("the push holds objects git refuses; see the messages above")
			return
		}
		if strings.HasPrefix(c.name, "refs/heads/") && typ != plumbing.CommitObject {
			c.refuse("a branch must point at a commit, not a " + typ.String())
			return
		}
	}
	if c.name != gitstore.MainRef {
		return
	}
	if c.new.IsZero() {
		c.refuse("main is the wiki and cannot be deleted")
		return
	}
	cur := plumbing.ZeroHash
	if head, err := h.store.Head(ctx); err == nil {
		cur = plumbing.NewHash(head)
	} else if !errors.Is(err, wiki.ErrEmpty) {
		h.log.Error("read main", "err", err)
		c.refuse("internal error")
		return
	}
	if c.old != cur {
		c.refuse("fetch first: main moved since your last fetch")
		return
	}
	if !c.old.IsZero() {
		ok, err := in.IsAncestor(ctx, c.old, c.new)
		if err != nil {
			rep.msg("error: " + wiki.ErrorMessage(err))
			c.refuse("missing or malformed objects")
			return
		}
		if !ok {
			c.refuse("non-fast-forward")
			return
		}
	}
	// Who may change what is decided by the CODEOWNERS file main has
	// before the push, as branch protection judges a pull request by the
	// base branch's file: a push that changes CODEOWNERS is judged by the
	// old one, so nobody grants themselves a path in the push that uses it.
	owned, err := h.checkOwners(ctx, in, c.old, c.new, rep)
	if err != nil {
		h.log.Error("check pushed files against CODEOWNERS", "err", err)
		c.refuse("internal error while checking CODEOWNERS")
		return
	}
	n, err := h.validate(ctx, in, c.old, c.new, rep)
	switch {
	case err != nil:
		h.log.Error("check pushed pages", "err", err)
		c.refuse("internal error while checking the pages")
	case owned == 1:
		c.refuse("1 file you may not change (CODEOWNERS); see the messages above")
	case owned > 1:
		c.refuse(fmt.Sprintf("%d files you may not change (CODEOWNERS); see the messages above", owned))
	case n == 1:
		c.refuse("1 error in the pushed pages; see the messages above")
	case n > 1:
		c.refuse(fmt.Sprintf("%d errors in the pushed pages; see the messages above", n))
	}
}

// validate checks every file the push adds or changes between old and
// new (the result, not each commit on the way) through the gate every
// write to the wiki passes, prints its problems, and returns how many
// errors there are. Files that only go away are not checked, so a bad
// name can always be deleted.
func (h *Handler) validate(ctx context.Context, in *gitstore.Incoming, old, new plumbing.Hash, rep *reporter) (int, error) {
	changes, err := in.Diff(ctx, old, new)
	if err != nil {
		return 0, err
	}
	// Pages are read under the settings the push leaves in force: its own
	// settings file when it changes one, else those main has now.
	var settings *wiki.Settings
	if !old.IsZero() {
		if settings, err = wiki.ReadSettings(ctx, h.store, old.String()); err != nil {
			return 0, err
		}
	}
	for _, c := range changes {
		if !c.Path.IsSettings() {
			continue
		}
		settings = nil
		if c.Kind != wiki.Deleted {
			content, err := in.ReadBlob(ctx, c.Blob)
			if err != nil {
				return 0, err
			}
			settings = wiki.ParseSettings(content, c.Blob)
		}
	}
	errs := 0
	now := time.Now()
	// The files the push writes count as updated now, for a postmortem
	// closed in the same push that updates its runbooks.
	var pushed []wiki.Path
	for _, c := range changes {
		if c.Kind != wiki.Deleted {
			pushed = append(pushed, c.Path)
		}
	}
	for _, c := range changes {
		if c.Kind == wiki.Deleted {
			continue
		}
		if err := wiki.CheckWritePath(c.Path); err != nil {
			errs++ // before reading anything of a file that may not be
			rep.problem(pathProblem(c.Path, err))
			continue
		}
		content, err := in.ReadBlob(ctx, c.Blob)
		if err != nil {
			return 0, err
		}
		doc, err := h.cfg.Gate.CheckFile(c.Path, content, settings)
		if err == nil {
			err = h.cfg.Gate.CheckClose(ctx, doc, settings, pushed)
		}
		var ve *wiki.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, p := range ve.Problems {
				errs++
				rep.problem(formatProblem(p))
			}
		case err != nil:
			errs++
			rep.problem(pathProblem(c.Path, err))
		}
		if doc == nil {
			continue
		}
		// Links are not checked here: the pages they lead to may come
		// with the same push. The page view and the report show them.
		for _, p := range wiki.Problems(doc, nil, now) {
			if p.Severity == wiki.SeverityWarning {
				rep.problem(formatProblem(p))
			}
		}
	}
	return errs, nil
}

// pathProblem prints a refused path as "error: path: why", whether or not
// the message already starts with the path.
func pathProblem(p wiki.Path, err error) string {
	msg := wiki.ErrorMessage(err)
	if !strings.HasPrefix(msg, string(p)+": ") {
		msg = string(p) + ": " + msg
	}
	return "error: " + strings.ReplaceAll(msg, "\n", " ")
}

// formatProblem prints a problem as compilers do: "error: path:line: text".
func formatProblem(p wiki.Problem) string {
	msg := strings.ReplaceAll(p.Message, "\n", " ")
	if p.Line > 0 {
		return fmt.Sprintf("%s: %s:%d: %s", p.Severity, p.Path, p.Line, msg)
	}
	return fmt.Sprintf("%s: %s: %s", p.Severity, p.Path, msg)
}

// apply writes the objects the standing updates need and swaps each ref.
func (h *Handler) apply(ctx context.Context, r *http.Request, in *gitstore.Incoming, cmds []*command, rep *reporter) {
	var tips []plumbing.Hash
	var todo []*command
	for _, c := range cmds {
		if c.reason != "" {
			continue
		}
		todo = append(todo, c)
		if !c.new.IsZero() {
			tips = append(tips, c.new)
		}
	}
	if len(todo) == 0 {
		return
	}
	if err := in.Accept(ctx, tips...); err != nil {
		h.log.Error("write pushed objects", "err", err)
		for _, c := range todo {
			c.refuse("internal error while writing the objects")
		}
		return
	}
	ups := make([]gitstore.RefUpdate, len(todo))
	for i, c := range todo {
		ups[i] = gitstore.RefUpdate{Name: c.name, Old: c.old, New: c.new}
	}
	who := wiki.Signature{Name: "git push", Email: "opswiki@localhost"}
	if name := identity(r); name != "" {
		who.Name = name
	}
	for i, err := range h.store.UpdateRefs(ctx, ups, who, "push") {
		c := todo[i]
		switch {
		case err == nil:
		case errors.Is(err, gitstore.ErrUpstreamAhead):
			c.refuse("fetch first: " + strings.TrimSuffix(wiki.ErrorMessage(err), "."))
		case errors.Is(err, wiki.ErrRefMoved) && c.name == gitstore.MainRef:
			c.refuse("fetch first: main moved during the push; fetch and push again")
		case errors.Is(err, wiki.ErrRefMoved):
			c.refuse("fetch first: the ref moved since your last fetch")
		case wiki.ErrorCode(err) == wiki.EINTERNAL:
			h.log.Error("update ref", "ref", c.name, "err", err)
			c.refuse("internal error")
		default:
			c.refuse(strings.TrimSuffix(wiki.ErrorMessage(err), "."))
		}
	}
}

func (h *Handler) logPush(r *http.Request, cmds []*command, in *gitstore.Incoming, start time.Time) {
	args := []any{"took", since(start), "user", identity(r)}
	if in != nil {
		args = append(args, "objects", in.Objects(), "bytes", in.Bytes())
	}
	for _, c := range cmds {
		status := "ok"
		if c.reason != "" {
			status = c.reason
		}
		h.log.Info("push", append([]any{"ref", c.name, "old", c.old.String()[:10], "new", c.new.String()[:10], "status", status}, args...)...)
	}
}
