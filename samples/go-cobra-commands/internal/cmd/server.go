package cmd

import (
	"encoding/json"
	"net/http"

	"example.com/bookmarks/internal/store"
	"github.com/spf13/cobra"
)

func serverCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serves the bookmarks over HTTP",
		RunE: func(c *cobra.Command, args []string) error {
			listen, _ := c.Flags().GetString("listen")
			return http.ListenAndServe(listen, handler(store.Open()))
		},
	}
	cmd.Flags().String("listen", ":8080", "address to listen on")
	return cmd
}

func handler(s *store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/bookmarks/", func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.Get(slug(r.URL.Path))
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(b)
	})
	return mux
}
