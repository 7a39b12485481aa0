package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/lorawan"
)

// cupsAPI is what the CUPS commands (cups, update, gateway rotate, gateway
// cups-home) need. An admin.Service over the store (the cloud is not
// running) and an admin.Client of the running cloud's admin API both have
// it, with the same validation, errors and answers, so a command prints
// the same either way.
type cupsAPI interface {
	CUPSStatus(ctx context.Context, eui lorawan.EUI64) (admin.CUPSStatus, error)
	SetCUPS(ctx context.Context, eui lorawan.EUI64, set admin.CUPSSettings) (admin.CUPSGateway, error)
	RotateGateway(ctx context.Context, eui lorawan.EUI64, spec admin.RotateSpec) (admin.Rotation, error)
	CUPSHome(ctx context.Context, eui lorawan.EUI64, spec admin.RotateSpec) (admin.CUPSHome, error)
	AddSigningKey(ctx context.Context, name string) (admin.SigningKey, error)
	ListUpdates(ctx context.Context) (admin.UpdateList, error)
	SignUpdate(ctx context.Context, spec admin.SignSpec, data []byte) (admin.SignedUpdate, error)
}

var (
	_ cupsAPI = (*admin.Service)(nil)
	_ cupsAPI = (*admin.Client)(nil)
)

// cupsCall opens the store or the running cloud's admin API as openAdmin
// does, runs fn on it and closes it again, returning fn's error or else
// the close's. Over the store, the Service rotates credentials with the
// gateway CA of the data directory.
func cupsCall(a adminFlags, create bool, name string, stderr io.Writer, fn func(cupsAPI) error) error {
	api, closeAPI, err := openCUPS(a, create, name, stderr)
	if err != nil {
		return err
	}
	err = fn(api)
	if cerr := closeAPI(); err == nil {
		err = cerr
	}
	return err
}

// openCUPS is openAdmin for the CUPS commands: an admin.Service over the
// store (which rotates credentials with the data directory's gateway CA),
// or the running cloud's admin API when the cloud holds the store (or
// --api).
func openCUPS(a adminFlags, create bool, name string, stderr io.Writer) (cupsAPI, func() error, error) {
	api, closeAPI, err := openAdmin(a, create, name, stderr)
	if err != nil {
		return nil, nil, err
	}
	return asCUPSAPI(api, closeAPI)
}

// asCUPSAPI turns what openAdmin returned for the admin API into a cupsAPI.
func asCUPSAPI(api adminAPI, closeAPI func() error) (cupsAPI, func() error, error) {
	c, ok := api.(cupsAPI)
	if !ok {
		closeAPI()
		return nil, nil, fmt.Errorf("the admin API client has no CUPS routes (%T)", api)
	}
	return c, closeAPI, nil
}

// adminCall opens the store or the running cloud's admin API, runs fn on
// it and closes it again, returning fn's error or else the close's.
func adminCall(a adminFlags, create bool, name string, stderr io.Writer, fn func(adminAPI) error) error {
	api, closeAPI, err := openAdmin(a, create, name, stderr)
	if err != nil {
		return err
	}
	err = fn(api)
	if cerr := closeAPI(); err == nil {
		err = cerr
	}
	return err
}

// listCommand describes one `list` subcommand: what it fetches and how a
// row of its table reads.
type listCommand[T any] struct {
	name, usage string
	fetch       func(adminAPI, context.Context) ([]T, error) // a method expression, e.g. adminAPI.ListDevices
	header      string                                       // tab-separated column names
	row         func(T) string                               // tab-separated cells
}

// run parses the flags, fetches the records and prints them as a table,
// or as JSON with --json.
func (c listCommand[T]) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), c.usage+"\n\n"+adminFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	asJSON := listFlags(fs, &a)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, c.name, usagef("unexpected argument %q", fs.Arg(0)))
	}
	var list []T
	err := adminCall(a, false, c.name, stderr, func(api adminAPI) (err error) {
		list, err = c.fetch(api, ctx)
		return err
	})
	if err != nil {
		return fail(stderr, c.name, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, c.name, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, c.header)
	for _, v := range list {
		fmt.Fprintln(tw, c.row(v))
	}
	return flushTable(tw, stderr, c.name)
}

// removeByEUI describes an `rm` subcommand of a record named by an EUI.
type removeByEUI struct {
	name, usage, flag, flagHelp, noun string
	remove                            func(adminAPI, context.Context, lorawan.EUI64) error // e.g. adminAPI.DeleteDevice
}

// run parses --<flag> EUI and removes that record.
func (c removeByEUI) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), c.usage+"\n\n"+adminFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	var eui euiFlag
	fs.Var(&eui, c.flag, c.flagHelp)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, c.name, usagef("unexpected argument %q", fs.Arg(0)))
	case !eui.set:
		return fail(stderr, c.name, usagef("--%s is required", c.flag))
	}
	if err := adminCall(a, false, c.name, stderr, func(api adminAPI) error {
		return c.remove(api, ctx, eui.eui)
	}); err != nil {
		return fail(stderr, c.name, err)
	}
	fmt.Fprintf(stdout, "%s %s removed\n", c.noun, eui.eui)
	return exitOK
}
