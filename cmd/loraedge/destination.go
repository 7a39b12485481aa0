package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/loraedge/loraedge/cloud/admin"
)

// runDestination implements `loraedge destination add|list|rm`.
func runDestination(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runResource(ctx, "destination", "Destinations: where devices' uplinks go (an MQTT topic or an HTTP webhook).",
		map[string]command{
			"add":  {"create a destination: NAME --mqtt-topic TEMPLATE [--qos N] | --http URL [--header-secret-file F]", runDestinationAdd},
			"list": {"list the destinations (no secrets)", runDestinationList},
			"rm":   {"remove a destination no device names: NAME", runDestinationRm},
		}, args, stdout, stderr)
}

// parseNamed parses args that carry one NAME among the flags (before,
// between or after them).
func parseNamed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (name string, code int, done bool) {
	for {
		if code, done := parseFlags(fs, args, stdout, stderr); done {
			return "", code, true
		}
		if fs.NArg() == 0 {
			break
		}
		if name != "" {
			fmt.Fprintf(stderr, "loraedge %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
			return "", exitUsage, true
		}
		// The flag package stops at the first argument that is not a
		// flag: take it as NAME and parse what follows.
		name, args = fs.Arg(0), fs.Args()[1:]
	}
	if name == "" {
		fmt.Fprintf(stderr, "loraedge %s: NAME is required\n", fs.Name())
		return "", exitUsage, true
	}
	return name, 0, false
}

func runDestinationAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "destination add"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge destination add NAME --mqtt-topic TEMPLATE [--qos N] [--description TEXT] [--replace]
       loraedge destination add NAME --http URL [--header NAME --header-secret-file FILE] [--description TEXT] [--replace]

Creates a destination that devices name (loraedge device add --destination
NAME). An MQTT destination publishes each uplink to the topic TEMPLATE, a Go
text/template over the uplink (e.g. "lorawan/{{.WirelessDeviceId}}/up"),
at QoS 1 unless --qos says otherwise. An HTTP destination POSTs it to URL;
--header-secret-file names a file whose one line is sent as the value of
the header --header (default Authorization, e.g. "Bearer TOKEN"). The
secret is sealed in the store and never printed; keep secrets out of URL.
NAME is letters, digits, '-', '_' and '.'. --replace replaces an existing
destination with exactly these settings.

`+adminFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	topic := fs.String("mqtt-topic", "", "MQTT topic template")
	qos := fs.Int("qos", -1, "MQTT QoS 0, 1 or 2; -1 means 1")
	httpURL := fs.String("http", "", "webhook URL (http or https)")
	header := fs.String("header", "", "header carrying the secret (default Authorization)")
	secretFile := fs.String("header-secret-file", "", "file holding the header's value")
	desc := fs.String("description", "", "a description for people")
	replace := fs.Bool("replace", false, "replace the destination if it exists")
	dest, code, done := parseNamed(fs, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case *topic == "" && *httpURL == "":
		return fail(stderr, name, usagef("give --mqtt-topic TEMPLATE or --http URL"))
	case *topic != "" && *httpURL != "":
		return fail(stderr, name, usagef("--mqtt-topic and --http: give one"))
	case *topic != "" && (*header != "" || *secretFile != ""):
		return fail(stderr, name, usagef("--header and --header-secret-file are for --http"))
	case *httpURL != "" && *qos != -1:
		return fail(stderr, name, usagef("--qos is for --mqtt-topic"))
	case *header != "" && *secretFile == "":
		return fail(stderr, name, usagef("--header needs --header-secret-file"))
	case *qos < -1 || *qos > 2:
		return fail(stderr, name, usagef("--qos %d: want 0, 1 or 2", *qos))
	}
	spec := admin.DestinationSpec{Name: dest, Description: *desc, MQTTTopic: *topic, HTTPURL: *httpURL, HTTPHeader: *header}
	if *topic != "" {
		spec.Kind = "mqtt"
	} else {
		spec.Kind = "http"
	}
	if *qos >= 0 {
		q := uint8(*qos)
		spec.QoS = &q
	}
	if *secretFile != "" {
		s, err := readSecretFile(*secretFile)
		if err != nil {
			return fail(stderr, name, usagef("--header-secret-file: %v", err))
		}
		spec.HTTPSecret = admin.Secret(s)
	}
	if err := spec.Validate(); err != nil {
		return fail(stderr, name, err)
	}
	api, closeAPI, err := openAdmin(a, true, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	d, err := api.AddDestination(ctx, spec, *replace)
	if cerr := closeAPI(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "destination %s %s: %s\n", d.Name, addedOrReplaced(*replace), destinationTarget(d))
	return exitOK
}

// destinationTarget describes where a destination sends uplinks, without
// its secret.
func destinationTarget(d admin.Destination) string {
	switch d.Kind {
	case "mqtt":
		q := 0
		if d.QoS != nil {
			q = int(*d.QoS)
		}
		return fmt.Sprintf("mqtt topic %s qos %d", d.MQTTTopic, q)
	case "http":
		if d.HasSecret {
			return fmt.Sprintf("http POST %s with header %s (secret set)", d.HTTPURL, d.HTTPHeader)
		}
		return "http POST " + d.HTTPURL
	}
	return d.Kind
}

func runDestinationList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return listCommand[admin.Destination]{
		name:   "destination list",
		usage:  "usage: loraedge destination list [--json]\n\nLists the destinations; never a secret.",
		fetch:  adminAPI.ListDestinations,
		header: "NAME\tKIND\tTARGET\tDESCRIPTION",
		row: func(d admin.Destination) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s", d.Name, d.Kind, destinationTarget(d), d.Description)
		},
	}.run(ctx, args, stdout, stderr)
}

func runDestinationRm(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "destination rm"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: loraedge destination rm NAME\n\nRemoves a destination; refused while a device names it.\n\n"+adminFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	dest, code, done := parseNamed(fs, args, stdout, stderr)
	if done {
		return code
	}
	api, closeAPI, err := openAdmin(a, false, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	err = api.DeleteDestination(ctx, dest)
	if cerr := closeAPI(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	fmt.Fprintf(stdout, "destination %s removed\n", dest)
	return exitOK
}
