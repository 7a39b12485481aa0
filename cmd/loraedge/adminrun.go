package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/loraedge/loraedge/lorawan"
)

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
