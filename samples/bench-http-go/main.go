// The HTTP benchmark service in Go: `POST /transform` with one JSON request
// as the body answers one transformed JSON response; `GET /` answers a small
// JSON greeting. Listens on 0.0.0.0:$PORT (default 8080).
//
// Built for WASI preview 1 (GOOS=wasip1, upstream Go's only Wasm target:
// no sockets, no wasi:http), the same handlers serve one request per run
// as CGI (net/http/cgi), the way a WAGI host (Spin's WAGI executor, or
// wasmfit bench) runs an HTTP service from a WASI command.
//
// Request:  {"id":7,"name":"ada","values":[1,2,3]}
// Response: {"id":7,"name":"ADA","sum":6,"count":3}
package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"runtime"
	"strings"
)

type request struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Values []int64 `json:"values"`
}

type response struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Sum   int64  `json:"sum"`
	Count int    `json:"count"`
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.Write([]byte("{\"service\":\"bench-http-go\"}\n"))
	})
	http.HandleFunc("/transform", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var req request
		if err != nil || json.Unmarshal(body, &req) != nil || req.Values == nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte("{\"error\":\"bad request\"}\n"))
			return
		}
		var sum int64
		for _, v := range req.Values {
			sum += v
		}
		out, _ := json.Marshal(response{ID: req.ID, Name: strings.ToUpper(req.Name), Sum: sum, Count: len(req.Values)})
		w.Header().Set("content-type", "application/json")
		w.Write(append(out, '\n'))
	})
	if runtime.GOOS == "wasip1" {
		if err := cgi.Serve(nil); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		return
	}
	if err := http.ListenAndServe("0.0.0.0:"+port, nil); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
