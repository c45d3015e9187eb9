// Command image builds licet's container image as an OCI archive without a container daemon,
// from the Containerfile beside it, and checks an archive by running the binary inside it.
//
//	go -C build/image run . build --binary "$PWD/dist/licet-linux-amd64" --arch amd64 --out "$PWD/dist/licet-image.oci.tar"
//	go -C build/image run . run --archive "$PWD/dist/licet-image.oci.tar" -- version
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
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

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: image build --binary FILE --arch ARCH --out FILE [--containerfile FILE] [--created RFC3339]\n       image run --archive FILE -- ARGS…")
	os.Exit(2)
}

// recipe is what the Containerfile says.
type recipe struct {
	copies      [][2]string // source (relative to the binary's name "licet"), destination
	user        string
	workdir     string
	volumes     []string
	exposed     []string
	env         []string
	entrypoint  []string
	cmd         []string
	healthcheck *v1.HealthConfig
}

// parse reads the subset of the Containerfile syntax the image uses; anything else is refused.
func parse(text string) (*recipe, error) {
	r := &recipe{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		var err error
		switch strings.ToUpper(word) {
		case "FROM":
			if rest != "scratch" {
				err = fmt.Errorf("only FROM scratch is supported")
			}
		case "COPY":
			f := strings.Fields(rest)
			if len(f) != 2 {
				err = fmt.Errorf("COPY takes one source and one destination")
			} else {
				r.copies = append(r.copies, [2]string{f[0], f[1]})
			}
		case "USER":
			r.user = rest
		case "WORKDIR":
			r.workdir = rest
		case "VOLUME":
			err = json.Unmarshal([]byte(rest), &r.volumes)
		case "EXPOSE":
			r.exposed = append(r.exposed, strings.Fields(rest)...)
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				if !strings.Contains(kv, "=") {
					err = fmt.Errorf("ENV takes NAME=VALUE pairs")
				}
				r.env = append(r.env, kv)
			}
		case "ENTRYPOINT":
			err = json.Unmarshal([]byte(rest), &r.entrypoint)
		case "CMD":
			err = json.Unmarshal([]byte(rest), &r.cmd)
		case "HEALTHCHECK":
			r.healthcheck, err = healthcheck(rest)
		default:
			err = fmt.Errorf("instruction %s is not supported", word)
		}
		if err != nil {
			return nil, fmt.Errorf("Containerfile:%d: %w", n+1, err)
		}
	}
	return r, nil
}

// healthcheck parses "[--interval=D] [--timeout=D] [--retries=N] CMD [json]".
func healthcheck(s string) (*v1.HealthConfig, error) {
	h := &v1.HealthConfig{}
	for strings.HasPrefix(s, "--") {
		opt, rest, _ := strings.Cut(s, " ")
		s = strings.TrimSpace(rest)
		name, value, _ := strings.Cut(strings.TrimPrefix(opt, "--"), "=")
		var err error
		switch name {
		case "interval":
			h.Interval, err = time.ParseDuration(value)
		case "timeout":
			h.Timeout, err = time.ParseDuration(value)
		case "retries":
			h.Retries, err = strconv.Atoi(value)
		default:
			err = fmt.Errorf("HEALTHCHECK option --%s is not supported", name)
		}
		if err != nil {
			return nil, err
		}
	}
	cmd, ok := strings.CutPrefix(s, "CMD ")
	if !ok {
		return nil, errors.New("HEALTHCHECK needs CMD [\"…\"]")
	}
	var args []string
	if err := json.Unmarshal([]byte(cmd), &args); err != nil {
		return nil, err
	}
	h.Test = append([]string{"CMD"}, args...)
	return h, nil
}

func build(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	binary := fs.String("binary", "", "the licet binary (static, linux)")
	arch := fs.String("arch", "amd64", "the binary's architecture")
	out := fs.String("out", "", "the OCI archive to write")
	containerfile := fs.String("containerfile", "Containerfile", "the recipe")
	created := fs.String("created", "", "the image's creation time, RFC 3339 (default: the binary's modification time)")
	fs.Parse(args)
	if *binary == "" || *out == "" {
		return errors.New("--binary and --out are required")
	}
	text, err := os.ReadFile(*containerfile)
	if err != nil {
		return err
	}
	r, err := parse(string(text))
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(*binary)
	if err != nil {
		return err
	}
	when := time.Time{}
	if *created != "" {
		if when, err = time.Parse(time.RFC3339, *created); err != nil {
			return fmt.Errorf("--created: %w", err)
		}
	} else if st, err := os.Stat(*binary); err == nil {
		when = st.ModTime().UTC().Truncate(time.Second)
	}
	layerTar, err := r.layer(bin, when)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", *arch, v1.Time{Time: when}
	cf.Config = r.config()
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	return writeArchive(img, *out)
}

func (r *recipe) config() v1.Config {
	c := v1.Config{User: r.user, WorkingDir: r.workdir, Env: r.env, Entrypoint: r.entrypoint, Cmd: r.cmd, Healthcheck: r.healthcheck}
	if len(r.volumes) > 0 {
		c.Volumes = map[string]struct{}{}
		for _, v := range r.volumes {
			c.Volumes[v] = struct{}{}
		}
	}
	if len(r.exposed) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range r.exposed {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			c.ExposedPorts[p] = struct{}{}
		}
	}
	return c
}

// layer is the image's one layer: the copied binary, and each WORKDIR and VOLUME directory owned
// by USER with mode 0700.
func (r *recipe) layer(bin []byte, when time.Time) ([]byte, error) {
	uid, gid := 0, 0
	if r.user != "" {
		u, g, _ := strings.Cut(r.user, ":")
		var err error
		if uid, err = strconv.Atoi(u); err != nil {
			return nil, fmt.Errorf("USER %s: give a numeric uid (an empty base has no /etc/passwd)", r.user)
		}
		gid = uid
		if g != "" {
			if gid, err = strconv.Atoi(g); err != nil {
				return nil, fmt.Errorf("USER %s: give a numeric gid", r.user)
			}
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	made := map[string]bool{}
	dir := func(p string, owned bool) error {
		p = strings.Trim(path.Clean(p), "/")
		if p == "" || made[p] {
			return nil
		}
		made[p] = true
		h := &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755, ModTime: when}
		if owned {
			h.Uid, h.Gid, h.Mode = uid, gid, 0o700
		}
		return tw.WriteHeader(h)
	}
	parents := func(p string) error {
		parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
		for i := 1; i < len(parts); i++ {
			if err := dir(strings.Join(parts[:i], "/"), false); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range r.copies {
		if c[0] != "licet" {
			return nil, fmt.Errorf("COPY %s: only the licet binary is copied", c[0])
		}
		if err := parents(c[1]); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(c[1], "/"), Mode: 0o755, Size: int64(len(bin)), ModTime: when}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(bin); err != nil {
			return nil, err
		}
	}
	for _, d := range append([]string{r.workdir}, r.volumes...) {
		if d == "" {
			continue
		}
		if err := parents(d); err != nil {
			return nil, err
		}
		if err := dir(d, true); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeArchive writes img as an OCI image layout and packs the layout into a tar file (the "OCI
// archive" podman, skopeo and containerd import).
func writeArchive(img v1.Image, out string) error {
	dir, err := os.MkdirTemp("", "licet-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		f.Close()
		return err
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d, _ := img.Digest()
	fmt.Printf("wrote %s (image %s)\n", out, d)
	return nil
}

// run unpacks the archive, extracts the image's filesystem, prints its configuration, and runs
// the entrypoint's binary with the arguments given.
func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	archive := fs.String("archive", "", "the OCI archive")
	fs.Parse(args)
	if *archive == "" {
		return errors.New("--archive is required")
	}
	dir, err := os.MkdirTemp("", "licet-image-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := untar(*archive, filepath.Join(dir, "layout")); err != nil {
		return err
	}
	idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "layout"))
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) != 1 {
		return fmt.Errorf("the archive holds %d images, want 1", len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	c := cf.Config
	fmt.Printf("image %s %s/%s: user %s, entrypoint %v, volumes %v, workdir %s, healthcheck %v\n",
		m.Manifests[0].Digest, cf.OS, cf.Architecture, c.User, c.Entrypoint, keys(c.Volumes), c.WorkingDir, c.Healthcheck.Test)
	if len(c.Entrypoint) == 0 {
		return errors.New("the image has no entrypoint")
	}
	root := filepath.Join(dir, "rootfs")
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := untarReader(rc, root); err != nil {
		return err
	}
	bin := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(c.Entrypoint[0], "/")))
	cmd := exec.Command(bin, fs.Args()...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func keys(m map[string]struct{}) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func untar(file, dst string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return untarReader(f, dst)
}

// untarReader writes the regular files and directories of a tar stream under dst, refusing
// paths that leave it.
func untarReader(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(dst, filepath.FromSlash(path.Clean("/"+h.Name)))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.FileMode(h.Mode)&0o755|0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
}
