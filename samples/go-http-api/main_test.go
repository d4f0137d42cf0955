package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestCreateAndFollow(t *testing.T) {
	srv := httptest.NewServer(newMux(&server{store: newMemStore()}))
	defer srv.Close()

	body, _ := json.Marshal(createRequest{URL: "https://example.com/docs"})
	resp, err := http.Post(srv.URL+"/api/links", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d, want 201", resp.StatusCode)
	}
	var link Link
	if err := json.NewDecoder(resp.Body).Decode(&link); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	r2, err := client.Get(srv.URL + "/" + link.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Header.Get("Location"); got != "https://example.com/docs" {
		t.Fatalf("Location = %q", got)
	}
}

// TestBinaryBuilds makes sure the static build used by the Dockerfile still
// links without cgo.
func TestBinaryBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out := filepath.Join(t.TempDir(), "shortlink")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
}
