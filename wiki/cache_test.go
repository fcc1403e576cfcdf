package wiki_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/opswiki/opswiki/wiki"
)

func TestCacheLRU(t *testing.T) {
	t.Run("EvictsLeastRecentlyUsed", func(t *testing.T) {
		c := wiki.NewCache[string, int](3, nil)
		c.Put("a", 1)
		c.Put("b", 2)
		c.Put("c", 3)
		if v, ok := c.Get("a"); !ok || v != 1 { // a is now the most recent
			t.Fatalf("a = %d, %v", v, ok)
		}
		c.Put("d", 4) // b goes
		if _, ok := c.Get("b"); ok {
			t.Error("b kept over the bound")
		}
		for _, k := range []string{"a", "c", "d"} {
			if _, ok := c.Get(k); !ok {
				t.Errorf("%s dropped", k)
			}
		}
		if c.Len() != 3 || c.Weight() != 3 {
			t.Errorf("len %d weight %d", c.Len(), c.Weight())
		}
	})
	t.Run("Weight", func(t *testing.T) {
		c := wiki.NewCache[string, []byte](100, func(_ string, v []byte) int64 { return int64(len(v)) })
		c.Put("a", make([]byte, 20))
		c.Put("b", make([]byte, 20))
		c.Put("a", make([]byte, 10)) // replaced: weight 30
		if c.Weight() != 30 {
			t.Errorf("weight %d, want 30", c.Weight())
		}
		c.Put("huge", make([]byte, 26)) // over a quarter of the bound
		if _, ok := c.Get("huge"); ok {
			t.Error("an entry over a quarter of the bound was kept")
		}
		for i := range 10 {
			c.Put(fmt.Sprint(i), make([]byte, 20))
		}
		if c.Weight() > 100 {
			t.Errorf("weight %d over the bound", c.Weight())
		}
		c.Remove("9")
		if _, ok := c.Get("9"); ok || c.Weight() > 80 {
			t.Errorf("removed entry still there (weight %d)", c.Weight())
		}
	})
	t.Run("Nil", func(t *testing.T) {
		var c *wiki.Cache[string, int]
		c.Put("a", 1)
		if _, ok := c.Get("a"); ok || c.Len() != 0 {
			t.Error("a nil cache kept something")
		}
	})
}

// TestCacheModel checks the cache against a plain model under random use,
// from several goroutines at once (run with -race).
func TestCacheModel(t *testing.T) {
	c := wiki.NewCache[int, int](64, nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 20000 {
				k := r.IntN(200)
				switch r.IntN(3) {
				case 0:
					c.Put(k, k*10)
				case 1:
					if v, ok := c.Get(k); ok && v != k*10 {
						t.Errorf("Get(%d) = %d", k, v)
					}
				default:
					c.Remove(k)
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 64 || int64(c.Len()) != c.Weight() {
		t.Errorf("len %d, weight %d, bound 64", c.Len(), c.Weight())
	}
}
