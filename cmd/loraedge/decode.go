package main

import (
	"context"
	"fmt"
	"io"
)

// runDecode is being written (issue 2); placeholder until lorawan's codec lands.
func runDecode(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "loraedge decode: not built yet")
	return exitUsage
}
