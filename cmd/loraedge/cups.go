package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/store"
)

// This file holds `loraedge cups`, and what the CUPS commands (cups,
// update, gateway rotate, gateway cups-home) share. Like the resource
// commands they work on the store, or through the running cloud's admin
// API while the cloud holds it (cupsAPI, adminrun.go).

// cupsFlagsHelp is the part of each CUPS command's usage text that explains
// adminFlags.
const cupsFlagsHelp = adminFlagsHelp + `
Either way the command does the same and prints the same; through the API
the running cloud's CUPS server and LNS see the change at their next
request, with no restart.`

// parseInterleaved parses flags that may follow positional arguments
// (`update sign --key K FILE --version V`) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	for {
		if code, done := parseFlags(fs, args, stdout, stderr); done {
			return nil, code, true
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, false
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// runCUPS implements `loraedge cups status|set`.
func runCUPS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runResource(ctx, "cups", "The CUPS state of gateways: what they reported, what the cloud wants them to hold.",
		map[string]command{
			"status": {"show each gateway's CUPS state: [--eui E] [--json]", runCUPSStatus},
			"set":    {"set a gateway's desired state: --eui E [--tc-uri U] [--cups-uri U] [--target V]", runCUPSSet},
		}, args, stdout, stderr)
}

func runCUPSStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "cups status"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge cups status [--eui EUI] [--json]

Shows each registered gateway's CUPS state: its last CUPS request (when,
the package version and credential CRCs it reported), its target update,
whether its TC and CUPS credentials are the desired ones, a rotation in
progress, and its last traffic connection. Never a key or a token.

`+cupsFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	var eui euiFlag
	fs.Var(&eui, "eui", "show only this gateway")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, name, usagef("unexpected argument %q", fs.Arg(0)))
	}
	var st admin.CUPSStatus
	err := cupsCall(a, false, name, stderr, func(api cupsAPI) (err error) {
		st, err = api.CUPSStatus(ctx, eui.eui) // zero without --eui: every gateway
		return err
	})
	if err != nil {
		return fail(stderr, name, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, name, st.Gateways)
	}
	fmt.Fprintf(stdout, "fleet target: %s\nsigning keys: %s\n\n", orNone(st.FleetTarget), keyList(st.SigningKeys))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EUI\tLAST CUPS REQUEST\tPACKAGE\tTARGET\tTC CRED\tCUPS CRED\tROTATION\tLAST TC CONNECT")
	for _, g := range st.Gateways {
		last, pkg, rot, tc := "-", "-", "-", "-"
		if s := g.State; s != nil {
			if !s.LastRequest.At.IsZero() {
				last = timeOrDash(s.LastRequest.At)
				pkg = orDashText(strings.TrimSpace(s.LastRequest.Package))
			}
			switch {
			case s.Rotation != nil:
				rot = "pending " + strings.Join(pendingParts(s.Rotation), "+") + " since " + timeOrDash(s.Rotation.StartedAt)
			case !s.RotatedAt.IsZero():
				rot = "done " + timeOrDash(s.RotatedAt)
			}
			tc = timeOrDash(s.LastTCConnect)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.EUI, last, pkg, orDashText(g.Target), g.TCCred, g.CUPSCred, rot, tc)
	}
	return flushTable(tw, stderr, name)
}

func pendingParts(r *store.CUPSRotation) []string {
	var parts []string
	if r.TCFingerprint != "" {
		parts = append(parts, "tc")
	}
	if r.CUPSFingerprint != "" {
		parts = append(parts, "cups")
	}
	return parts
}

func orDashText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func keyList(keys []admin.SigningKey) string {
	if len(keys) == 0 {
		return "none"
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (crc %08x)", k.Name, k.CRC)
	}
	return strings.Join(parts, ", ")
}

func runCUPSSet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "cups set"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge cups set --eui EUI [--tc-uri URI] [--cups-uri URI] [--target VERSION]

Sets what the CUPS server tells a gateway at its next request: its tc.uri
(wss://host:port; "default" for the cloud's own), its cups.uri
(https://host:port; "none" to leave the gateway's alone), its target update
(a version stored with loraedge update sign; "fleet" for the fleet's target).
Changing cups.uri moves the gateway to another CUPS server: make sure it
answers with the same CA.

`+cupsFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	var eui euiFlag
	fs.Var(&eui, "eui", "gateway EUI, 16 hex digits (required)")
	var set admin.CUPSSettings
	fs.StringVar(&set.TCURI, "tc-uri", "", `tc.uri for the gateway, or "`+admin.DefaultTCURI+`"`)
	fs.StringVar(&set.CUPSURI, "cups-uri", "", `cups.uri for the gateway, or "`+admin.NoCUPSURI+`"`)
	fs.StringVar(&set.Target, "target", "", `target update version, or "`+admin.FleetTarget+`"`)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, name, usagef("unexpected argument %q", fs.Arg(0)))
	case !eui.set:
		return fail(stderr, name, usagef("--eui is required"))
	case set.TCURI == "" && set.CUPSURI == "" && set.Target == "":
		return fail(stderr, name, usagef("nothing to set: give --tc-uri, --cups-uri or --target"))
	}
	if err := set.Validate(); err != nil {
		return fail(stderr, name, err)
	}
	err := cupsCall(a, false, name, stderr, func(api cupsAPI) error {
		_, err := api.SetCUPS(ctx, eui.eui, set)
		return err
	})
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "gateway %s: CUPS state saved; the gateway gets it at its next CUPS request\n", eui.eui)
	return exitOK
}
