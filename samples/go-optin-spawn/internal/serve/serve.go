package serve

import (
	"encoding/json"
	"net/http"
)

// Handler checks the links it is given and reports their status codes.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/check", func(w http.ResponseWriter, r *http.Request) {
		var urls []string
		if err := json.NewDecoder(r.Body).Decode(&urls); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := map[string]int{}
		for _, u := range urls {
			resp, err := http.Head(u)
			if err != nil {
				out[u] = 0
				continue
			}
			resp.Body.Close()
			out[u] = resp.StatusCode
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}
