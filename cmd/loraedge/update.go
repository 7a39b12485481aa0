package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
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
store and never leaves it; the public key is printed and written to FILE
(default sig-NAME.key) as Station's sig-N.key holds it, 64 raw bytes X‖Y.
Copy it to each gateway's home as sig-0.key (or sig-1.key, …): Station then
runs only updates signed by one of its keys.

`+storeFlagsHelp)
		flags.PrintDefaults()
	}
	var sf storeFlags
	sf.register(flags)
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
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(stderr, name, err)
	}
	pub, err := cups.PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		return fail(stderr, name, err)
	}
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer clear(der)
	db, _, err := openStoreDirect(sf, true, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer db.Close()
	err = db.AddSigningKey(ctx, store.SigningKey{Name: *keyName, Public: pub[:], Private: der})
	if errors.Is(err, store.ErrInvalid) {
		err = usageError{err.Error()}
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	if err := os.WriteFile(*out, pub[:], 0o644); err != nil {
		return fail(stderr, name, fmt.Errorf("key %s stored, but its public key was not written: %w (loraedge update list shows it)", *keyName, err))
	}
	fmt.Fprintf(stdout, "signing key %s: crc %08x, stored sealed in the store\n", *keyName, pub.CRC())
	fmt.Fprintf(stdout, "public key        %s\n", hex.EncodeToString(pub[:]))
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
		fmt.Fprintln(flags.Output(), `usage: loraedge update sign --key NAME FILE [--version VERSION] [--eui EUI,… | --no-target] [--replace]

Signs FILE (an agent binary, a package, a script) with the signing key NAME,
as Station checks it (ECDSA P-256 over SHA-512), and stores it in the store
as update VERSION (default: FILE's base name), the version gateways report
once they run it (their version.txt). A version stored already with the
same bytes gets this signature added; other bytes need --replace.

The update becomes the target of every gateway, or with --eui of those
gateways only; --no-target only stores it. CUPS sends it to a gateway whose
version differs, with the signature of a key the gateway holds; never
unsigned to a gateway that holds keys.

`+storeFlagsHelp)
		flags.PrintDefaults()
	}
	var sf storeFlags
	sf.register(flags)
	keyName := flags.String("key", "", "name of the signing key (loraedge update keygen) (required)")
	version := flags.String("version", "", "version gateways report once they run the update (default: FILE's base name)")
	var euis euiList
	flags.Var(&euis, "eui", "make it the target of these gateways only (comma separated, or repeat the flag)")
	noTarget := flags.Bool("no-target", false, "store the update without making it a target")
	replace := flags.Bool("replace", false, "replace a stored update of this version that has other bytes")
	pos, code, done := parseInterleaved(flags, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) != 1:
		return fail(stderr, name, usagef("want one FILE, got %d arguments", len(pos)))
	case *keyName == "":
		return fail(stderr, name, usagef("--key is required"))
	case *noTarget && len(euis) > 0:
		return fail(stderr, name, usagef("--eui and --no-target exclude each other"))
	}
	file := pos[0]
	if *version == "" {
		*version = filepath.Base(file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fail(stderr, name, err)
	}
	if len(data) == 0 {
		return fail(stderr, name, usagef("%s is empty", file))
	}
	db, _, err := openStoreDirect(sf, false, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer db.Close()
	k, err := db.GetSigningKey(ctx, *keyName)
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("no signing key %q (loraedge update keygen --name %s; loraedge update list shows the keys)", *keyName, *keyName)
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	priv, err := cups.ParseSigningKey(k.Private)
	clear(k.Private)
	if err != nil {
		return fail(stderr, name, fmt.Errorf("signing key %s: %w", *keyName, err))
	}
	sig, err := cups.Sign(priv, data)
	if err != nil {
		return fail(stderr, name, err)
	}
	pub, err := cups.ParsePublicKey(k.Public)
	if err != nil {
		return fail(stderr, name, err)
	}
	if _, err := cups.Verify([]cups.PublicKey{pub}, data, sig); err != nil {
		return fail(stderr, name, fmt.Errorf("the signature does not verify with the stored public key of %s: %w", *keyName, err))
	}
	us := store.UpdateSignature{Key: k.Name, KeyCRC: sig.KeyCRC, DER: sig.DER}
	sum := sha256.Sum256(data)
	old, err := db.GetUpdate(ctx, *version)
	switch {
	case err == nil && old.SHA256 == hex.EncodeToString(sum[:]):
		err = db.AddUpdateSignature(ctx, *version, us)
	case err == nil && !*replace:
		err = fmt.Errorf("update %s is stored with other bytes (sha256 %s); use --replace to replace it and its signatures", *version, old.SHA256)
	case err == nil || errors.Is(err, store.ErrNotFound):
		err = db.PutUpdate(ctx, store.Update{Version: *version, Signatures: []store.UpdateSignature{us}}, data)
	}
	if errors.Is(err, store.ErrInvalid) {
		err = usageError{err.Error()}
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "update %s: %d bytes, sha256 %s, signed by %s (key crc %08x)\n", *version, len(data), hex.EncodeToString(sum[:]), k.Name, sig.KeyCRC)
	switch {
	case *noTarget:
		fmt.Fprintln(stdout, "stored; not a target (loraedge cups set --target, or sign again without --no-target)")
	case len(euis) > 0:
		for _, e := range euis {
			err := db.UpdateCUPS(ctx, e, func(_ *store.Gateway, c *store.CUPSGateway) error {
				c.TargetVersion = *version
				return nil
			})
			if errors.Is(err, store.ErrNotFound) {
				err = fmt.Errorf("gateway %s is not registered", e)
			}
			if err != nil {
				return fail(stderr, name, err)
			}
		}
		fmt.Fprintf(stdout, "target of gateways %s\n", euis.String())
	default:
		if err := db.SetFleetTarget(ctx, *version); err != nil {
			return fail(stderr, name, err)
		}
		fmt.Fprintln(stdout, "target of every gateway without a target of its own")
	}
	return exitOK
}

func runUpdateList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "update list"
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: loraedge update list [--json]\n\nLists the signing keys (public halves only) and the stored updates with their signatures.\n\n"+storeFlagsHelp)
		flags.PrintDefaults()
	}
	var sf storeFlags
	sf.register(flags)
	asJSON := flags.Bool("json", false, "print JSON instead of tables")
	if code, done := parseFlags(flags, args, stdout, stderr); done {
		return code
	}
	if flags.NArg() > 0 {
		return fail(stderr, name, usagef("unexpected argument %q", flags.Arg(0)))
	}
	db, _, err := openStoreDirect(sf, false, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer db.Close()
	keys, err := db.ListSigningKeys(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	updates, err := db.ListUpdates(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	fleet, err := db.FleetTarget(ctx)
	if err != nil {
		return fail(stderr, name, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, name, struct {
			Keys        []store.SigningKey `json:"keys"`
			Updates     []store.Update     `json:"updates"`
			FleetTarget string             `json:"fleetTarget,omitempty"`
		}{keys, updates, fleet})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tCRC\tPUBLIC (sig-N.key)\tCREATED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%08x\t%s\t%s\n", k.Name, k.CRC, hex.EncodeToString(k.Public), timeOrDash(k.CreatedAt))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "VERSION\tBYTES\tSHA256\tSIGNED BY\tFLEET TARGET")
	for _, u := range updates {
		var by []string
		for _, s := range u.Signatures {
			by = append(by, s.Key)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", u.Version, u.Size, u.SHA256, orDashText(strings.Join(by, ",")), yesNo(u.Version == fleet))
	}
	return flushTable(tw, stderr, name)
}
