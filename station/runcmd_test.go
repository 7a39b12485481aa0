package station

import "testing"

func TestRuncmdGolden(t *testing.T) {
	// Arguments with <, & and > stay as they are: Station's JSON has no HTML
	// escaping.
	checkGolden(t, "runcmd", &Runcmd{Command: "/bin/echo", Arguments: []string{"a b", "<c&d>"}})
}
