package cmd

import (
	"example.com/bookmarks/internal/store"
	"github.com/spf13/cobra"
)

func openCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "open [slug]",
		Short: "Opens a bookmark in the desktop's browser",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			b, ok := store.Open().Get(slug(args[0]))
			if !ok {
				return nil
			}
			return openBrowser(b.URL)
		},
	}
}
