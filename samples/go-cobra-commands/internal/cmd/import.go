package cmd

import (
	"bufio"
	"os"

	"example.com/bookmarks/internal/store"
	"github.com/spf13/cobra"
)

func importCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Adds every URL of a file, one per line",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			s := store.Open()
			lines := bufio.NewScanner(f)
			for lines.Scan() {
				s.Add(slug(lines.Text()), lines.Text())
			}
			return lines.Err()
		},
	}
}
