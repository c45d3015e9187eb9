package main

import (
	"archive/tar"
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestContainerfile: the recipe parses into the image the operations guide describes.
func TestContainerfile(t *testing.T) {
	text, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	r, err := parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	c := r.config()
	if c.User != "65532:65532" || !reflect.DeepEqual(c.Entrypoint, []string{"/licet", "serve"}) || c.WorkingDir != "/var/lib/licet" {
		t.Errorf("config = %+v; want user 65532, entrypoint licet serve, workdir /var/lib/licet", c)
	}
	if _, ok := c.Volumes["/var/lib/licet"]; !ok {
		t.Errorf("volumes = %v, want /var/lib/licet", c.Volumes)
	}
	if c.Healthcheck == nil || !reflect.DeepEqual(c.Healthcheck.Test, []string{"CMD", "/licet", "health"}) || c.Healthcheck.Interval != 30*time.Second {
		t.Errorf("healthcheck = %+v, want CMD /licet health every 30s", c.Healthcheck)
	}
	layer, err := r.layer([]byte("binary"), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		entries[h.Name] = h
	}
	if h := entries["var/lib/licet/"]; h == nil || h.Uid != 65532 || h.Mode != 0o700 {
		t.Errorf("var/lib/licet/ = %+v, want a 0700 directory owned by 65532", h)
	}
	if h := entries["licet"]; h == nil || h.Mode != 0o755 || h.Size != int64(len("binary")) {
		t.Errorf("licet = %+v, want the 0755 binary", h)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, bad := range []string{"FROM debian", "RUN apt-get update", "COPY a", "VOLUME /x", "HEALTHCHECK --start=5s CMD [\"x\"]", "ENV X"} {
		if _, err := parse(bad); err == nil || !strings.Contains(err.Error(), "Containerfile:1:") {
			t.Errorf("parse(%q) = %v, want an error naming the line", bad, err)
		}
	}
}
