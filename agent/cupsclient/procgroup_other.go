//go:build !unix

package cupsclient

import "os/exec"

// ownProcessGroup leaves cmd as it is where process groups are not
// available: a timeout kills the command only.
func ownProcessGroup(*exec.Cmd) {}
