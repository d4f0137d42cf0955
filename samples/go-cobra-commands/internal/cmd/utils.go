package cmd

import (
	"os/exec"
	"runtime"
	"strings"
)

// slug is the key a bookmark is kept under.
func slug(s string) string {
	s = strings.TrimPrefix(s, "/bookmarks/")
	return strings.ToLower(strings.Trim(s, "/ "))
}

// openBrowser hands the URL to the desktop.
func openBrowser(url string) error {
	opener := "xdg-open"
	if runtime.GOOS == "darwin" {
		opener = "open"
	}
	return exec.Command(opener, url).Run()
}
