package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cups"
)

// rotateFlags are the flags rotate and cups-home share.
type rotateFlags struct {
	a       adminFlags
	eui     euiFlag
	days    int
	tcURI   string
	cupsURI string
}

func (r *rotateFlags) register(fs *flag.FlagSet) {
	r.a.register(fs)
	fs.Var(&r.eui, "eui", "gateway EUI, 16 hex digits (required)")
	fs.IntVar(&r.days, "days", int(pki.GatewayValidity/(24*time.Hour)), "certificate validity in days")
	fs.StringVar(&r.tcURI, "tc-uri", "", "tc.uri for the gateway (default: the cloud's wss://public_host:port)")
}

func (r *rotateFlags) check(fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case !r.eui.set:
		return usagef("--eui is required")
	case r.days < 1:
		return usagef("--days must be at least 1")
	}
	return r.spec().Validate()
}

// spec is the rotation the flags ask for.
func (r *rotateFlags) spec() admin.RotateSpec {
	return admin.RotateSpec{Days: r.days, TCURI: r.tcURI, CUPSURI: r.cupsURI}
}

// printRotation tells what was issued and what happens next.
func printRotation(w io.Writer, rot admin.Rotation) {
	fmt.Fprintf(w, "tc certificate    %s (valid with the old ones until the gateway connects to the LNS with it)\n", rot.TCFingerprint)
	fmt.Fprintf(w, "cups certificate  %s (valid with the old ones until the gateway makes a CUPS request with it)\n", rot.CUPSFingerprint)
	fmt.Fprintf(w, "valid until       %s\n", rot.NotAfter.UTC().Format(time.RFC3339))
	if !rot.TCPinned {
		fmt.Fprintln(w, "note: the gateway's traffic certificates were not pinned; any certificate of the gateway CA naming it is accepted until the new one connects, then only the new one")
	}
	if rot.Superseded {
		fmt.Fprintln(w, "note: this replaces a rotation the gateway had not completed")
	}
}

// runGatewayRotate implements `loraedge gateway rotate --eui E`.
func runGatewayRotate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "gateway rotate"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge gateway rotate --eui EUI [--days N] [--tc-uri URI] [--cups-uri URI]

Issues a new TC client certificate and a new CUPS client certificate for the
gateway (signed by the gateway CA) and makes them the credentials the CUPS
server gives it at its next request. The gateway's current certificates stay
valid: the old TC certificates are revoked once the gateway has connected to
the LNS with the new one, the old CUPS certificates once it has made a CUPS
request with the new one, and a token it authenticated with once it has done
both. loraedge cups status shows the progress. Run it
while the cloud runs: no private key is printed or leaves the cloud.

`+cupsFlagsHelp)
		fs.PrintDefaults()
	}
	var r rotateFlags
	r.register(fs)
	fs.StringVar(&r.cupsURI, "cups-uri", "", "cups.uri for the gateway (default: leave the gateway's)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if err := r.check(fs); err != nil {
		return fail(stderr, name, err)
	}
	var rot admin.Rotation
	err := cupsCall(r.a, false, name, stderr, func(api cupsAPI) (err error) {
		rot, err = api.RotateGateway(ctx, r.eui.eui, r.spec())
		return err
	})
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "gateway %s: new credentials issued; the gateway gets them at its next CUPS request\n", r.eui.eui)
	printRotation(stdout, rot)
	if !rot.CUPSRequested {
		fmt.Fprintln(stdout, "note: the gateway has made no CUPS request yet; it needs cups.* to get these (loraedge gateway cups-home)")
	}
	return exitOK
}

// runGatewayCUPSHome implements `loraedge gateway cups-home --eui E --out DIR`.
func runGatewayCUPSHome(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "gateway cups-home"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge gateway cups-home --eui EUI --out DIR [--cups-uri URI] [--tc-uri URI] [--days N] [--sig-keys] [--force]

Writes a Basics Station home for CUPS bootstrap into DIR: cups.uri (the
cloud's https://public_host:port of [cups], or --cups-uri), cups.trust (the
gateway CA), cups.crt and cups.key (a new CUPS client certificate, DER, key
mode 0600). No tc.* is written: at its first CUPS request the gateway gets
tc.uri and a new TC certificate, issued now. With --sig-keys the public
update-signing keys are written too (sig-0.key, sig-1.key, … in name order),
so that the gateway only runs updates signed by them. It is a rotation
(loraedge gateway rotate) whose CUPS credentials go into DIR: the gateway's
earlier certificates are revoked once it uses the new ones. Through the
admin API the new CUPS key comes back in the answer (the one answer that
carries a key) and is written here; the TC key stays in the cloud.

`+cupsFlagsHelp)
		fs.PrintDefaults()
	}
	var r rotateFlags
	r.register(fs)
	fs.StringVar(&r.cupsURI, "cups-uri", "", "cups.uri to write (default: the cloud's, from [cups] of --config)")
	out := fs.String("out", "", "directory to write the Station files into (required)")
	sigKeys := fs.Bool("sig-keys", false, "also write the update-signing public keys as sig-N.key")
	force := fs.Bool("force", false, "overwrite existing cups.* files in DIR")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if err := r.check(fs); err != nil {
		return fail(stderr, name, err)
	}
	if *out == "" {
		return fail(stderr, name, usagef("--out is required"))
	}
	if r.cupsURI == "" {
		cfg, err := loadCloudConfig(r.a.config, r.a.data)
		if err != nil {
			return fail(stderr, name, usageError{err.Error()})
		}
		if r.cupsURI, err = cfg.CUPSURI(); err != nil {
			return fail(stderr, name, usagef("%v (or give --cups-uri)", err))
		}
	}
	if !*force {
		for _, f := range []string{cupsserver.CUPSURIFile, cupsserver.CUPSTrustFile, cupsserver.CUPSCertFile, cupsserver.CUPSKeyFile} {
			_, err := os.Stat(filepath.Join(*out, f))
			if err == nil {
				return fail(stderr, name, fmt.Errorf("%s exists; use --force to replace the CUPS credentials in %s", filepath.Join(*out, f), *out))
			}
			if !errors.Is(err, iofs.ErrNotExist) {
				return fail(stderr, name, err)
			}
		}
	}
	var (
		home admin.CUPSHome
		keys []admin.SigningKey
	)
	err := cupsCall(r.a, false, name, stderr, func(api cupsAPI) (err error) {
		if home, err = api.CUPSHome(ctx, r.eui.eui, r.spec()); err != nil {
			return err
		}
		if *sigKeys {
			l, err := api.ListUpdates(ctx)
			keys = l.Keys
			return err
		}
		return nil
	})
	if err != nil {
		return fail(stderr, name, err)
	}
	cred := cups.Credentials{Trust: home.CUPS.Trust, Cert: home.CUPS.Cert, Key: home.CUPS.Key}
	err = cupsserver.WriteCUPSHome(*out, home.CUPSURI, cred)
	clear(home.CUPS.Key)
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "gateway %s: wrote %s, %s, %s, %s in %s\n", r.eui.eui, cupsserver.CUPSURIFile, cupsserver.CUPSTrustFile,
		cupsserver.CUPSCertFile, cupsserver.CUPSKeyFile, *out)
	fmt.Fprintf(stdout, "cups.uri          %s\n", home.CUPSURI)
	if *sigKeys {
		for i, k := range keys {
			f := filepath.Join(*out, fmt.Sprintf("sig-%d.key", i))
			if err := os.WriteFile(f, k.Public, 0o644); err != nil {
				return fail(stderr, name, err)
			}
			fmt.Fprintf(stdout, "sig-%d.key         signing key %s (crc %08x)\n", i, k.Name, k.CRC)
		}
		if len(keys) == 0 {
			fmt.Fprintln(stdout, "note: no signing key in the store (loraedge update keygen); no sig-N.key written")
		}
	}
	printRotation(stdout, home.Rotation)
	return exitOK
}
