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

	"github.com/loraedge/loraedge/store"
)

// runKEK implements `loraedge kek rotate|id`: the key-encryption key that
// seals the cloud store's keys. It prints KEK ids only, never a key.
func runKEK(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	kekUsage := func(w io.Writer) {
		fmt.Fprintln(w, `usage: loraedge kek rotate|id --data DIR [--db FILE] [--kek FILE]

  rotate  seal every key of the store under a new KEK, in one transaction,
          and replace the KEK file crash-safely (stop the cloud first)
  id      print the id of the KEK the store is sealed under

DIR holds `+store.DefaultDBFile+` and `+store.DefaultKEKFile+`; --db and --kek name the files
elsewhere.`)
	}
	usage := func() { kekUsage(stderr) }
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub := args[0]
	if sub != "rotate" && sub != "id" {
		fmt.Fprintf(stderr, "loraedge kek: unknown command %q\n", sub)
		usage()
		return exitUsage
	}
	flags := flag.NewFlagSet("kek "+sub, flag.ContinueOnError)
	flags.Usage = func() { kekUsage(flags.Output()) }
	dataDir := flags.String("data", "", "data directory holding "+store.DefaultDBFile+" and "+store.DefaultKEKFile)
	dbPath := flags.String("db", "", "store file (default DIR/"+store.DefaultDBFile+")")
	kekPath := flags.String("kek", "", "KEK file (default DIR/"+store.DefaultKEKFile+")")
	if code, done := parseFlags(flags, args[1:], stdout, stderr); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "loraedge kek %s: unexpected argument %q\n", sub, flags.Arg(0))
		return exitUsage
	}
	if *dbPath == "" || *kekPath == "" {
		if *dataDir == "" {
			fmt.Fprintf(stderr, "loraedge kek %s: --data DIR is required (or both --db and --kek)\n", sub)
			return exitUsage
		}
		if *dbPath == "" {
			*dbPath = filepath.Join(*dataDir, store.DefaultDBFile)
		}
		if *kekPath == "" {
			*kekPath = filepath.Join(*dataDir, store.DefaultKEKFile)
		}
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "loraedge kek %s: %v\n", sub, err)
		return exitFailure
	}
	if _, ok, _ := store.KEKFromEnv(); ok {
		fmt.Fprintf(stderr, "loraedge kek %s: %s is set; this command works on the KEK file %s (unset it to go on)\n", sub, store.EnvKEK, *kekPath)
		return exitFailure
	}
	// Never create a store (or a KEK) here: both must exist.
	for _, p := range []string{*dbPath, *kekPath} {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "loraedge kek %s: %s does not exist\n", sub, p)
			return exitFailure
		}
	}
	db, err := store.OpenWithKEKFile(*dbPath, *kekPath, &store.Options{LockTimeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			fmt.Fprintf(stderr, "loraedge kek %s: %v: stop the cloud first\n", sub, err)
		} else {
			fmt.Fprintf(stderr, "loraedge kek %s: %v\n", sub, err)
		}
		return exitFailure
	}
	defer db.Close()
	switch sub {
	case "id":
		fmt.Fprintln(stdout, db.KEKID())
	case "rotate":
		oldID, newID, err := store.RotateKEKFile(db, *kekPath)
		if err != nil {
			fmt.Fprintf(stderr, "loraedge kek rotate: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "kek rotated: id %s -> %s (%s, %s)\n", oldID, newID, *dbPath, *kekPath)
	}
	if err := db.Close(); err != nil {
		fmt.Fprintf(stderr, "loraedge kek %s: %v\n", sub, err)
		return exitFailure
	}
	return exitOK
}
