package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/loraedge/loraedge/cloud"
)

// loadCloudConfig reads the cloud configuration (defaults when path is "")
// and applies a --data override.
func loadCloudConfig(path, dataDir string) (cloud.Config, error) {
	cfg, err := cloud.LoadConfig(path)
	if err != nil {
		return cloud.Config{}, err
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	return cfg, nil
}

// runCloud implements `loraedge cloud --config FILE [--data DIR]`: the LNS
// for Basics Station gateways, until interrupted.
func runCloud(ctx context.Context, args []string, _, stderr io.Writer) int {
	flags := flag.NewFlagSet("cloud", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, `usage: loraedge cloud [--config FILE] [--data DIR]

Runs the cloud: the Basics Station endpoint for gateways (mutual TLS), with
the store, the key-encryption key and the gateway CA in the data directory.
Without --config every setting takes its default (see cloud.example.toml).
Stops cleanly on SIGINT or SIGTERM.`)
		flags.PrintDefaults()
	}
	configPath := flags.String("config", "", "configuration file (TOML)")
	dataDir := flags.String("data", "", "data directory (overrides data_dir)")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "loraedge cloud: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	}
	cfg, err := loadCloudConfig(*configPath, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge cloud: %v\n", err)
		return exitUsage
	}
	level, _ := cfg.Level() // validated by LoadConfig
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	c, err := cloud.New(cfg, cloud.Options{Logger: log})
	if err != nil {
		log.Error("cloud did not start", "error", err)
		return exitFailure
	}
	if err := c.Run(ctx); err != nil {
		log.Error("cloud stopped with an error", "error", err)
		return exitFailure
	}
	return exitOK
}
