package store

import "sync"

// Bookmark is one kept URL.
type Bookmark struct {
	URL string `json:"url"`
}

// Store keeps bookmarks in memory.
type Store struct {
	mu sync.Mutex
	m  map[string]Bookmark
}

// Open returns an empty store.
func Open() *Store {
	return &Store{m: map[string]Bookmark{}}
}

// Get returns the bookmark kept under key.
func (s *Store) Get(key string) (Bookmark, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	return b, ok
}

// Add keeps url under key.
func (s *Store) Add(key, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = Bookmark{URL: url}
}
