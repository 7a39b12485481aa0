package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// fixture writes two fake ELF binaries, a config and a CA bundle, and
// returns the run arguments that build an image from them.
func fixture(t *testing.T) (dir string, args []string, bins map[string][]byte) {
	t.Helper()
	dir = t.TempDir()
	bins = map[string][]byte{
		"linux/amd64": []byte("\x7fELF amd64 binary"),
		"linux/arm64": []byte("\x7fELF arm64 binary, a bit longer"),
	}
	args = []string{"-version", "1.2.3+git5.abcdef0", "-epoch", "1795791047", "-revision", "abcdef0"}
	for plat, b := range bins {
		f := filepath.Join(dir, strings.ReplaceAll(plat, "/", "-"))
		if err := os.WriteFile(f, b, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-binary", plat+"="+f)
	}
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	args = append(args, "-config", write("cloud.toml", "data_dir = \"/data\"\n"), "-ca-bundle", write("ca.pem", "-----BEGIN CERTIFICATE-----\n"))
	return dir, args, bins
}

// build runs the command into out (a layout) and out+".tar" (an archive).
func build(t *testing.T, args []string, out string) {
	t.Helper()
	var stdout bytes.Buffer
	if err := run(append(slices.Clone(args), "-out", out, "-archive", out+".tar"), &stdout); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stdout.String(), "sha256:") {
		t.Errorf("stdout %q does not name the index digest", stdout.String())
	}
}

func TestReproducible(t *testing.T) {
	dir, args, _ := fixture(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	build(t, args, a)
	build(t, args, b)
	for _, name := range []string{"index.json", "oci-layout"} {
		ga, _ := os.ReadFile(filepath.Join(a, name))
		gb, _ := os.ReadFile(filepath.Join(b, name))
		if len(ga) == 0 || !bytes.Equal(ga, gb) {
			t.Errorf("%s differs between two builds:\n%s\n%s", name, ga, gb)
		}
	}
	ta, _ := os.ReadFile(a + ".tar")
	tb, _ := os.ReadFile(b + ".tar")
	if len(ta) == 0 || !bytes.Equal(ta, tb) {
		t.Errorf("archives differ between two builds (%d and %d bytes)", len(ta), len(tb))
	}

	// Another epoch is another image.
	c := filepath.Join(dir, "c")
	build(t, append(slices.Clone(args), "-epoch", "1795791048"), c)
	gc, _ := os.ReadFile(filepath.Join(c, "index.json"))
	ga, _ := os.ReadFile(filepath.Join(a, "index.json"))
	if bytes.Equal(ga, gc) {
		t.Error("a different epoch gave the same index")
	}
}

// readIndex opens the layout's single top-level index.
func readIndex(t *testing.T, dir string) (v1.ImageIndex, v1.Descriptor) {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("layout index has %d entries, want 1", len(m.Manifests))
	}
	desc := m.Manifests[0]
	idx, err := top.ImageIndex(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	return idx, desc
}

func TestImageConfig(t *testing.T) {
	dir, args, _ := fixture(t)
	out := filepath.Join(dir, "oci")
	build(t, args, out)
	idx, desc := readIndex(t, out)
	if got, want := desc.MediaType, types.OCIImageIndex; got != want {
		t.Errorf("layout entry media type %s, want %s", got, want)
	}
	if got, want := desc.Annotations["org.opencontainers.image.ref.name"], "loraedge-cloud:1.2.3-git5.abcdef0"; got != want {
		t.Errorf("ref name %q, want %q", got, want)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var plats []string
	for _, m := range im.Manifests {
		if m.Platform == nil {
			t.Fatalf("manifest %s has no platform", m.Digest)
		}
		plat := m.Platform.OS + "/" + m.Platform.Architecture
		plats = append(plats, plat)
		t.Run(plat, func(t *testing.T) {
			if m.MediaType != types.OCIManifestSchema1 {
				t.Errorf("manifest media type %s, want %s", m.MediaType, types.OCIManifestSchema1)
			}
			img, err := idx.Image(m.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if got := cf.OS + "/" + cf.Architecture; got != plat {
				t.Errorf("config platform %s, want %s", got, plat)
			}
			if want := time.Unix(1795791047, 0); !cf.Created.Time.Equal(want) {
				t.Errorf("created %v, want %v", cf.Created.Time, want)
			}
			c := cf.Config
			checks := []struct {
				name      string
				got, want any
			}{
				{"user", c.User, "65532:65532"},
				{"entrypoint", c.Entrypoint, []string{"/usr/bin/loraedge", "cloud"}},
				{"cmd", c.Cmd, []string{"--config", "/etc/loraedge/cloud.toml"}},
				{"volumes", c.Volumes, map[string]struct{}{"/data": {}}},
				{"exposed ports", c.ExposedPorts, map[string]struct{}{"6039/tcp": {}}},
				{"working dir", c.WorkingDir, "/data"},
				{"version label", c.Labels["org.opencontainers.image.version"], "1.2.3+git5.abcdef0"},
				{"revision label", c.Labels["org.opencontainers.image.revision"], "abcdef0"},
			}
			for _, ch := range checks {
				if !equalAny(ch.got, ch.want) {
					t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
				}
			}
			mt, err := img.ConfigName()
			if err != nil || mt.String() == "" {
				t.Errorf("config name: %v", err)
			}
			mf, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if mf.Config.MediaType != types.OCIConfigJSON || len(mf.Layers) != 1 || mf.Layers[0].MediaType != types.OCILayer {
				t.Errorf("manifest config %s, layers %v: want OCI config and one OCI gzip layer", mf.Config.MediaType, mf.Layers)
			}
		})
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(plats, want) {
		t.Errorf("platforms %v, want %v", plats, want)
	}
}

func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []string:
		return slices.Equal(x, b.([]string))
	case map[string]struct{}:
		y := b.(map[string]struct{})
		if len(x) != len(y) {
			return false
		}
		for k := range x {
			if _, ok := y[k]; !ok {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func TestLayerContent(t *testing.T) {
	dir, args, bins := fixture(t)
	out := filepath.Join(dir, "oci")
	build(t, args, out)
	idx, _ := readIndex(t, out)
	img, err := idx.Image(mustDigest(t, idx, "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v: want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	type entry struct {
		mode     int64
		uid, gid int
		data     string
	}
	got := map[string]entry{}
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(time.Unix(1795791047, 0)) {
			t.Errorf("%s: mtime %v, want the epoch", h.Name, h.ModTime)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q:%q, want none", h.Name, h.Uname, h.Gname)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = entry{h.Mode, h.Uid, h.Gid, string(b)}
		names = append(names, h.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries not in name order: %v", names)
	}
	want := map[string]entry{
		"usr/bin/loraedge":                  {0o755, 0, 0, string(bins["linux/arm64"])},
		"etc/loraedge/cloud.toml":           {0o644, 0, 0, "data_dir = \"/data\"\n"},
		"etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0, "-----BEGIN CERTIFICATE-----\n"},
		"data/":                             {0o750, 65532, 65532, ""},
		"tmp/":                              {0o1777, 0, 0, ""},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			g, ok := got[name]
			if !ok {
				t.Fatalf("missing from the layer (have %v)", names)
			}
			if g != w {
				t.Errorf("got mode %o uid %d gid %d data %q, want mode %o uid %d gid %d data %q",
					g.mode, g.uid, g.gid, g.data, w.mode, w.uid, w.gid, w.data)
			}
		})
	}
	if p := got["etc/passwd"].data; !strings.Contains(p, "loraedge:x:65532:65532:") {
		t.Errorf("/etc/passwd %q lacks the loraedge user", p)
	}
	if g := got["etc/group"].data; !strings.Contains(g, "loraedge:x:65532:") {
		t.Errorf("/etc/group %q lacks the loraedge group", g)
	}
}

func mustDigest(t *testing.T, idx v1.ImageIndex, arch string) v1.Hash {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.Architecture == arch {
			return m.Digest
		}
	}
	t.Fatalf("no %s image in the index", arch)
	return v1.Hash{}
}

func TestTagFor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.2.3", "1.2.3"},
		{"0.0.0+git20261106123456.79d7670", "0.0.0-git20261106123456.79d7670"},
		{"1.0.0~rc1", "1.0.0-rc1"},
		{".hidden", "hidden"},
		{"", "latest"},
		{strings.Repeat("a", 200), strings.Repeat("a", 128)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tagFor(tt.in); got != tt.want {
				t.Errorf("tagFor(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	dir, args, _ := fixture(t)
	notELF := filepath.Join(dir, "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := []string{"-out", filepath.Join(dir, "out")}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no version", append(slices.Clone(out), "-binary", "linux/amd64="+notELF), "required"},
		{"no binary", append(slices.Clone(out), "-version", "1"), "required"},
		{"bad platform", append(slices.Clone(out), "-version", "1", "-binary", "amd64="+notELF), "os/arch"},
		{"twice", append(slices.Clone(args), "-binary", "linux/amd64="+notELF), "twice"},
		{"not ELF", append(slices.Clone(out), "-version", "1", "-epoch", "10", "-binary", "linux/amd64="+notELF), "not an ELF"},
		{"zero epoch", append(slices.Clone(args), "-epoch", "0", "-out", filepath.Join(dir, "out")), "positive Unix time"},
		{"missing config", append(slices.Clone(args), "-config", filepath.Join(dir, "none.toml"), "-out", filepath.Join(dir, "out")), "none.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
