package cmd

import "github.com/spf13/cobra"

// Root is the `bookmarks` command and its subcommands.
func Root() *cobra.Command {
	root := &cobra.Command{
		Use:   "bookmarks",
		Short: "Keeps bookmarks and serves them over HTTP",
	}
	root.PersistentFlags().String("data", "/var/lib/bookmarks", "where bookmarks are kept")
	root.AddCommand(serverCmd(), openCmd(), importCmd())
	return root
}
