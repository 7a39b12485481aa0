package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loraedge/loraedge/cloud"
	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// This file holds `loraedge cups` and what the CUPS commands (cups, update,
// gateway rotate, gateway cups-home) share: they work on the store
// directly, so the cloud must be stopped while they run.

// storeFlags are the flags of the commands that open the store directly.
type storeFlags struct{ config, data string }

// storeFlagsHelp is the part of each usage text that explains storeFlags.
const storeFlagsHelp = `The command works on the store in the cloud's data directory (--data, or
data_dir of --config; default ./data). It opens the store directly: stop the
cloud while it runs.`

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "cloud configuration file (for data_dir and the store's files)")
	fs.StringVar(&f.data, "data", "", "cloud data directory (overrides data_dir; default ./data)")
}

// openStoreDirect opens the cloud's store (creating it when create is set
// and there is none). A store the running cloud holds is an error that
// says to stop the cloud.
func openStoreDirect(f storeFlags, create bool, name string, stderr io.Writer) (*store.DB, cloud.Config, error) {
	cfg, err := loadCloudConfig(f.config, f.data)
	if err != nil {
		return nil, cloud.Config{}, usageError{err.Error()}
	}
	dbPath := cfg.StorePath()
	_, statErr := os.Stat(dbPath)
	switch {
	case errors.Is(statErr, fs.ErrNotExist) && !create:
		return nil, cfg, fmt.Errorf("no store at %s (no gateway added yet, or another --data or --config)", dbPath)
	case errors.Is(statErr, fs.ErrNotExist):
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, cfg, err
		}
	case statErr != nil:
		return nil, cfg, statErr
	}
	db, err := openCloudStore(dbPath, cfg.KEKPath())
	if errors.Is(err, store.ErrLocked) {
		return nil, cfg, fmt.Errorf("%w; stop the cloud to run loraedge %s (it works on the store directly), then start it again", err, name)
	}
	if err != nil {
		return nil, cfg, err
	}
	if statErr != nil {
		fmt.Fprintf(stderr, "loraedge %s: created the store %s\n", name, dbPath)
	}
	return db, cfg, nil
}

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

// cupsStatus is one gateway's entry of `cups status --json`.
type cupsStatus struct {
	EUI      lorawan.EUI64      `json:"eui"`
	Name     string             `json:"name,omitempty"`
	LastSeen time.Time          `json:"lastSeen,omitzero"`
	State    *store.CUPSGateway `json:"cups,omitempty"` // nil: no CUPS request yet, nothing desired
	Target   string             `json:"target,omitempty"`
	TCCred   string             `json:"tcCred"`   // current, pending …, unmanaged
	CUPSCred string             `json:"cupsCred"` // current, pending …, unmanaged
	// TrafficPins are the gateway's allowed traffic certificates.
	TrafficPins []string `json:"trafficCertFingerprints,omitempty"`
}

// credState compares a desired credential set with the CRC the gateway
// last reported.
func credState(set *store.CredentialSet, reported uint32, asked bool) string {
	switch {
	case set == nil:
		return "unmanaged"
	case !asked:
		return "pending (no request yet)"
	case set.CRC == reported:
		return "current"
	default:
		return fmt.Sprintf("pending (reported %08x, desired %08x)", reported, set.CRC)
	}
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

`+storeFlagsHelp)
		fs.PrintDefaults()
	}
	var sf storeFlags
	sf.register(fs)
	var eui euiFlag
	fs.Var(&eui, "eui", "show only this gateway")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, name, usagef("unexpected argument %q", fs.Arg(0)))
	}
	db, _, err := openStoreDirect(sf, false, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer db.Close()
	gws, err := db.ListGateways(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	states, err := db.ListCUPSGateways(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	fleet, err := db.FleetTarget(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	byEUI := map[lorawan.EUI64]store.CUPSGateway{}
	for _, s := range states {
		byEUI[s.EUI] = s
	}
	var out []cupsStatus
	for _, g := range gws {
		if eui.set && g.EUI != eui.eui {
			continue
		}
		st := cupsStatus{EUI: g.EUI, Name: g.Name, LastSeen: g.LastSeen, Target: fleet, TCCred: "unmanaged", CUPSCred: "unmanaged", TrafficPins: g.CertFingerprints}
		if s, ok := byEUI[g.EUI]; ok {
			st.State = &s
			if s.TargetVersion != "" {
				st.Target = s.TargetVersion
			}
			asked := !s.LastRequest.At.IsZero()
			st.TCCred = credState(s.TCCred, s.LastRequest.TCCredCRC, asked)
			st.CUPSCred = credState(s.CUPSCred, s.LastRequest.CUPSCredCRC, asked)
		}
		out = append(out, st)
	}
	if eui.set && len(out) == 0 {
		return fail(stderr, name, fmt.Errorf("gateway %s is not registered", eui.eui))
	}
	if *asJSON {
		return printJSON(stdout, stderr, name, out)
	}
	keys, err := db.ListSigningKeys(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "fleet target: %s\nsigning keys: %s\n\n", orNone(fleet), keyList(keys))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EUI\tLAST CUPS REQUEST\tPACKAGE\tTARGET\tTC CRED\tCUPS CRED\tROTATION\tLAST TC CONNECT")
	for _, st := range out {
		last, pkg, rot, tc := "-", "-", "-", "-"
		if s := st.State; s != nil {
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.EUI, last, pkg, orDashText(st.Target), st.TCCred, st.CUPSCred, rot, tc)
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

func keyList(keys []store.SigningKey) string {
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

`+storeFlagsHelp)
		fs.PrintDefaults()
	}
	var sf storeFlags
	sf.register(fs)
	var eui euiFlag
	fs.Var(&eui, "eui", "gateway EUI, 16 hex digits (required)")
	tcURI := fs.String("tc-uri", "", `tc.uri for the gateway, or "default"`)
	cupsURI := fs.String("cups-uri", "", `cups.uri for the gateway, or "none"`)
	target := fs.String("target", "", `target update version, or "fleet"`)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, name, usagef("unexpected argument %q", fs.Arg(0)))
	case !eui.set:
		return fail(stderr, name, usagef("--eui is required"))
	case *tcURI == "" && *cupsURI == "" && *target == "":
		return fail(stderr, name, usagef("nothing to set: give --tc-uri, --cups-uri or --target"))
	}
	if *tcURI != "" && *tcURI != "default" {
		if err := pki.CheckTCURI(*tcURI); err != nil {
			return fail(stderr, name, usageError{err.Error()})
		}
	}
	if *cupsURI != "" && *cupsURI != "none" {
		if err := cupsserver.CheckCUPSURI(*cupsURI); err != nil {
			return fail(stderr, name, usageError{err.Error()})
		}
	}
	db, _, err := openStoreDirect(sf, false, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer db.Close()
	err = db.UpdateCUPS(ctx, eui.eui, func(_ *store.Gateway, c *store.CUPSGateway) error {
		switch *tcURI {
		case "":
		case "default":
			c.TCURI = ""
		default:
			c.TCURI = *tcURI
		}
		switch *cupsURI {
		case "":
		case "none":
			c.CUPSURI = ""
		default:
			c.CUPSURI = *cupsURI
		}
		switch *target {
		case "":
		case "fleet":
			c.TargetVersion = ""
		default:
			c.TargetVersion = *target
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("gateway %s is not registered (loraedge gateway add)", eui.eui)
	}
	if errors.Is(err, store.ErrInvalid) {
		err = usageError{err.Error()}
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "gateway %s: CUPS state saved; the gateway gets it at its next CUPS request\n", eui.eui)
	return exitOK
}
