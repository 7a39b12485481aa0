//go:build !linux

package rmtsh

// Supported says whether remote shells can be started here.
const Supported = false

// startShell fails: remote shells need Linux's pseudo-terminals.
func startShell(string) (shell, error) { return nil, errRmtshUnsupported }
