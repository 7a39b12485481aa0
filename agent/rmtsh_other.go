//go:build !linux

package agent

// rmtshSupported says whether remote shells can be started here.
const rmtshSupported = false

// startShell fails: remote shells need Linux's pseudo-terminals.
func startShell(string) (shell, error) { return nil, errRmtshUnsupported }
