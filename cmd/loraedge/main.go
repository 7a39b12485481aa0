// Command loraedge is the one binary of loraedge: the gateway agent, the
// cloud, the simulator and the admin tools are its subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes shared by the subcommands.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and found a problem (e.g. a wrong MIC)
	exitUsage   = 2 // malformed input or flags
)

// command is one subcommand: it gets its own arguments and returns an exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands; it is built per call so nothing is global.
func commands() map[string]command {
	return map[string]command{
		"decode":      {"decode a LoRaWAN frame (hex or base64) to JSON, checking MICs with the keys given", runDecode},
		"version":     {"print the version", runVersion},
		"kek":         {"rotate the key-encryption key that seals the cloud store (kek rotate --data DIR)", runKEK},
		"cloud":       {"run the cloud: the Basics Station endpoint for gateways (cloud [--config FILE] [--data DIR])", runCloud},
		"agent":       {"run the gateway agent, a Basics Station client (agent --config FILE | --home DIR)", runAgent},
		"sim":         {"run simulated devices for gateways on Station's radio-simulation socket (sim --config FILE)", runSim},
		"gateway":     {"manage gateways: add, list, rm, cert, rotate, cups-home", runGateway},
		"device":      {"manage end devices: add, list, rm", runDevice},
		"destination": {"manage uplink destinations (MQTT topic, HTTP webhook): add, list, rm", runDestination},
		"cups":        {"show and set gateways' CUPS state: status, set", runCUPS},
		"update":      {"sign updates CUPS sends gateways, and manage signing keys: keygen, sign, list", runUpdate},
		"load":        {"measure a running cloud end to end: simulated gateways and devices, routed uplinks, latency (load --data DIR)", runLoad},
		"watch":       {"print the messages on MQTT topics, e.g. the uplinks a destination receives", runWatch},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" {
		return runVersion(ctx, nil, stdout, stderr)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "loraedge: unknown command %q (see loraedge help)\n", args[0])
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: loraedge COMMAND [flags]\n\ncommands:")
	for _, name := range sortedKeys(cmds) {
		fmt.Fprintf(w, "  %-12s %s\n", name, cmds[name].summary)
	}
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "loraedge %s\n", version)
	return exitOK
}
