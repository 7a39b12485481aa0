package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/lorawan"
)

// runDevice implements `loraedge device add|list|rm`.
func runDevice(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runResource(ctx, "device", "End devices the cloud serves (OTAA or ABP, LoRaWAN 1.0.x or 1.1).",
		map[string]command{
			"add":  {"register a device: --deveui D --joineui J --appkey K --mac V --destination NAME (or ABP: --devaddr A + session keys)", runDeviceAdd},
			"list": {"list the devices (no keys)", runDeviceList},
			"rm":   {"remove a device with its sessions and queue: --deveui D", runDeviceRm},
		}, args, stdout, stderr)
}

// keyInput is one key of `device add`: given as --NAME HEX, --NAME-file
// FILE, or in the environment as LORAEDGE_NAME.
type keyInput struct {
	name       string // flag name, e.g. "appkey"
	hex, file  string
	dst        **admin.Key
	helpSuffix string
}

func (k *keyInput) env() string { return "LORAEDGE_" + strings.ToUpper(k.name) }

// resolve reads the key from wherever it was given; nothing given leaves
// *dst nil. Errors never repeat the key text. source tells where it came
// from, for the user (never the key).
func (k *keyInput) resolve() (source string, err error) {
	var text string
	switch {
	case k.hex != "" && k.file != "":
		return "", usagef("--%s and --%s-file: give one", k.name, k.name)
	case k.hex != "":
		text, source = k.hex, "--"+k.name
	case k.file != "":
		s, err := readSecretFile(k.file)
		if err != nil {
			return "", usagef("--%s-file: %v", k.name, err)
		}
		text, source = s, "--"+k.name+"-file"
	default:
		v, ok := os.LookupEnv(k.env())
		if !ok || v == "" {
			return "", nil
		}
		text, source = v, k.env()
	}
	key, err := admin.ParseKey(text)
	if err != nil {
		return "", usagef("%s: %v", source, err)
	}
	*k.dst = &key
	return source, nil
}

func runDeviceAdd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "device add"
	var spec admin.DeviceSpec
	keys := []*keyInput{
		{name: "appkey", dst: &spec.AppKey, helpSuffix: "OTAA root key AppKey"},
		{name: "nwkkey", dst: &spec.NwkKey, helpSuffix: "OTAA root key NwkKey (LoRaWAN 1.1)"},
		{name: "nwkskey", dst: &spec.NwkSKey, helpSuffix: "ABP NwkSKey (LoRaWAN 1.0.x)"},
		{name: "appskey", dst: &spec.AppSKey, helpSuffix: "ABP AppSKey"},
		{name: "fnwksintkey", dst: &spec.FNwkSIntKey, helpSuffix: "ABP FNwkSIntKey (LoRaWAN 1.1)"},
		{name: "snwksintkey", dst: &spec.SNwkSIntKey, helpSuffix: "ABP SNwkSIntKey (LoRaWAN 1.1)"},
		{name: "nwksenckey", dst: &spec.NwkSEncKey, helpSuffix: "ABP NwkSEncKey (LoRaWAN 1.1)"},
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: loraedge device add --deveui EUI --joineui EUI --appkey KEY [--nwkkey KEY] --mac VERSION
                         [--class A|C] [--region REGION] --destination NAME [--name NAME] [--replace]
       loraedge device add --deveui EUI --devaddr ADDR --nwkskey KEY --appskey KEY --mac 1.0.x ...
       loraedge device add --deveui EUI --devaddr ADDR --fnwksintkey KEY --snwksintkey KEY
                         --nwksenckey KEY --appskey KEY --mac 1.1 ...

Registers an end device. Over-the-air activation (OTAA) takes the JoinEUI
and the root keys: AppKey (LoRaWAN 1.0.x), AppKey and NwkKey (1.1).
Activation by personalisation (ABP) takes --devaddr and the session keys;
with network.filter_net_id on (the default) the DevAddr must lie in the
block of network.net_id (000000: 00000000-01ffffff), since the gateways drop
the frames of any other, and a device outside it is refused.
--mac is 1.0, 1.0.0 to 1.0.4, or 1.1. The destination must exist
(loraedge destination add). Keys are 32 hex digits and are sealed in the
store; they are never printed.

Every key KEY may be given three ways; prefer the last two, which keep it
out of shell history and the process list:
  --KEY HEX            on the command line
  --KEY-file FILE      from a file (one line of 32 hex digits)
  LORAEDGE_KEY=HEX     in the environment, e.g. LORAEDGE_APPKEY, used when
                       neither flag is given
Without --region, the device takes the region of the registered gateways
when they all share one; otherwise --region is required. --replace
replaces an existing device (its sessions and counters are kept, unless an
ABP device's address or keys change).

`+adminFlagsHelp)
		fs.PrintDefaults()
	}
	var a adminFlags
	a.register(fs)
	var devEUI, joinEUI euiFlag
	fs.Var(&devEUI, "deveui", "DevEUI, 16 hex digits (required)")
	fs.Var(&joinEUI, "joineui", "JoinEUI (AppEUI), 16 hex digits (required for OTAA)")
	devAddr := fs.String("devaddr", "", "DevAddr, 8 hex digits: makes the device ABP")
	mac := fs.String("mac", "", "LoRaWAN MAC version: 1.0.x or 1.1 (required)")
	class := fs.String("class", "A", "device class: A or C")
	region := fs.String("region", "", "region (default: the gateways' region when they share one)")
	dest := fs.String("destination", "", "destination that receives the device's uplinks (required)")
	devName := fs.String("name", "", "a name for people")
	replace := fs.Bool("replace", false, "replace the device if it exists")
	for _, k := range keys {
		// Plain strings, parsed after flag parsing, so that the flag
		// package never echoes a malformed key in its error.
		fs.StringVar(&k.hex, k.name, "", k.helpSuffix+", 32 hex digits (or --"+k.name+"-file, or "+k.env()+")")
		fs.StringVar(&k.file, k.name+"-file", "", "file holding the "+k.helpSuffix)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, name, usagef("unexpected argument %q", fs.Arg(0)))
	case !devEUI.set:
		return fail(stderr, name, usagef("--deveui is required"))
	case *mac == "":
		return fail(stderr, name, usagef("--mac is required (1.0, 1.0.0 to 1.0.4, or 1.1)"))
	case *dest == "":
		return fail(stderr, name, usagef("--destination is required (loraedge destination add NAME … creates one)"))
	case *devAddr == "" && !joinEUI.set:
		return fail(stderr, name, usagef("--joineui is required for OTAA (or give --devaddr and session keys for ABP)"))
	}
	spec.DevEUI = devEUI.eui
	if joinEUI.set {
		j := joinEUI.eui
		spec.JoinEUI = &j
	}
	if *devAddr != "" {
		addr, err := lorawan.ParseDevAddr(*devAddr)
		if err != nil {
			return fail(stderr, name, usagef("--devaddr %q: want 8 hex digits", *devAddr))
		}
		spec.DevAddr = &addr
	}
	spec.MACVersion, spec.Class, spec.Region, spec.Destination, spec.Name = *mac, *class, *region, *dest, *devName
	var fromEnv []string
	for _, k := range keys {
		src, err := k.resolve()
		if err != nil {
			return fail(stderr, name, err)
		}
		if src == k.env() {
			fromEnv = append(fromEnv, src)
		}
	}
	// Refuse bad input before the store is opened (or created). A missing
	// region is filled in below from the gateways, so it is left out here.
	check := spec
	if check.Region == "" {
		check.Region = lorawan.Regions()[0].Name()
	}
	if err := check.Validate(); err != nil {
		return fail(stderr, name, err)
	}
	if a.api == "" && a.apiTokenFile == "" && a.apiCA == "" {
		// The cloud's own configuration says which DevAddrs its gateways
		// forward; checked here too for when its admin API takes the
		// command (the store is locked by the running cloud).
		cfg, err := loadCloudConfig(a.config, a.data)
		if err != nil {
			return fail(stderr, name, usageError{err.Error()})
		}
		netIDs, err := gatewayNetIDFilter(cfg)
		if err != nil {
			return fail(stderr, name, usageError{err.Error()})
		}
		if err := spec.ValidateNetID(netIDs); err != nil {
			return fail(stderr, name, err)
		}
	}
	api, closeAPI, err := openAdmin(a, true, name, stderr)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer closeAPI()
	if spec.Region == "" {
		r, err := gatewaysRegion(ctx, api)
		if err != nil {
			return fail(stderr, name, err)
		}
		spec.Region = r
		fmt.Fprintf(stderr, "loraedge %s: region %s, the region of the registered gateways\n", name, r)
	}
	if len(fromEnv) > 0 {
		fmt.Fprintf(stderr, "loraedge %s: keys taken from the environment: %s\n", name, strings.Join(fromEnv, ", "))
	}
	d, err := api.AddDevice(ctx, spec, *replace)
	if cerr := closeAPI(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(stderr, name, err)
	}
	act := d.Activation
	if d.DevAddr != nil {
		act += " devaddr " + d.DevAddr.String()
	}
	fmt.Fprintf(stdout, "device %s %s: %s, LoRaWAN %s, class %s, %s, destination %s\n",
		d.DevEUI, addedOrReplaced(*replace), act, d.MACVersion, d.Class, d.Region, d.Destination)
	return exitOK
}

// gatewaysRegion returns the region every registered gateway shares, the
// default region of a device added without --region.
func gatewaysRegion(ctx context.Context, api adminAPI) (string, error) {
	gs, err := api.ListGateways(ctx)
	if err != nil {
		return "", err
	}
	set := map[string]bool{}
	for _, g := range gs {
		set[g.Region] = true
	}
	switch len(set) {
	case 0:
		return "", usagef("--region is required (no gateway is registered to take it from)")
	case 1:
		for r := range set {
			return r, nil
		}
	}
	regions := make([]string, 0, len(set))
	for r := range set {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	return "", usagef("--region is required: the gateways use %s", strings.Join(regions, ", "))
}

func runDeviceList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return listCommand[admin.Device]{
		name:   "device list",
		usage:  "usage: loraedge device list [--json]\n\nLists the devices; never a key.",
		fetch:  adminAPI.ListDevices,
		header: "DEVEUI\tJOINEUI\tACTIVATION\tDEVADDR\tMAC\tCLASS\tREGION\tDESTINATION\tNAME",
		row: func(d admin.Device) string {
			addr, joinEUI := "-", d.JoinEUI.String()
			if d.DevAddr != nil {
				addr = d.DevAddr.String()
				if d.JoinEUI == (lorawan.EUI64{}) {
					joinEUI = "-" // an ABP device given no JoinEUI
				}
			}
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", d.DevEUI, joinEUI, d.Activation, addr,
				d.MACVersion, d.Class, d.Region, d.Destination, d.Name)
		},
	}.run(ctx, args, stdout, stderr)
}

func runDeviceRm(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return removeByEUI{
		name: "device rm",
		usage: "usage: loraedge device rm --deveui EUI\n\nRemoves a device with its sessions, frame counters, DevNonce history and\n" +
			"downlink queue.",
		flag: "deveui", flagHelp: "DevEUI, 16 hex digits (required)", noun: "device",
		remove: adminAPI.DeleteDevice,
	}.run(ctx, args, stdout, stderr)
}
