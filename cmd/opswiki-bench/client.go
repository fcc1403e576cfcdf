package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// httpClient is for the requests the bench makes one at a time.
var httpClient = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// get fetches a path of the server.
func (b *bench) get(ctx context.Context, path string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", b.server.URL+path, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	return send(req)
}

func send(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// mustGet fetches a path that must answer 200.
func (b *bench) mustGet(ctx context.Context, path string) (http.Header, []byte, error) {
	code, h, body, err := b.get(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if code != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %d %.200s", path, code, body)
	}
	return h, body, nil
}

// apiPage is what GET /-/api/pages/<name> answers.
type apiPage struct {
	Content string `json:"content"`
	Blob    string `json:"blob"`
}

// page reads a page through the JSON API; name is its path without .md.
func (b *bench) page(ctx context.Context, name string) (apiPage, error) {
	_, body, err := b.mustGet(ctx, "/-/api/pages/"+name)
	if err != nil {
		return apiPage{}, err
	}
	var p apiPage
	if err := json.Unmarshal(body, &p); err != nil {
		return apiPage{}, fmt.Errorf("page %s: %w", name, err)
	}
	return p, nil
}

// put saves a page as the browser's editor does and returns the status and
// the answer.
func (b *bench) put(ctx context.Context, name, content, base, message string) (int, []byte, error) {
	body, _ := json.Marshal(map[string]string{"content": content, "base": base, "message": message})
	req, err := http.NewRequestWithContext(ctx, "PUT", b.server.URL+"/-/api/pages/"+name, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	code, _, reply, err := send(req)
	return code, reply, err
}

// searchTotal returns how many pages a query finds.
func (b *bench) searchTotal(ctx context.Context, q string) (int, error) {
	_, body, err := b.mustGet(ctx, "/-/api/search?limit=1&q="+url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	var r struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, fmt.Errorf("search %q: %w", q, err)
	}
	return r.Total, nil
}

// waitFound polls the search until q finds at least n pages, for at most
// limit; it returns when it did.
func (b *bench) waitFound(ctx context.Context, q string, n int, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for {
		total, err := b.searchTotal(ctx, q)
		if err != nil {
			return time.Time{}, err
		}
		if total >= n {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("search for %q finds %d pages after %s, want %d", q, total, limit, n)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(200 * time.Microsecond):
		}
	}
}
