// Command image builds the loraedge cloud's container image without a
// container engine: a static loraedge binary on an empty base, one image
// per platform gathered in a multi-arch index, written as an OCI layout
// (and, with -archive, as an OCI archive) byte for byte the same from the
// same inputs. `make image` runs it; see README.md, "Installing".
//
//	go run ./packaging/image -out out/image/oci -archive out/image/loraedge-cloud.oci.tar \
//	    -version V -epoch N -config packaging/image/cloud.toml \
//	    -binary linux/amd64=out/build/amd64/loraedge -binary linux/arm64=out/build/arm64/loraedge
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed facts, documented in README.md ("Running the cloud as a
// container").
const (
	// UID and GID the cloud runs as: not root, and the conventional
	// "nonroot" id of distroless images, so volume ownership is familiar.
	imageUID = 65532
	imageGID = 65532
	// imageName names the image in the layout's ref (podman load and
	// podman run oci-archive:FILE name it localhost/loraedge-cloud:TAG).
	imageName = "loraedge-cloud"
	// imageUser is that user's name in the image's /etc/passwd.
	imageUser = "loraedge"
	// dataDir is the volume that holds the store, the KEK, the CA and the
	// API token.
	dataDir = "/data"
	// binPath and configPath are where the binary and the default
	// configuration sit in the image.
	binPath    = "/usr/bin/loraedge"
	configPath = "/etc/loraedge/cloud.toml"
	// caPath is where Go's crypto/x509 looks first on Linux.
	caPath = "/etc/ssl/certs/ca-certificates.crt"
	// gatewayPort is the Basics Station endpoint (wss, mutual TLS), the
	// one port the image exposes. The HTTP API with /healthz listens on
	// 6040 inside the container but is not exposed: it is plain HTTP.
	gatewayPort = "6039/tcp"
)

// options are the inputs of one build.
type options struct {
	binaries map[string]string // platform ("linux/amd64") → binary path
	config   string            // cloud.toml to put at configPath
	caBundle string            // optional CA bundle to put at caPath
	version  string            // loraedge version, for labels and the ref name
	revision string            // source revision, for a label ("" for none)
	source   string            // source URL, for a label ("" for none)
	epoch    time.Time         // every timestamp in the image
	refName  string            // org.opencontainers.image.ref.name in the layout: NAME:TAG
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// platformFlag collects repeated -binary PLATFORM=PATH flags.
type platformFlag map[string]string

func (p platformFlag) String() string { return fmt.Sprint(map[string]string(p)) }

func (p platformFlag) Set(s string) error {
	plat, file, ok := strings.Cut(s, "=")
	if !ok || file == "" {
		return fmt.Errorf("want PLATFORM=PATH, got %q", s)
	}
	if _, err := parsePlatform(plat); err != nil {
		return err
	}
	if _, dup := p[plat]; dup {
		return fmt.Errorf("platform %s given twice", plat)
	}
	p[plat] = file
	return nil
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("image", flag.ContinueOnError)
	bins := platformFlag{}
	fl.Var(bins, "binary", "PLATFORM=PATH of a static loraedge binary, e.g. linux/arm64=out/build/arm64/loraedge (repeat per platform)")
	out := fl.String("out", "", "OCI layout directory to write (replaced)")
	archive := fl.String("archive", "", "also write the layout as an OCI archive (tar) here")
	cfg := fl.String("config", "packaging/image/cloud.toml", "cloud configuration to ship at "+configPath)
	ca := fl.String("ca-bundle", "", "CA bundle (PEM) to ship at "+caPath+", for TLS to brokers and webhooks")
	version := fl.String("version", "", "loraedge version (required)")
	revision := fl.String("revision", "", "source revision, for the org.opencontainers.image.revision label")
	source := fl.String("source", "https://github.com/loraedge/loraedge", "source URL, for the org.opencontainers.image.source label")
	epoch := fl.String("epoch", os.Getenv("SOURCE_DATE_EPOCH"), "Unix time of every timestamp (default $SOURCE_DATE_EPOCH)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if *out == "" || *version == "" || len(bins) == 0 {
		return errors.New("-out, -version and at least one -binary are required")
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil || secs <= 0 {
		return fmt.Errorf("-epoch or SOURCE_DATE_EPOCH must be a positive Unix time, got %q", *epoch)
	}
	o := options{
		binaries: bins,
		config:   *cfg,
		caBundle: *ca,
		version:  *version,
		revision: *revision,
		source:   *source,
		epoch:    time.Unix(secs, 0).UTC(),
		refName:  imageName + ":" + tagFor(*version),
	}
	idx, err := buildIndex(o)
	if err != nil {
		return err
	}
	if err := writeLayout(*out, idx, o.refName); err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s (ref %s)\n", *out, d, o.refName)
	if *archive != "" {
		if err := writeArchive(*archive, *out, o.epoch); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", *archive)
	}
	return nil
}

// tagFor turns a version into a valid image tag ([A-Za-z0-9_.-], at most
// 128 characters): Debian-style "+" and "~" become "-".
func tagFor(version string) string {
	var b strings.Builder
	for _, r := range version {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	t := strings.TrimLeft(b.String(), ".-")
	if len(t) > 128 {
		t = t[:128]
	}
	if t == "" {
		t = "latest"
	}
	return t
}

// parsePlatform reads "os/arch" or "os/arch/variant".
func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// buildIndex builds one image per platform, in platform order, and the
// index over them.
func buildIndex(o options) (v1.ImageIndex, error) {
	plats := make([]string, 0, len(o.binaries))
	for p := range o.binaries {
		plats = append(plats, p)
	}
	sort.Strings(plats)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, ps := range plats {
		plat, err := parsePlatform(ps)
		if err != nil {
			return nil, err
		}
		img, err := buildImage(o, plat, o.binaries[ps])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ps, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &plat},
		})
	}
	return idx, nil
}

// buildImage builds the image of one platform: one layer, the config.
func buildImage(o options, plat v1.Platform, binary string) (v1.Image, error) {
	files, err := layerFiles(o, binary)
	if err != nil {
		return nil, err
	}
	raw, err := tarLayer(files, o.epoch)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	created := v1.Time{Time: o.epoch}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   created,
			CreatedBy: "loraedge packaging/image",
			Comment:   "static loraedge binary, cloud configuration, /data volume",
		},
		MediaType: types.OCILayer,
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Variant = plat.Architecture, plat.OS, plat.Variant
	cf.Created = created
	cf.Author = ""
	cf.Config = containerConfig(o)
	return mutate.ConfigFile(img, cf)
}

// containerConfig is how the container runs.
func containerConfig(o options) v1.Config {
	labels := map[string]string{
		"org.opencontainers.image.title":       imageName,
		"org.opencontainers.image.description": "loraedge cloud: LoRa Basics Station LNS (gateways on 6039/tcp, mutual TLS); HTTP API and /healthz on 6040/tcp inside the container",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.created":     o.epoch.Format(time.RFC3339),
	}
	if o.revision != "" {
		labels["org.opencontainers.image.revision"] = o.revision
	}
	if o.source != "" {
		labels["org.opencontainers.image.source"] = o.source
	}
	return v1.Config{
		User:         fmt.Sprintf("%d:%d", imageUID, imageGID),
		Entrypoint:   []string{binPath, "cloud"},
		Cmd:          []string{"--config", configPath},
		WorkingDir:   dataDir,
		Env:          []string{"PATH=/usr/bin"},
		Volumes:      map[string]struct{}{dataDir: {}},
		ExposedPorts: map[string]struct{}{gatewayPort: {}},
		StopSignal:   "SIGTERM",
		Labels:       labels,
	}
}

// layerFile is one entry of the image's only layer.
type layerFile struct {
	name     string // path without a leading slash; a trailing one marks a directory
	mode     int64
	uid, gid int
	data     []byte
}

// layerFiles lists the layer's content.
func layerFiles(o options, binary string) ([]layerFile, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	if len(bin) < 4 || string(bin[:4]) != "\x7fELF" {
		return nil, fmt.Errorf("%s is not an ELF binary", binary)
	}
	cfg, err := os.ReadFile(o.config)
	if err != nil {
		return nil, err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:loraedge cloud:%s:/sbin/nologin\n",
		imageUser, imageUID, imageGID, dataDir)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", imageUser, imageGID)
	files := []layerFile{
		{name: "data/", mode: 0o750, uid: imageUID, gid: imageGID},
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/loraedge/", mode: 0o755},
		{name: "etc/loraedge/cloud.toml", mode: 0o644, data: cfg},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "tmp/", mode: 0o1777},
		{name: "usr/", mode: 0o755},
		{name: "usr/bin/", mode: 0o755},
		{name: "usr/bin/loraedge", mode: 0o755, data: bin},
	}
	if o.caBundle != "" {
		ca, err := os.ReadFile(o.caBundle)
		if err != nil {
			return nil, err
		}
		files = append(files,
			layerFile{name: "etc/ssl/", mode: 0o755},
			layerFile{name: "etc/ssl/certs/", mode: 0o755},
			layerFile{name: strings.TrimPrefix(caPath, "/"), mode: 0o644, data: ca})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, nil
}

// tarLayer writes files as an uncompressed tar, every time stamp epoch,
// no user or group names, so that equal inputs give equal bytes.
func tarLayer(files []layerFile, epoch time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name:    f.name,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.gid,
			ModTime: epoch,
			Format:  tar.FormatPAX,
		}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeLayout replaces dir with an OCI layout holding idx under refName.
func writeLayout(dir string, idx v1.ImageIndex, refName string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": refName,
	}))
}

// writeArchive writes the layout in dir as an OCI archive: a tar with
// oci-layout, index.json and blobs/ at its root, entries in name order,
// every time stamp epoch.
func writeArchive(file, dir string, epoch time.Time) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".archive-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	tw := tar.NewWriter(tmp)
	for _, n := range names {
		h := &tar.Header{Name: n, ModTime: epoch, Format: tar.FormatPAX}
		var data []byte
		if strings.HasSuffix(n, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		} else {
			if data, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(n))); err != nil {
				return err
			}
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
