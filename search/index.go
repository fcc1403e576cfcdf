// Package search keeps the wiki's full-text index: a bleve (scorch) index
// under <data>/index that follows main like any other wiki.View, and answers
// the query language of SPEC §5 with hits, snippets and facets.
//
// The index is derived data. Whatever is wrong with it on disk (corrupt
// files, an older mapping) is answered by deleting it and reporting commit
// "", so the follower rebuilds it from git.
package search

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/opswiki/opswiki/wiki"
)

// ErrLocked reports an index directory held open by another process. Open
// returns it wrapped in a *wiki.Error with code EUNAVAILABLE.
var ErrLocked = errors.New("search index locked by another process")

// lockTimeout bounds how long Open waits for the index's file lock; a
// second process gives up quickly instead of hanging.
const lockTimeout = "1s"

// closeFlushTimeout bounds how long Close waits for the last batch to reach
// disk before closing anyway (the follower catches up on the next start).
const closeFlushTimeout = 10 * time.Second

// Options tunes an Index. The zero value is ready to use.
type Options struct {
	// Logger receives reports such as a corrupt index being recreated;
	// nil logs to slog.Default().
	Logger *slog.Logger
	// BatchSize is the number of documents per bleve batch in Apply;
	// zero means 300.
	BatchSize int
	// CacheSize is the number of recent results kept; zero means
	// DefaultCacheSize and a negative number keeps none.
	CacheSize int
	// Concurrent is how many searches run at once; more wait their turn.
	// Zero means one per CPU (GOMAXPROCS): more would only share the
	// same CPUs, and take them from page views and from index updates,
	// which saves wait for.
	Concurrent int
}

// Index is the search index. It implements wiki.View, and Search is safe
// to call while Apply runs.
type Index struct {
	dir       string
	log       *slog.Logger
	batchSize int
	idx       bleve.Index
	recreated string
	facets    *facetCache
	cache     *resultCache
	en        analysis.Analyzer
	// What the term dictionary says about a word, per generation: its
	// corrections (correct.go) and the terms a prefix stands for
	// (prefix.go).
	corrected *genCache[string, []string]
	prefixes  *genCache[prefixKey, []string]
	// What searches read of each segment: postings (postings.go) and
	// tables of ids and words (segdata.go).
	postings *postingsCache
	segData  *segData
	searches atomic.Uint64
	slots    chan struct{} // one token per search running
	flightMu sync.Mutex
	flights  map[cacheKey]*flight // searches running, by query
	// gen counts the batches applied: results cached at an older
	// generation are stale.
	gen atomic.Uint64

	commit atomic.Pointer[string]

	mu     sync.Mutex
	closed bool
}

var _ wiki.View = (*Index)(nil)

// Open opens the index at dir, creating it when missing. A corrupt index or
// one written by another mapping version is removed and recreated empty
// (Commit returns ""). When another process holds the index it fails fast
// with an EUNAVAILABLE *wiki.Error wrapping ErrLocked.
func Open(dir string, opts Options) (*Index, error) {
	ix := &Index{dir: dir, log: opts.Logger, batchSize: opts.BatchSize, facets: newFacetCache(),
		corrected: newGenCache[string, []string](correctionCacheSize), prefixes: newGenCache[prefixKey, []string](prefixCacheSize),
		postings: newPostingsCache(postingsCacheBytes), segData: newSegData()}
	if ix.log == nil {
		ix.log = slog.Default()
	}
	if ix.batchSize <= 0 {
		ix.batchSize = 300
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Concurrent <= 0 {
		opts.Concurrent = runtime.GOMAXPROCS(0)
	}
	ix.slots = make(chan struct{}, opts.Concurrent)
	ix.flights = map[cacheKey]*flight{}
	ix.cache = newResultCache(opts.CacheSize)

	idx, commit, err := openExisting(dir)
	switch {
	case err == nil:
		ix.idx = idx
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, &wiki.Error{
			Code:    wiki.EUNAVAILABLE,
			Message: fmt.Sprintf("The search index at %s is in use by another opswiki process.", dir),
			Err:     fmt.Errorf("%w: %w", ErrLocked, err),
		}
	case errors.Is(err, errMissing):
		if ix.idx, err = create(dir); err != nil {
			return nil, err
		}
	default:
		ix.recreated = err.Error()
		ix.log.Warn("search index unusable; recreating it empty to rebuild from git", "dir", dir, "reason", err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove unusable search index %s: %w", dir, err)
		}
		if ix.idx, err = create(dir); err != nil {
			return nil, err
		}
	}
	ix.commit.Store(&commit)
	ix.en = ix.idx.Mapping().AnalyzerNamed(en.AnalyzerName)
	return ix, nil
}

var errMissing = errors.New("no index")

// openExisting opens the index at dir and checks that this code can use it.
// It returns errMissing when there is nothing at dir, a bolt timeout when
// the index is locked, and any other error when the index is unusable.
func openExisting(dir string) (idx bleve.Index, commit string, err error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, "", errMissing
	} else if err != nil {
		return nil, "", fmt.Errorf("stat %s: %w", dir, err)
	}
	if empty, _ := isEmptyDir(dir); empty {
		return nil, "", errMissing
	}
	// A truncated file bbolt has mapped into memory faults when read; make
	// that a panic of this goroutine, which is recovered as corruption.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		// Corrupt files can make bleve or bbolt panic instead of failing.
		if r := recover(); r != nil {
			if idx != nil {
				_ = idx.Close()
			}
			idx, commit, err = nil, "", fmt.Errorf("open search index: panic: %v", r)
		}
	}()
	idx, err = bleve.OpenUsing(dir, bleveConfig())
	if err != nil {
		if lerr := probeLock(dir); lerr != nil {
			return nil, "", lerr // held by another process: not ours to remove
		}
		return nil, "", fmt.Errorf("open search index %s: %w", dir, err)
	}
	version, err := idx.GetInternal(keyVersion)
	if err == nil && string(version) != mappingVersion {
		err = fmt.Errorf("mapping version %q, want %q", version, mappingVersion)
	}
	var c []byte
	if err == nil {
		c, err = idx.GetInternal(keyCommit)
	}
	if err == nil {
		_, err = idx.DocCount()
	}
	if err == nil {
		err = verifySegments(idx)
	}
	if err != nil {
		_ = idx.Close()
		return nil, "", fmt.Errorf("check search index %s: %w", dir, err)
	}
	return idx, string(c), nil
}

// probeLock returns bbolt's timeout error when another process holds the
// index's lock file. bleve takes that lock only after reading its metadata,
// so an index whose metadata is damaged must be probed before removal.
func probeLock(dir string) error {
	path := filepath.Join(dir, "store", "root.bolt")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	timeout, _ := time.ParseDuration(lockTimeout)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return err
	}
	if err == nil {
		_ = db.Close()
	}
	return nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return errors.Is(err, io.EOF), nil
}

// bleveConfig is how the index runs. A batch is searchable once Batch
// returns, and written to disk by the persister afterwards (unsafe_batch):
// the index is derived data, and the commit it reflects is recorded in the
// same batch as its pages, so after a crash it is at an older commit and
// the follower applies what came since. A save, which waits until it is
// searchable, then never waits for the index's fsync, and the persister,
// napping briefly, merges the small segments of many saves in memory
// before writing one, instead of writing and merging one file per save.
// Close still writes everything (flush).
func bleveConfig() map[string]interface{} {
	return map[string]interface{}{
		"bolt_timeout":           lockTimeout,
		"unsafe_batch":           true,
		"scorchPersisterOptions": map[string]interface{}{"PersisterNapTimeMSec": 200},
	}
}

// create makes a new empty index at dir recording the mapping version.
func create(dir string) (bleve.Index, error) {
	idx, err := bleve.NewUsing(dir, newMapping(), scorch.Name, bleve.Config.DefaultKVStore, bleveConfig())
	if err != nil {
		return nil, fmt.Errorf("create search index %s: %w", dir, err)
	}
	if err := idx.SetInternal(keyVersion, []byte(mappingVersion)); err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("create search index %s: %w", dir, err)
	}
	return idx, nil
}

// Recreated returns why Open discarded the index found on disk, or "" when
// it opened the existing index or created a missing one.
func (ix *Index) Recreated() string { return ix.recreated }

// Dir returns the directory holding the index.
func (ix *Index) Dir() string { return ix.dir }

// Close waits briefly for everything applied to reach disk, then closes the
// index. Searches after Close fail with EUNAVAILABLE.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	ix.gen.Add(1) // no cached result after Close
	ix.flush()
	if err := ix.idx.Close(); err != nil {
		return fmt.Errorf("close search index %s: %w", ix.dir, err)
	}
	return nil
}

// flush waits until the index on disk holds every batch applied so far.
// Scorch persists snapshots asynchronously and drops what is not yet on disk
// at Close; a snapshot persisted after the last batch includes all of them.
func (ix *Index) flush() {
	done := make(chan struct{})
	var once sync.Once
	b := ix.idx.NewBatch()
	b.SetInternal(keyFlush, nil)
	b.SetPersistedCallback(func(error) { once.Do(func() { close(done) }) })
	if err := ix.idx.Batch(b); err != nil {
		ix.log.Warn("search index: flush before close failed", "dir", ix.dir, "err", err)
		return
	}
	select {
	case <-done:
	case <-time.After(closeFlushTimeout):
		ix.log.Warn("search index: closing before the last batch was persisted", "dir", ix.dir)
	}
}
