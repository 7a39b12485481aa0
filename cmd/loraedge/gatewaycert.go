package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
)

// runGatewayCert implements `loraedge gateway cert --eui E --out DIR`: it
// issues a client certificate for the gateway, signed by the cloud's
// gateway CA, and writes a ready Basics Station home (tc.uri, tc.trust,
// tc.crt, tc.key) into DIR.
func runGatewayCert(_ context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("gateway cert", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, `usage: loraedge gateway cert --eui EUI --out DIR [--config FILE] [--data DIR] [--uri URI] [--days N] [--force]

Issues a TLS client certificate for the gateway (CN and DNS SAN: the EUI),
signed by the gateway CA in the cloud's data directory, and writes a Basics
Station home into DIR: tc.uri (the cloud's wss://host:port), tc.trust (the
CA), tc.crt and tc.key (mode 0600). The CA is created if the data directory
has none yet. Register the gateway too (loraedge gateway add).`)
		flags.PrintDefaults()
	}
	var eui euiFlag
	flags.Var(&eui, "eui", "gateway EUI, 16 hex digits (required)")
	out := flags.String("out", "", "directory to write the Station files into (required)")
	configPath := flags.String("config", "", "cloud configuration file (for data_dir and the public host and port)")
	dataDir := flags.String("data", "", "cloud data directory holding the gateway CA (overrides data_dir)")
	uri := flags.String("uri", "", "tc.uri to write instead of the configured wss://public_host:port")
	days := flags.Int("days", int(pki.GatewayValidity/(24*time.Hour)), "certificate validity in days")
	force := flags.Bool("force", false, "overwrite existing tc.* files in DIR")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case flags.NArg() > 0:
		fmt.Fprintf(stderr, "loraedge gateway cert: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	case !eui.set:
		fmt.Fprintln(stderr, "loraedge gateway cert: --eui is required")
		return exitUsage
	case *out == "":
		fmt.Fprintln(stderr, "loraedge gateway cert: --out is required")
		return exitUsage
	case *days < 1:
		fmt.Fprintln(stderr, "loraedge gateway cert: --days must be at least 1")
		return exitUsage
	}
	cfg, err := loadCloudConfig(*configPath, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
		return exitUsage
	}
	tcURI := *uri
	if tcURI == "" {
		if tcURI, err = cfg.TCURI(); err != nil {
			fmt.Fprintf(stderr, "loraedge gateway cert: %v (or give --uri)\n", err)
			return exitUsage
		}
	}
	if err := pki.CheckTCURI(tcURI); err != nil {
		fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
		return exitUsage
	}
	if !*force {
		for _, f := range []string{pki.StationURIFile, pki.StationTrustFile, pki.StationCertFile, pki.StationKeyFile} {
			if _, err := os.Stat(filepath.Join(*out, f)); err == nil {
				fmt.Fprintf(stderr, "loraedge gateway cert: %s exists; use --force to replace the credentials in %s\n", filepath.Join(*out, f), *out)
				return exitFailure
			} else if !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
				return exitFailure
			}
		}
	}
	_, statErr := os.Stat(filepath.Join(cfg.DataDir, pki.CAKeyFile))
	now := time.Now()
	ca, err := pki.LoadOrCreateCA(cfg.DataDir, now)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
		return exitFailure
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "loraedge gateway cert: created a new gateway CA in %s\n", cfg.DataDir)
	}
	// Back-dated an hour, as the server certificate is, for gateways whose
	// clock lags.
	kp, err := ca.IssueGatewayCert(eui.eui, now.Add(-time.Hour), now.Add(time.Duration(*days)*24*time.Hour))
	if err != nil {
		fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
		return exitFailure
	}
	if err := pki.WriteStationHome(*out, tcURI, ca.CertPEM(), kp); err != nil {
		fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
		return exitFailure
	}
	wroteConf, err := writeStationConf(*out, eui.eui)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge gateway cert: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "gateway %s: wrote %s, %s, %s, %s in %s\n", eui.eui, pki.StationURIFile, pki.StationTrustFile,
		pki.StationCertFile, pki.StationKeyFile, *out)
	if wroteConf {
		fmt.Fprintf(stdout, "station.conf written with routerid %s; adjust its SX1301_conf to the board\n", eui.eui)
	}
	fmt.Fprintf(stdout, "tc.uri       %s\n", tcURI)
	fmt.Fprintf(stdout, "valid until  %s\n", kp.Cert.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(stdout, "fingerprint  %s (SHA-256 of the certificate)\n", gateway.CertFingerprint(kp.Cert.Raw))
	return exitOK
}

// stationConfTemplate is the minimal station.conf a home needs besides its
// credentials: the router EUI, and board defaults of the notes' example
// (an SX1301 board with two SX1257 radios on /dev/spidev0.0).
const stationConfTemplate = `/* Written by loraedge gateway cert. station_conf.routerid is this gateway;
   adjust SX1301_conf (or use SX1302_conf) to the concentrator board. */
{
  "SX1301_conf": {
    "lorawan_public": true,
    "clksrc": 1,
    "device": "/dev/spidev0.0",
    "radio_0": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": true, "antenna_gain": 0},
    "radio_1": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": false}
  },
  "station_conf": {
    "routerid": "%s",
    "log_file": "stderr",
    "log_level": "INFO"
  }
}
`

// writeStationConf writes dir/station.conf for eui unless one is there
// (an operator's own board settings are kept); it reports whether it wrote.
func writeStationConf(dir string, eui lorawan.EUI64) (bool, error) {
	path := filepath.Join(dir, "station.conf")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := fmt.Fprintf(f, stationConfTemplate, eui); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}
