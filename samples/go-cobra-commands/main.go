package main

import (
	"os"

	"example.com/bookmarks/internal/cmd"
)

func main() {
	if err := cmd.Root().Execute(); err != nil {
		os.Exit(1)
	}
}
