package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/lorawan"
)

// runUpdate implements `loraedge update keygen|sign|list`.
func runUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runResource(ctx, "update", "Updates the CUPS server sends gateways, and the keys that sign them.",
		map[string]command{
			"keygen": {"make a signing key: --name N [--out FILE]", runUpdateKeygen},
			"sign":   {"sign and store an update: --key N FILE [--version V] [--eui E,…]", runUpdateSign},
			"list":   {"list the signing keys and the updates", runUpdateList},
		}, args, stdout, stderr)
}

func runUpdateKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "update keygen"
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), `usage: loraedge update keygen --name NAME [--out FILE] [--force]

Makes an ECDSA P-256 update-signing key. The private key is sealed in the
store and never leaves it (through the admin API the running cloud makes
it); the public key is printed and written to FILE (default sig-NAME.key)
as Station's sig-N.key holds it, 64 raw bytes X‖Y. Copy it to each
gateway's home as sig-0.key (or sig-1.key, …): Station then runs only
updates signed by one of its keys.

`+cupsFlagsHelp)
		flags.PrintDefaults()
	}
	var a adminFlags
	a.register(flags)
	keyName := flags.String("name", "", "name of the key: letters, digits, '-', '_', '.' (required)")
	out := flags.String("out", "", "file for the public key (default sig-NAME.key)")
	force := flags.Bool("force", false, "overwrite FILE")
	if code, done := parseFlags(flags, args, stdout, stderr); done {
		return code
	}
	switch {
	case flags.NArg() > 0:
		return fail(stderr, name, usagef("unexpected argument %q", flags.Arg(0)))
	case *keyName == "":
		return fail(stderr, name, usagef("--name is required"))
	}
	if *out == "" {
		*out = "sig-" + *keyName + ".key"
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return fail(stderr, name, fmt.Errorf("%s exists; use --force to overwrite it", *out))
	}
	var k admin.SigningKey
	err := cupsCall(a, true, name, stderr, func(api cupsAPI) (err error) {
		k, err = api.AddSigningKey(ctx, *keyName)
		return err
	})
	if errors.Is(err, admin.ErrExists) {
		// Not the --replace hint of the resource commands: keys are never replaced.
		err = fmt.Errorf("%v; choose another --name", err)
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	if err := os.WriteFile(*out, k.Public, 0o644); err != nil {
		return fail(stderr, name, fmt.Errorf("key %s stored, but its public key was not written: %w (loraedge update list shows it)", k.Name, err))
	}
	fmt.Fprintf(stdout, "signing key %s: crc %08x, stored sealed in the store\n", k.Name, k.CRC)
	fmt.Fprintf(stdout, "public key        %s\n", hex.EncodeToString(k.Public))
	fmt.Fprintf(stdout, "wrote %s; copy it to each gateway's home as sig-0.key (Station reads sig-0.key, sig-1.key, …)\n", *out)
	return exitOK
}

// euiList is a flag of EUIs, comma separated or repeated.
type euiList []lorawan.EUI64

func (l *euiList) String() string {
	parts := make([]string, len(*l))
	for i, e := range *l {
		parts[i] = e.String()
	}
	return strings.Join(parts, ",")
}

func (l *euiList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		e, err := lorawan.ParseEUI64(strings.TrimSpace(part))
		if err != nil {
			return errors.New("want EUIs of 16 hex digits, comma separated")
		}
		*l = append(*l, e)
	}
	return nil
}

func runUpdateSign(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "update sign"
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), `usage: loraedge update sign --key NAME FILE [--version VERSION] [--eui EUI,… | --no-target] [--replace]

Signs FILE (an agent binary, a package, a script) with the signing key NAME,
as Station checks it (ECDSA P-256 over SHA-512), and stores it in the store
as update VERSION (default: FILE's base name), the version gateways report
once they run it (their version.txt). A version stored already with the
same bytes gets this signature added; other bytes need --replace. FILE may
have at most %d MiB. The key never leaves the store: through the admin API
FILE is sent as it is (the request body) and the running cloud signs it.

The update becomes the target of every gateway, or with --eui of those
gateways only; --no-target only stores it. CUPS sends it to a gateway whose
version differs, with the signature of a key the gateway holds; never
unsigned to a gateway that holds keys.

%s
`, admin.MaxUpdateSize>>20, cupsFlagsHelp)
		flags.PrintDefaults()
	}
	var a adminFlags
	a.register(flags)
	spec := admin.SignSpec{}
	flags.StringVar(&spec.Key, "key", "", "name of the signing key (loraedge update keygen) (required)")
	flags.StringVar(&spec.Version, "version", "", "version gateways report once they run the update (default: FILE's base name)")
	var euis euiList
	flags.Var(&euis, "eui", "make it the target of these gateways only (comma separated, or repeat the flag)")
	flags.BoolVar(&spec.NoTarget, "no-target", false, "store the update without making it a target")
	flags.BoolVar(&spec.Replace, "replace", false, "replace a stored update of this version that has other bytes")
	pos, code, done := parseInterleaved(flags, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) != 1:
		return fail(stderr, name, usagef("want one FILE, got %d arguments", len(pos)))
	case spec.Key == "":
		return fail(stderr, name, usagef("--key is required"))
	case spec.NoTarget && len(euis) > 0:
		return fail(stderr, name, usagef("--eui and --no-target exclude each other"))
	}
	file := pos[0]
	if spec.Version == "" {
		spec.Version = filepath.Base(file)
	}
	spec.Gateways = euis
	if err := spec.Validate(); err != nil {
		return fail(stderr, name, err)
	}
	data, err := readUpdateFile(file)
	if err != nil {
		return fail(stderr, name, err)
	}
	var u admin.SignedUpdate
	err = cupsCall(a, false, name, stderr, func(api cupsAPI) (err error) {
		u, err = api.SignUpdate(ctx, spec, data)
		return err
	})
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "update %s: %d bytes, sha256 %s, signed by %s (key crc %08x)\n", u.Version, u.Size, u.SHA256, u.Key, u.KeyCRC)
	switch u.Target {
	case admin.TargetNone:
		fmt.Fprintln(stdout, "stored; not a target (loraedge cups set --target, or sign again without --no-target)")
	case admin.TargetGateways:
		fmt.Fprintf(stdout, "target of gateways %s\n", (*euiList)(&u.Gateways).String())
	default:
		fmt.Fprintln(stdout, "target of every gateway without a target of its own")
	}
	return exitOK
}

// readUpdateFile reads an update's file: not empty, at most
// admin.MaxUpdateSize bytes (for a regular file checked before it is read;
// a pipe is read up to one byte more).
func readUpdateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	tooLarge := func(n int64) error {
		return usagef("%s has %d bytes or more, more than the %d MiB an update may have", path, n, admin.MaxUpdateSize>>20)
	}
	var data []byte
	if fi.Mode().IsRegular() {
		if fi.Size() > admin.MaxUpdateSize {
			return nil, tooLarge(fi.Size())
		}
		data = make([]byte, fi.Size())
		_, err = io.ReadFull(f, data)
	} else {
		data, err = io.ReadAll(io.LimitReader(f, admin.MaxUpdateSize+1))
		if len(data) > admin.MaxUpdateSize {
			return nil, tooLarge(int64(len(data)))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) == 0 {
		return nil, usagef("%s is empty", path)
	}
	return data, nil
}

func runUpdateList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "update list"
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: loraedge update list [--json]\n\nLists the signing keys (public halves only) and the stored updates with their signatures.\n\n"+cupsFlagsHelp)
		flags.PrintDefaults()
	}
	var a adminFlags
	a.register(flags)
	asJSON := flags.Bool("json", false, "print JSON instead of tables")
	if code, done := parseFlags(flags, args, stdout, stderr); done {
		return code
	}
	if flags.NArg() > 0 {
		return fail(stderr, name, usagef("unexpected argument %q", flags.Arg(0)))
	}
	var l admin.UpdateList
	err := cupsCall(a, false, name, stderr, func(api cupsAPI) (err error) {
		l, err = api.ListUpdates(ctx)
		return err
	})
	if err != nil {
		return fail(stderr, name, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, name, l)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tCRC\tPUBLIC (sig-N.key)\tCREATED")
	for _, k := range l.Keys {
		fmt.Fprintf(tw, "%s\t%08x\t%s\t%s\n", k.Name, k.CRC, hex.EncodeToString(k.Public), timeOrDash(k.CreatedAt))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "VERSION\tBYTES\tSHA256\tSIGNED BY\tFLEET TARGET")
	for _, u := range l.Updates {
		var by []string
		for _, s := range u.Signatures {
			by = append(by, s.Key)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", u.Version, u.Size, u.SHA256, orDashText(strings.Join(by, ",")), yesNo(u.Version == l.FleetTarget))
	}
	return flushTable(tw, stderr, name)
}
