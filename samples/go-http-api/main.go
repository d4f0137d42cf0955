// Command shortlink serves a small JSON API that shortens URLs.
package main

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"net/url"
	"os"
)

type server struct {
	store Store
}

type createRequest struct {
	URL string `json:"url"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("encode response: %v", err)
	}
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body"})
		return
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "url must be absolute http(s)"})
		return
	}
	link, err := s.store.Put(u.String())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "could not store link"})
		return
	}
	writeJSON(w, http.StatusCreated, link)
}

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	link, err := s.store.Get(r.PathValue("code"))
	if errors.Is(err, ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, link)
}

func (s *server) follow(w http.ResponseWriter, r *http.Request) {
	link, err := s.store.Hit(r.PathValue("code"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, link.Target, http.StatusFound)
}

func newMux(s *server) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/links", s.create)
	mux.HandleFunc("GET /api/links/{code}", s.stats)
	mux.HandleFunc("GET /{code}", s.follow)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func main() {
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	s := &server{store: newMemStore()}
	log.Printf("shortlink listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, newMux(s)))
}
