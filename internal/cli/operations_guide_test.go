package cli_test

import (
	"os"
	"strings"
	"testing"
)

// TestOperationsGuideCommands: every command in a sh block of docs/operations.md is run by CI,
// verbatim: by scripts/operations-check or by .ci/run. Lines that need a running systemd or
// change the machine (installing into /usr/local/bin, adding a user) are listed here instead:
// CI verifies the units they install with systemd-analyze.
func TestOperationsGuideCommands(t *testing.T) {
	guide := read(t, "../../docs/operations.md")
	ran := read(t, "../../scripts/operations-check") + read(t, "../../.ci/run")
	needSystemd := []string{"systemctl ", "journalctl ", "useradd ", "install -m 0755 dist/", "install -m 0644 deploy/", "install -d "}
	n := 0
	for _, cmd := range shCommands(guide) {
		if hasPrefix(cmd, needSystemd) {
			continue
		}
		n++
		if !strings.Contains(ran, cmd) {
			t.Errorf("docs/operations.md runs %q, which neither scripts/operations-check nor .ci/run runs", cmd)
		}
	}
	if n < 15 {
		t.Errorf("found %d commands in the guide's sh blocks; the extraction is broken", n)
	}
}

// shCommands returns the lines of the ```sh blocks of a Markdown text.
func shCommands(md string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#"):
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
