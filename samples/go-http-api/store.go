package main

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned when a code has no link behind it.
var ErrNotFound = errors.New("link not found")

// Link is one shortened URL.
type Link struct {
	Code      string    `json:"code"`
	Target    string    `json:"target"`
	Hits      int64     `json:"hits"`
	CreatedAt time.Time `json:"created_at"`
}

// Store keeps links. The in-memory implementation below is what runs in
// staging; production swaps in a Redis-backed one behind the same interface.
type Store interface {
	Put(target string) (Link, error)
	Get(code string) (Link, error)
	Hit(code string) (Link, error)
}

type memStore struct {
	mu    sync.RWMutex
	links map[string]Link
}

func newMemStore() *memStore {
	return &memStore{links: make(map[string]Link)}
}

func newCode() (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:])), nil
}

func (s *memStore) Put(target string) (Link, error) {
	code, err := newCode()
	if err != nil {
		return Link{}, err
	}
	l := Link{Code: code, Target: target, CreatedAt: time.Now().UTC()}
	s.mu.Lock()
	s.links[code] = l
	s.mu.Unlock()
	return l, nil
}

func (s *memStore) Get(code string) (Link, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.links[code]
	if !ok {
		return Link{}, ErrNotFound
	}
	return l, nil
}

func (s *memStore) Hit(code string) (Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[code]
	if !ok {
		return Link{}, ErrNotFound
	}
	l.Hits++
	s.links[code] = l
	return l, nil
}
