package auth

import (
	"net/netip"
	"sort"
	"sync"
	"time"
)

// ThrottlePolicy says how many failed sign-ins are free and how long the
// wait grows after them.
type ThrottlePolicy struct {
	// PairFree failures are free for one account from one address,
	// AccountFree for one account from all addresses together, and
	// AddressFree for all accounts from one address.
	PairFree, AccountFree, AddressFree int
	// FirstWait follows the last free failure; each further failure
	// doubles it, up to MaxWait.
	FirstWait, MaxWait time.Duration
	// Forget is how long after its last failure a count is dropped.
	Forget time.Duration
	// Remember is how long a correct password from an address vouches
	// for that account from that address.
	Remember time.Duration
	// MaxEntries bounds the counts and vouchers kept in memory.
	MaxEntries int
}

// DefaultThrottlePolicy is the policy of a running wiki.
var DefaultThrottlePolicy = ThrottlePolicy{PairFree: 5, AccountFree: 10, AddressFree: 20,
	FirstWait: time.Second, MaxWait: 15 * time.Minute, Forget: time.Hour, Remember: 30 * 24 * time.Hour, MaxEntries: 100_000}

// Throttle slows password guessing without locking people out. Failures
// are counted per account and address together, per account, and per
// address, each with its own free allowance and an exponential wait after
// it. What a wait holds back is narrow:
//
//   - the account-and-address wait holds back that account from that
//     address only, so someone guessing elsewhere never locks a user out;
//   - the account wait holds back that account from addresses that have
//     not signed in to it with its password before, so a guesser spread
//     over many addresses is slowed while its owner keeps working;
//   - the address wait holds back, from that address, only accounts that
//     are failing themselves, so colleagues behind the same proxy sign in
//     while one of them (or a password sprayer) is being slowed, and a
//     sprayer gets one guess per account before every further one waits.
//
// Unknown and known names are treated alike, so the answers do not tell
// which accounts exist.
type Throttle struct {
	policy ThrottlePolicy
	// Now returns the current time; tests set it.
	Now func() time.Time

	mu       sync.Mutex
	failures map[throttleKey]*failures
	vouched  map[throttleKey]time.Time
}

type throttleKey struct {
	kind       byte // 'p' account and address, 'u' account, 'a' address
	addr, name string
}

type failures struct {
	n int
	// pending are attempts being checked now: they count as failures
	// until they turn out otherwise, so guesses sent in parallel do not
	// all slip through before the first is counted.
	pending int
	last    time.Time
}

// NewThrottle returns a throttle with policy p.
func NewThrottle(p ThrottlePolicy) *Throttle {
	return &Throttle{policy: p, Now: time.Now, failures: map[throttleKey]*failures{}, vouched: map[throttleKey]time.Time{}}
}

func keys(addr, name string) [3]throttleKey {
	return [3]throttleKey{{'p', addr, name}, {'u', "", name}, {'a', addr, ""}}
}

// Wait returns how long an attempt to sign in as name from addr must wait
// before its password may be checked; 0 means check it now.
func (t *Throttle) Wait(addr, name string) time.Duration {
	now := t.Now()
	addr = addressKey(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waitLocked(addr, name, now)
}

func (t *Throttle) waitLocked(addr, name string, now time.Time) time.Duration {
	p := t.policy
	until := t.until(throttleKey{'p', addr, name}, p.PairFree, now)
	if !t.vouchedLocked(addr, name, now) {
		until = later(until, t.until(throttleKey{'u', "", name}, p.AccountFree, now))
		if f := t.live(throttleKey{'u', "", name}, now); f != nil && f.n > 0 {
			until = later(until, t.until(throttleKey{'a', addr, ""}, p.AddressFree, now))
		}
	}
	if until.After(now) {
		return until.Sub(now)
	}
	return 0
}

// Begin asks to check a password for name from addr. It returns how long
// to wait before asking again, or 0 and a function to call with whether
// the password was right.
func (t *Throttle) Begin(addr, name string) (time.Duration, func(ok bool)) {
	now := t.Now()
	addr = addressKey(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	if wait := t.waitLocked(addr, name, now); wait > 0 {
		return wait, nil
	}
	if len(t.failures) >= t.policy.MaxEntries {
		t.sweepLocked(now)
	}
	for _, k := range keys(addr, name) {
		f := t.live(k, now)
		if f == nil {
			f = &failures{}
			t.failures[k] = f
		}
		f.pending++
	}
	var once sync.Once
	return 0, func(ok bool) { once.Do(func() { t.end(addr, name, ok) }) }
}

// end settles an attempt Begin let through.
func (t *Throttle) end(addr, name string, ok bool) {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys(addr, name) {
		f := t.failures[k]
		if f == nil {
			continue // dropped to bound memory meanwhile
		}
		f.pending = max(f.pending-1, 0)
		switch {
		case !ok:
			f.n++
			f.last = now
		case k.kind == 'p':
			// A right password clears this address's failures for the
			// account, not the account's or the address's own: a guesser
			// who knows one password must not wipe out the count of
			// guesses at others.
			f.n = 0
		}
		if f.n == 0 && f.pending == 0 {
			delete(t.failures, k)
		}
	}
	if ok {
		if len(t.vouched) >= t.policy.MaxEntries {
			t.sweepLocked(now)
		}
		t.vouched[throttleKey{'p', addr, name}] = now
	}
}

// live returns the failures under k, forgetting old ones.
func (t *Throttle) live(k throttleKey, now time.Time) *failures {
	f := t.failures[k]
	if f == nil {
		return nil
	}
	if now.Sub(f.last) > t.policy.Forget {
		f.n = 0
	}
	if f.n == 0 && f.pending == 0 {
		delete(t.failures, k)
		return nil
	}
	return f
}

// until returns when the failures under k, free allowance spent, stop
// holding attempts back.
func (t *Throttle) until(k throttleKey, free int, now time.Time) time.Time {
	f := t.live(k, now)
	if f == nil || f.n+f.pending < free {
		return time.Time{}
	}
	wait := t.policy.MaxWait
	if extra := f.n + f.pending - free; extra < 30 {
		wait = min(t.policy.FirstWait<<extra, t.policy.MaxWait)
	}
	from := f.last
	if f.pending > 0 {
		from = now // an attempt in flight may be failing right now
	}
	return from.Add(wait)
}

func (t *Throttle) vouchedLocked(addr, name string, now time.Time) bool {
	at, ok := t.vouched[throttleKey{'p', addr, name}]
	return ok && now.Sub(at) <= t.policy.Remember
}

// sweepLocked drops what is forgotten and, if that is not enough, the
// oldest of the rest down to nine tenths of the bound: the memory bound
// matters more than an early next guess of the longest-quiet guesser.
func (t *Throttle) sweepLocked(now time.Time) {
	for k := range t.failures {
		t.live(k, now)
	}
	for k, at := range t.vouched {
		if now.Sub(at) > t.policy.Remember {
			delete(t.vouched, k)
		}
	}
	keep := t.policy.MaxEntries * 9 / 10
	if len(t.failures) > keep {
		type aged struct {
			k    throttleKey
			last time.Time
		}
		all := make([]aged, 0, len(t.failures))
		for k, f := range t.failures {
			all = append(all, aged{k, f.last})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].last.Before(all[j].last) })
		for _, x := range all[:len(all)-keep] {
			delete(t.failures, x.k)
		}
	}
	if len(t.vouched) > keep {
		type aged struct {
			k  throttleKey
			at time.Time
		}
		all := make([]aged, 0, len(t.vouched))
		for k, at := range t.vouched {
			all = append(all, aged{k, at})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
		for _, x := range all[:len(all)-keep] {
			delete(t.vouched, x.k)
		}
	}
}

// addressKey groups IPv6 addresses by /64, the block one subscriber gets,
// so a guesser cannot take a fresh address for every attempt.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
