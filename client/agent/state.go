package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/licet/licet"
)

// StateVersion is the version of the state file format.
const StateVersion = 1

// stateFile is the name of the state file in the state directory.
const stateFile = "state.json"

// maxStateSize bounds the state file; anything larger is corrupt.
const maxStateSize = 256 << 10

// State is what the agent keeps on disk, in state.json of its state directory (mode 0600).
type State struct {
	Version int `json:"version"`
	// Server is the licet server the agent activated against.
	Server string `json:"server,omitempty"`
	// OperatorKey is the pinned public key (base64) that verifies tickets.
	OperatorKey string `json:"operator_key,omitempty"`
	// KeySet is the operator's signed key set last learned (from the server or a KMS host): the
	// keys made after the pinned one, endorsed in a chain from it, and the keys retired.
	KeySet string `json:"keySet,omitempty"`
	// KeysCheckedAt is when the daemon last asked the server for the key set (machines
	// activated online; KMS clients get it from their host).
	KeysCheckedAt time.Time `json:"keysCheckedAt,omitzero"`

	Product  string `json:"product,omitempty"`
	Key      string `json:"key,omitempty"` // the installed product key
	KeyType  string `json:"key_type,omitempty"`
	KeyGroup uint16 `json:"key_group,omitempty"`
	// InstalledAt is when the current key was installed; FirstInstalledAt when the first key of
	// the product was: the initial grace period counts from it, so that reinstalling a key does
	// not restart it.
	InstalledAt      time.Time `json:"installed_at,omitzero"`
	FirstInstalledAt time.Time `json:"first_installed_at,omitzero"`

	Ticket      string    `json:"ticket,omitempty"` // signed activation ticket
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	// Offline is the confirmation ID installed by offline or proxy activation (instead of a ticket).
	Offline *OfflineState `json:"offline,omitempty"`
	// OutOfToleranceSince is when the agent first saw the hardware out of tolerance of the
	// ticket's; the additional grace period counts from it.
	OutOfToleranceSince *time.Time `json:"out_of_tolerance_since,omitempty"`
	// KMS is where a kms-client key finds its hosts and what the last one answered (kms.go).
	KMS *KMSState `json:"kms,omitempty"`
	// Directory is how a kms-client key binds to the directory and what it read last (directory.go).
	Directory *DirectoryState `json:"directory,omitempty"`
}

// DefaultDir is the state directory when none is given: /var/lib/licet for root and
// $XDG_STATE_HOME/licet (~/.local/state/licet) for other users on Unix,
// %ProgramData%\licet on Windows, and ~/Library/Application Support/licet on macOS.
func DefaultDir() string {
	switch runtime.GOOS {
	case "windows":
		if p := os.Getenv("ProgramData"); p != "" {
			return filepath.Join(p, "licet")
		}
		return `C:\ProgramData\licet`
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil && os.Geteuid() != 0 {
			return filepath.Join(home, "Library", "Application Support", "licet")
		}
		return "/Library/Application Support/licet"
	}
	if os.Geteuid() == 0 {
		return "/var/lib/licet"
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "licet")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "licet")
	}
	return ".licet"
}

// Load reads the state of dir; a directory without state gives an empty State.
func Load(dir string) (State, error) {
	path := filepath.Join(dir, stateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return State{Version: StateVersion}, nil
	}
	if err != nil {
		return State{}, licet.Errorf(licet.CodeStateUnreadable, "cannot read the agent state: %v; check the permissions of the state directory or choose another with --state-dir", err).With("path", path)
	}
	return DecodeState(path, data)
}

// DecodeState parses the content of a state file (named path in errors).
func DecodeState(path string, data []byte) (State, error) {
	var s State
	if len(data) > maxStateSize {
		return s, corrupt(path, fmt.Sprintf("it is larger than %d bytes", maxStateSize))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return State{}, corrupt(path, "it is not valid agent state: "+err.Error())
	}
	if dec.More() {
		return State{}, corrupt(path, "it holds data after the state")
	}
	if s.Version != StateVersion {
		return State{}, corrupt(path, fmt.Sprintf("state version %d is not %d", s.Version, StateVersion))
	}
	return s, nil
}

func corrupt(path, why string) error {
	return licet.Errorf(licet.CodeStateCorrupt, "the agent state %s is corrupt: %s; move it away and install the key again (`licet client install-key`)", path, why).
		With("path", path)
}

// Save writes the state atomically: a temporary file in dir, synced, then renamed over
// state.json, so that a crash leaves the old state or the new one, never a mix.
func Save(dir string, s State) error {
	s.Version = StateVersion
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	unwritable := func(err error) error {
		return licet.Errorf(licet.CodeStateUnwritable, "cannot write the agent state in %s: %v; choose another directory with --state-dir or fix its permissions", dir, err).
			With("path", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return unwritable(err)
	}
	f, err := os.CreateTemp(dir, ".state-*.tmp")
	if err != nil {
		return unwritable(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return unwritable(err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return unwritable(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return unwritable(err)
	}
	if err := f.Close(); err != nil {
		return unwritable(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return unwritable(err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable where the platform allows it
		d.Close()
	}
	return nil
}
