package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/loraedge/loraedge/cloud"
	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// This file holds `loraedge gateway` and the plumbing the three resource
// commands (gateway, device, destination) share: how they reach the store
// or, while the cloud holds it, the cloud's admin API.

// adminAPI is what the resource commands need. An admin.Service over the
// store (the cloud is not running) and an admin.Client of the running
// cloud's admin API both have it, with the same validation and errors.
type adminAPI interface {
	AddGateway(ctx context.Context, spec admin.GatewaySpec, replace bool) (admin.Gateway, error)
	ListGateways(ctx context.Context) ([]admin.Gateway, error)
	DeleteGateway(ctx context.Context, eui lorawan.EUI64) error

	AddDevice(ctx context.Context, spec admin.DeviceSpec, replace bool) (admin.Device, error)
	ListDevices(ctx context.Context) ([]admin.Device, error)
	DeleteDevice(ctx context.Context, devEUI lorawan.EUI64) error

	AddDestination(ctx context.Context, spec admin.DestinationSpec, replace bool) (admin.Destination, error)
	ListDestinations(ctx context.Context) ([]admin.Destination, error)
	DeleteDestination(ctx context.Context, name string) error
}

var (
	_ adminAPI = (*admin.Service)(nil)
	_ adminAPI = (*admin.Client)(nil)
)

// storeLockWait is how long a command waits for the store's lock before it
// concludes that the cloud holds it and turns to the admin API.
const storeLockWait = time.Second

// adminFlags are the flags every resource command takes to find the store
// or the admin API.
type adminFlags struct {
	config, data             string
	api, apiTokenFile, apiCA string
}

// adminFlagsHelp is the part of each usage text that explains adminFlags.
const adminFlagsHelp = `The command works on the store in the cloud's data directory (--data, or
data_dir of --config; default ./data, as for loraedge cloud). While the
cloud runs it holds the store, and the command goes through the cloud's
admin API instead, found in DIR/` + admin.EndpointFile + ` (written by the cloud at
start); --api URL --api-token-file FILE name an API explicitly.`

func (a *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.config, "config", "", "cloud configuration file (for data_dir and the store's files)")
	fs.StringVar(&a.data, "data", "", "cloud data directory (overrides data_dir; default ./data)")
	fs.StringVar(&a.api, "api", "", "admin API base URL of a running cloud, e.g. http://127.0.0.1:6040")
	fs.StringVar(&a.apiTokenFile, "api-token-file", "", "file holding the admin API bearer token (with --api)")
	fs.StringVar(&a.apiCA, "api-ca", "", "PEM CA file to verify an https --api with")
}

// usageError marks an error caused by the command line (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// fail prints err as the one line of command name and returns the exit
// code: 2 for bad flags or values (usageError, admin.ErrInvalid), 1 for
// anything else.
func fail(stderr io.Writer, name string, err error) int {
	msg := err.Error()
	switch {
	case errors.Is(err, admin.ErrExists):
		msg += "; use --replace to replace it"
	case errors.Is(err, syscall.ECONNREFUSED):
		msg += " (is the cloud running? " + admin.EndpointFile + " may be stale)"
	}
	fmt.Fprintf(stderr, "loraedge %s: %s\n", name, msg)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, admin.ErrInvalid) {
		return exitUsage
	}
	return exitFailure
}

// parseFlags parses args into fs; done is true with the exit code when the
// command must stop: help asked for (printed to stdout, exit 0) or bad flags
// (one line on stderr, exit 2).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "loraedge %s: %v (see loraedge %s -h)\n", fs.Name(), err, fs.Name())
		return exitUsage, true
	}
	return 0, false
}

// openAdmin returns the admin API to use and a function that releases it.
// Without --api it opens the store (creating it when create is set and it
// does not exist yet); when the store is locked by the running cloud, it
// uses the endpoint the cloud left in the data directory.
func openAdmin(a adminFlags, create bool, name string, stderr io.Writer) (adminAPI, func() error, error) {
	if a.api != "" || a.apiTokenFile != "" || a.apiCA != "" {
		if a.api == "" || a.apiTokenFile == "" {
			return nil, nil, usagef("--api and --api-token-file go together")
		}
		token, err := readSecretFile(a.apiTokenFile)
		if err != nil {
			return nil, nil, usagef("--api-token-file: %v", err)
		}
		c, err := admin.NewClient(admin.Endpoint{URL: a.api, Token: admin.Secret(token), CAFile: a.apiCA})
		if err != nil {
			return nil, nil, err
		}
		return c, func() error { return nil }, nil
	}
	cfg, err := loadCloudConfig(a.config, a.data)
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	dbPath := cfg.StorePath()
	_, statErr := os.Stat(dbPath)
	switch {
	case errors.Is(statErr, fs.ErrNotExist) && !create:
		return nil, nil, fmt.Errorf("no store at %s (nothing added yet, or another --data or --config)", dbPath)
	case errors.Is(statErr, fs.ErrNotExist):
		for _, d := range []string{cfg.DataDir, filepath.Dir(dbPath)} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, nil, err
			}
		}
	case statErr != nil:
		return nil, nil, statErr
	}
	db, err := openCloudStore(dbPath, cfg.KEKPath())
	if errors.Is(err, store.ErrLocked) {
		return apiFromEndpoint(cfg.DataDir, err, stderr)
	}
	if err != nil {
		return nil, nil, err
	}
	if statErr != nil {
		fmt.Fprintf(stderr, "loraedge %s: created the store %s\n", name, dbPath)
	}
	netIDs, err := gatewayNetIDFilter(cfg)
	if err != nil {
		db.Close()
		return nil, nil, usageError{err.Error()}
	}
	loadCA := func() (*pki.CA, error) { // only rotations and CUPS homes need it
		ca, err := pki.LoadCA(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("%w (the gateway CA is created by loraedge cloud or loraedge gateway cert)", err)
		}
		return ca, nil
	}
	return admin.NewService(db, admin.WithNetIDFilter(netIDs), admin.WithCA(loadCA)), db.Close, nil
}

// gatewayNetIDFilter returns the NetIDs the cloud of cfg has its gateways
// filter data frames by: its own NetID when network.filter_net_id is on,
// none otherwise (as the cloud builds router_config).
func gatewayNetIDFilter(cfg cloud.Config) ([]lorawan.NetID, error) {
	if !cfg.Network.FilterNetID {
		return nil, nil
	}
	n, err := cfg.NetID()
	if err != nil {
		return nil, err
	}
	return []lorawan.NetID{n}, nil
}

// openCloudStore opens the store as the cloud does: sealed under
// LORAEDGE_KEK when it is set, otherwise under the KEK file (created with
// a new store).
func openCloudStore(dbPath, kekPath string) (*store.DB, error) {
	opts := &store.Options{LockTimeout: storeLockWait}
	kek, fromEnv, err := store.KEKFromEnv()
	if err != nil {
		return nil, err
	}
	if fromEnv {
		return store.Open(dbPath, kek, opts)
	}
	return store.OpenWithKEKFile(dbPath, kekPath, opts)
}

// apiFromEndpoint returns a client of the admin API the running cloud
// announced in dataDir; lockErr is why the store could not be opened.
func apiFromEndpoint(dataDir string, lockErr error, stderr io.Writer) (adminAPI, func() error, error) {
	e, err := admin.ReadEndpoint(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w, and %s names no admin API of a running cloud (stop what holds the store, or give --api URL --api-token-file FILE)",
			lockErr, filepath.Join(dataDir, admin.EndpointFile))
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := admin.NewClient(e)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "loraedge: the store is in use by the running cloud; going through its admin API at %s\n", e.URL)
	return c, func() error { return nil }, nil
}

// readSecretFile reads a one-line secret (a token, a key) from a file: at
// most 4 KiB, surrounding space trimmed. Errors never repeat the content.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return "", err
	}
	if len(b) > 4096 {
		return "", fmt.Errorf("%s: longer than 4096 bytes", path)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// gatewayToken reads a gateway token file: the bare token, or the file
// given to Station as tc.key ("Authorization: Bearer TOKEN" or
// "Authorization: TOKEN"), from which the token is taken as the cloud
// takes it from the header.
func gatewayToken(path string) (string, error) {
	s, err := readSecretFile(path)
	if err != nil {
		return "", err
	}
	if len(s) > 14 && strings.EqualFold(s[:14], "authorization:") {
		s = strings.TrimSpace(s[14:])
	}
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimSpace(s[7:])
	}
	return s, nil
}

// runResource dispatches `loraedge NAME SUB …` to the subcommand.
func runResource(ctx context.Context, name, help string, subs map[string]command, args []string, stdout, stderr io.Writer) int {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: loraedge %s COMMAND [flags]\n\n%s\n\ncommands:\n", name, help)
		for _, s := range sortedKeys(subs) {
			fmt.Fprintf(w, "  %-10s %s\n", s, subs[s].summary)
		}
		fmt.Fprintf(w, "\nloraedge %s COMMAND -h shows the flags of a command.\n", name)
	}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	c, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "loraedge %s: unknown command %q (see loraedge %s help)\n", name, args[0], name)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

// runGateway implements `loraedge gateway add|list|rm|cert`.
func runGateway(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runResource(ctx, "gateway", "Gateways allowed to connect to the cloud (Basics Station, mutual TLS or token).",
		map[string]command{
			"add":  {"register a gateway: --eui E --region R [--subband N] [--name NAME] [--token-file F]", runGatewayAdd},
			"list": {"list the gateways (no token, no token hash)", runGatewayList},
			"rm":   {"remove a gateway: --eui E", runGatewayRm},
			"cert": {"issue a client certificate and write a Station home: --eui E --out DIR", runGatewayCert},
			// CUPS credentials (gatewayrotate.go).
			"rotate":    {"issue new TC and CUPS credentials, delivered by CUPS: --eui E", runGatewayRotate},
			"cups-home": {"write a CUPS bootstrap Station home (cups.* only): --eui E --out DIR", runGatewayCUPSHome},
		}, args, stdout, stderr)
}

func runGatewayAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "gateway add"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge gateway add --eui EUI --region REGION [--subband N] [--name NAME] [--token-file FILE] [--replace]

Registers a gateway. It then authenticates with a client certificate of the
gateway CA naming its EUI (loraedge gateway cert), or, with --token-file,
also with a token: the file holds the token alone, or the tc.key line given
to Station ("Authorization: Bearer TOKEN"). Only the token's SHA-256 is
stored; the token is never printed. --subband (1-8) picks the US915/AU915
sub-band; 0 leaves the endpoint's default (2). --replace replaces an
existing gateway with exactly these settings (a token not given again is
removed); its pinned certificate fingerprints are kept.

`+adminFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	var eui euiFlag
	fs.Var(&eui, "eui", "gateway EUI, 16 hex digits (required)")
	region := fs.String("region", "", "region: EU868, US915, AU915, AS923-1…4, KR920, IN865 (required)")
	subBand := fs.Int("subband", 0, "US915/AU915 sub-band 1-8 (0: the default)")
	gwName := fs.String("name", "", "a name for people")
	tokenFile := fs.String("token-file", "", "file holding the gateway's token (Authorization header)")
	replace := fs.Bool("replace", false, "replace the gateway if it exists")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, name, usagef("unexpected argument %q", fs.Arg(0)))
	case !eui.set:
		return fail(stderr, name, usagef("--eui is required"))
	case *region == "":
		return fail(stderr, name, usagef("--region is required"))
	}
	spec := admin.GatewaySpec{EUI: eui.eui, Name: *gwName, Region: *region, SubBand: *subBand}
	if *tokenFile != "" {
		tok, err := gatewayToken(*tokenFile)
		if err != nil {
			return fail(stderr, name, usagef("--token-file: %v", err))
		}
		spec.Token = admin.Secret(tok)
	}
	if err := spec.Validate(); err != nil {
		return fail(stderr, name, err)
	}
	api, closeAPI, err := openAdmin(a, true, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	g, err := api.AddGateway(ctx, spec, *replace)
	if cerr := closeAPI(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	auth := "certificate"
	if g.TokenAuth {
		auth = "certificate or token"
	}
	fmt.Fprintf(stdout, "gateway %s %s: %s, authenticates by %s\n", g.EUI, addedOrReplaced(*replace), regionText(g.Region, g.SubBand), auth)
	return exitOK
}

func addedOrReplaced(replace bool) string {
	if replace {
		return "saved"
	}
	return "added"
}

func regionText(region string, subBand int) string {
	if t := subBandText(region, subBand); t != "-" {
		return region + " sub-band " + t
	}
	return region
}

// subBandText is the sub-band a gateway listens on: its own, the
// endpoint's default for a region with sub-bands (US915, AU915) when it has
// none, "-" for a region without.
func subBandText(region string, subBand int) string {
	switch {
	case subBand != 0:
		return strconv.Itoa(subBand)
	case hasSubBands(region):
		return fmt.Sprintf("%d (default)", gateway.DefaultSubBand)
	}
	return "-"
}

func hasSubBands(region string) bool {
	r, err := lorawan.RegionByName(region)
	return err == nil && r.SubBands() > 0
}

// listFlags registers the flags of a list command.
func listFlags(fs *flag.FlagSet, a *adminFlags) *bool {
	a.register(fs)
	return fs.Bool("json", false, "print JSON instead of a table")
}

func runGatewayList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return listCommand[admin.Gateway]{
		name:   "gateway list",
		usage:  "usage: loraedge gateway list [--json]\n\nLists the gateways; never a token or its hash.",
		fetch:  adminAPI.ListGateways,
		header: "EUI\tREGION\tSUBBAND\tTOKEN\tPINNED CERTS\tLAST SEEN\tNAME",
		row: func(g admin.Gateway) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", g.EUI, g.Region, subBandText(g.Region, g.SubBand), yesNo(g.TokenAuth),
				pinned(len(g.CertFingerprints)), timeOrDash(g.LastSeen), g.Name)
		},
	}.run(ctx, args, stdout, stderr)
}

func runGatewayRm(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return removeByEUI{
		name:  "gateway rm",
		usage: "usage: loraedge gateway rm --eui EUI\n\nRemoves a gateway; it can no longer connect.",
		flag:  "eui", flagHelp: "gateway EUI, 16 hex digits (required)", noun: "gateway",
		remove: adminAPI.DeleteGateway,
	}.run(ctx, args, stdout, stderr)
}

// Table helpers shared by the list commands.

func printJSON(stdout, stderr io.Writer, name string, v any) int {
	enc := jsonEncoder(stdout)
	if err := enc.Encode(v); err != nil {
		return fail(stderr, name, err)
	}
	return exitOK
}

func flushTable(tw *tabwriter.Writer, stderr io.Writer, name string) int {
	if err := tw.Flush(); err != nil {
		return fail(stderr, name, err)
	}
	return exitOK
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func pinned(n int) string {
	if n == 0 {
		return "any"
	}
	return fmt.Sprint(n)
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}
