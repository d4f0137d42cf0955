package devreload

import (
	"os"
	"os/exec"
)

// Rebuild recompiles the tool and replaces the running process. Only for
// local development.
func Rebuild() error {
	cmd := exec.Command("go", "build", "-o", os.Args[0], ".")
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	return cmd.Run()
}
