package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opswiki/opswiki/wiki"
)

// statusOf maps error codes to HTTP status codes, in this one place.
var statusOf = map[string]int{
	wiki.ECONFLICT:       http.StatusConflict,
	wiki.EINTERNAL:       http.StatusInternalServerError,
	wiki.EINVALID:        http.StatusBadRequest,
	wiki.EDOCUMENT:       http.StatusUnprocessableEntity,
	wiki.ENOTFOUND:       http.StatusNotFound,
	wiki.ENOTIMPLEMENTED: http.StatusNotImplemented,
	wiki.EUNAUTHORIZED:   http.StatusUnauthorized,
	wiki.EFORBIDDEN:      http.StatusForbidden,
	wiki.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	wiki.EUNAVAILABLE:    http.StatusServiceUnavailable,
	wiki.ETHROTTLED:      http.StatusTooManyRequests,
	wiki.EMISDIRECTED:    http.StatusMisdirectedRequest,
	wiki.ETIMEOUT:        http.StatusRequestTimeout,
}

// ErrorView is the HTML error page.
type ErrorView struct {
	Layout
	Heading   string
	Message   string
	RequestID string
}

// statusClientClosed is what the log shows for a request whose client left
// before the answer was ready.
const statusClientClosed = 499

// apiError is the JSON body of an error response.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// handleError renders every error a handler returns: JSON for the API,
// an HTML page otherwise. Internal errors are logged with their cause and
// shown only as "Internal error."
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if c.Request().Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client went away while the answer was being made: nobody
		// reads it (499 is nginx's "client closed request"), and it is no
		// failure of the server.
		_ = c.NoContent(statusClientClosed)
		return
	}
	code, msg := wiki.ErrorCode(err), wiki.ErrorMessage(err)
	status := statusOf[code]
	var he *echo.HTTPError
	if errors.As(err, &he) {
		// Errors raised by echo itself: unknown method, bad binding.
		status, code = he.Code, wiki.EINVALID
		msg = http.StatusText(he.Code) + "."
		if he.Code == http.StatusNotFound {
			code = wiki.ENOTFOUND
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "request_id", reqID, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if !wantsHTML(c.Request()) {
		var body apiError
		body.Error.Code, body.Error.Message = code, msg
		_ = c.JSON(status, body)
		return
	}
	v := ErrorView{Layout: s.layout(http.StatusText(status)), Heading: http.StatusText(status), Message: msg, RequestID: reqID}
	if err := s.html(c, status, "error", v); err != nil {
		s.log.Error("render error page", "err", err)
		_ = c.String(status, msg)
	}
}
