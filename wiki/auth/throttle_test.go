package auth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/opswiki/opswiki/wiki"
	"github.com/opswiki/opswiki/wiki/auth"
)

// mustThrottle returns a throttle with small numbers, on a clock the test
// moves.
func mustThrottle(tb testing.TB) (*auth.Throttle, *time.Time) {
	tb.Helper()
	now := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	t := auth.NewThrottle(auth.ThrottlePolicy{PairFree: 3, AccountFree: 6, AddressFree: 10,
		FirstWait: time.Second, MaxWait: time.Minute, Forget: time.Hour, Remember: 24 * time.Hour, MaxEntries: 1000})
	t.Now = func() time.Time { return now }
	return t, &now
}

// attempt tries to sign in as name from addr with a right or wrong
// password, and returns the wait when the throttle holds it back.
func attempt(th *auth.Throttle, addr, name string, ok bool) time.Duration {
	wait, done := th.Begin(addr, name)
	if wait > 0 {
		return wait
	}
	done(ok)
	return 0
}

// failN makes n wrong guesses, each as soon as the throttle allows it.
func failN(tb testing.TB, th *auth.Throttle, now *time.Time, n int, addr, name string) {
	tb.Helper()
	for range n {
		*now = now.Add(th.Wait(addr, name))
		if w := attempt(th, addr, name, false); w != 0 {
			tb.Fatalf("held back for %s right after waiting", w)
		}
	}
}

func TestThrottle(t *testing.T) {
	const a, b = "192.0.2.1", "198.51.100.7"
	t.Run("AccountFromAddress", func(t *testing.T) {
		th, now := mustThrottle(t)
		failN(t, th, now, 2, a, "ana")
		if w := attempt(th, a, "ana", false); w != 0 {
			t.Fatalf("within the free failures: wait %s", w)
		}
		if w := attempt(th, a, "ana", true); w != time.Second {
			t.Fatalf("after the free failures, even the right password: wait %s, want 1s", w)
		}
		if w := th.Wait(a, "bo"); w != 0 {
			t.Fatalf("another account from the same address waits %s", w)
		}
		if w := th.Wait(b, "ana"); w != 0 {
			t.Fatalf("the same account from another address waits %s", w)
		}
	})
	t.Run("ExponentialUpToMax", func(t *testing.T) {
		th, now := mustThrottle(t)
		failN(t, th, now, 3, a, "ana")
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute} {
			if w := th.Wait(a, "ana"); w != want {
				t.Fatalf("after %d failures: wait %s, want %s", i+3, w, want)
			}
			*now = now.Add(want - time.Millisecond)
			if w := attempt(th, a, "ana", false); w != time.Millisecond {
				t.Fatalf("a millisecond early: wait %s", w)
			}
			*now = now.Add(time.Millisecond)
			if w := attempt(th, a, "ana", false); w != 0 {
				t.Fatalf("held back for %s after waiting", w)
			}
		}
	})
	t.Run("Forgotten", func(t *testing.T) {
		th, now := mustThrottle(t)
		failN(t, th, now, 20, a, "ana")
		*now = now.Add(time.Hour + time.Second)
		if w := th.Wait(a, "ana"); w != 0 {
			t.Fatalf("an hour after the last failure: wait %s", w)
		}
		failN(t, th, now, 1, a, "ana")
		if w := th.Wait(a, "ana"); w != 0 {
			t.Fatalf("forgotten failures still count: wait %s", w)
		}
	})
	t.Run("RightPasswordClearsTheAddress", func(t *testing.T) {
		th, now := mustThrottle(t)
		failN(t, th, now, 2, a, "ana")
		if w := attempt(th, a, "ana", true); w != 0 {
			t.Fatalf("right password: wait %s", w)
		}
		failN(t, th, now, 2, a, "ana")
		if w := th.Wait(a, "ana"); w != 0 {
			t.Fatalf("failures before the right password still count: wait %s", w)
		}
	})
	t.Run("ParallelGuesses", func(t *testing.T) {
		th, _ := mustThrottle(t)
		var pending []func(bool)
		for range 3 {
			w, done := th.Begin(a, "ana")
			if w != 0 {
				t.Fatalf("guess %d in flight held back: %s", len(pending)+1, w)
			}
			pending = append(pending, done)
		}
		if w, _ := th.Begin(a, "ana"); w == 0 {
			t.Fatal("a fourth guess in parallel was let through before the first three were counted")
		}
		for _, done := range pending {
			done(false)
			done(false) // settling twice counts once
		}
		if w := th.Wait(a, "ana"); w != time.Second {
			t.Fatalf("after three failed parallel guesses: wait %s, want 1s", w)
		}
	})
	t.Run("AccountFromManyAddresses", func(t *testing.T) {
		th, now := mustThrottle(t)
		attempt(th, "203.0.113.5", "ana", true)
		for i := range 6 {
			failN(t, th, now, 1, fmt.Sprintf("10.0.0.%d", i), "ana")
		}
		if w := th.Wait("10.0.1.1", "ana"); w != time.Second {
			t.Fatalf("a new address for a guessed account: wait %s, want 1s", w)
		}
		if w := attempt(th, "203.0.113.5", "ana", true); w != 0 {
			t.Fatalf("the address ana signed in from is held back by guesses elsewhere: %s", w)
		}
		if w := th.Wait("10.0.1.1", "bo"); w != 0 {
			t.Fatalf("another account waits %s", w)
		}
	})
	t.Run("AddressHoldsBackOnlyFailingAccounts", func(t *testing.T) {
		th, now := mustThrottle(t)
		for i := range 10 {
			if w := attempt(th, a, fmt.Sprintf("sprayed%d", i), false); w != 0 {
				t.Fatalf("first guess for a fresh name held back %s", w)
			}
		}
		if w := th.Wait(a, "sprayed0"); w != time.Second {
			t.Fatalf("a sprayed account from the spraying address: wait %s, want 1s", w)
		}
		if w := attempt(th, a, "bo", true); w != 0 {
			t.Fatalf("bo's right password behind the address's failures: wait %s", w)
		}
		if w := attempt(th, a, "no-such-user", false); w != 0 {
			t.Fatalf("a fresh unknown name: wait %s", w)
		}
		if w := th.Wait(a, "no-such-user"); w != 2*time.Second {
			t.Fatalf("a name that failed once from the throttled address: wait %s, want 2s", w)
		}
		if w := th.Wait(b, "sprayed0"); w != 0 {
			t.Fatalf("a sprayed account from elsewhere waits %s", w)
		}
		*now = now.Add(2 * time.Second)
		if w := attempt(th, a, "sprayed1", true); w != 0 {
			t.Fatalf("a right password after the wait: %s", w)
		}
		failN(t, th, now, 1, a, "sprayed2")
		if th.Wait(a, "sprayed3") == 0 || th.Wait(a, "sprayed1") != 0 {
			t.Fatalf("after sprayed1 signed in: sprayed3 waits %s, sprayed1 %s", th.Wait(a, "sprayed3"), th.Wait(a, "sprayed1"))
		}
	})
	t.Run("IPv6By64", func(t *testing.T) {
		th, now := mustThrottle(t)
		for i := range 3 {
			failN(t, th, now, 1, fmt.Sprintf("2001:db8:1:2::%x", i+1), "ana")
		}
		if w := th.Wait("2001:db8:1:2:ffff::9", "ana"); w != time.Second {
			t.Fatalf("another address of the same /64: wait %s, want 1s", w)
		}
		if w := th.Wait("2001:db8:1:3::1", "ana"); w != 0 {
			t.Fatalf("another /64: wait %s", w)
		}
	})
	t.Run("RecentFailuresSurviveTheMemoryBound", func(t *testing.T) {
		th, now := mustThrottle(t)
		for i := range 5000 {
			attempt(th, fmt.Sprintf("10.%d.%d.1", i/250, i%250), fmt.Sprintf("u%d", i), false)
		}
		*now = now.Add(time.Second)
		failN(t, th, now, 3, a, "ana")
		if w := th.Wait(a, "ana"); w != time.Second {
			t.Fatalf("recent failures lost while bounding memory: wait %s", w)
		}
	})
}

func TestCheckPasswordThrottled(t *testing.T) {
	a := MustAuth(t)
	tok, _, err := a.Tokens.Create("ana", "ci")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/-/signin", nil)
	var last error
	for range auth.DefaultThrottlePolicy.PairFree + 1 {
		last = a.CheckPassword(r, "ana", "guess")
	}
	if wiki.ErrorCode(last) != wiki.ETHROTTLED {
		t.Fatalf("attempt after the free failures: %v, want ETHROTTLED", last)
	}
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(last, &ra) || ra.RetryAfter() <= 0 {
		t.Fatalf("throttled error without a wait: %v", last)
	}
	if err := a.CheckPassword(r, "ana", "ana-pw"); wiki.ErrorCode(err) != wiki.ETHROTTLED {
		t.Fatalf("ana's own right password while her account is held back from this address: %v", err)
	}
	if err := a.CheckPassword(r, "bo", "bo-pw"); err != nil {
		t.Fatalf("bo's right password from the same address: %v", err)
	}
	for _, set := range []func(*http.Request){
		func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) },
		func(r *http.Request) { r.SetBasicAuth("ana", tok) },
	} {
		req := httptest.NewRequest("GET", "/", nil)
		set(req)
		if u, err := a.Identify(req); err != nil || u == nil || u.Name != "ana" {
			t.Fatalf("ana's token while her password is throttled: %+v %v", u, err)
		}
	}
}

func TestClientAddr(t *testing.T) {
	a := MustAuth(t)
	a.Trusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		name, peer, xff, want string
	}{
		{"Direct", "192.0.2.1:5000", "", "192.0.2.1"},
		{"UntrustedPeerIgnoresHeader", "192.0.2.1:5000", "198.51.100.1", "192.0.2.1"},
		{"ThroughProxy", "10.0.0.2:5000", "198.51.100.1", "198.51.100.1"},
		{"SpoofedLeftIgnored", "10.0.0.2:5000", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"ProxyChain", "10.0.0.2:5000", "198.51.100.1, 10.0.0.9", "198.51.100.1"},
		{"Garbage", "10.0.0.2:5000", "not-an-ip", "10.0.0.2"},
		{"OnlyProxies", "10.0.0.2:5000", "10.0.0.3", "10.0.0.3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := a.ClientAddr(r); got != tt.want {
				t.Fatalf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}
