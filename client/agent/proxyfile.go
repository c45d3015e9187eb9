package agent

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
)

// maxLine bounds one line of a machines or results file.
const maxLine = 8 << 10

// maxReported bounds how many bad lines an error lists.
const maxReported = 20

// ParseMachines reads a machines file for proxy activation: one machine per line, either a JSON
// object as `licet client installation-id --json` writes it or a bare installation ID. Blank
// lines and lines starting with # are skipped. Every installation ID is checked offline; bad
// lines are reported together, each with its line number (EInvalid, details.lines).
func ParseMachines(r io.Reader) ([]licet.ProxyMachine, error) {
	var out []licet.ProxyMachine
	var bad []string
	var badLines []int
	err := eachLine(r, func(n int, line string) {
		m, err := parseMachineLine(line)
		if err != nil {
			if len(bad) < maxReported {
				bad = append(bad, fmt.Sprintf("line %d: %v", n, err))
			}
			badLines = append(badLines, n)
			return
		}
		m.Line = n
		out = append(out, m)
	})
	if err != nil {
		return nil, err
	}
	if len(badLines) > 0 {
		more := ""
		if len(badLines) > len(bad) {
			more = fmt.Sprintf("\n  … and %d more", len(badLines)-len(bad))
		}
		return nil, licet.Errorf(licet.EInvalid, "the machines file has %d bad line(s); fix or remove them and run again:\n  %s%s", len(badLines), strings.Join(bad, "\n  "), more).
			With("lines", badLines)
	}
	if len(out) == 0 {
		return nil, licet.Errorf(licet.EInvalid, "the machines file holds no installation ID: collect them with `licet client installation-id --json >> FILE` on each machine")
	}
	if len(out) > licet.MaxProxyMachines {
		return nil, licet.Errorf(licet.EInvalid, "the machines file holds %d machines; one request takes at most %d: split the file", len(out), licet.MaxProxyMachines)
	}
	return out, nil
}

// parseMachineLine reads one line of a machines file and checks its installation ID.
func parseMachineLine(line string) (licet.ProxyMachine, error) {
	var m licet.ProxyMachine
	if strings.HasPrefix(line, "{") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil || dec.More() {
			return m, errors.New("not a JSON line of `licet client installation-id --json`")
		}
		m.Line = 0
	} else {
		m.InstallationID = line
	}
	iid, err := keys.ParseInstallationID(m.InstallationID)
	if err != nil {
		if m.InstallationID == line && !looksLikeID(line) {
			return m, errors.New("not an installation ID or a JSON line of `licet client installation-id --json`")
		}
		return m, keys.Problem("installationId", err)
	}
	m.InstallationID = iid.String()
	return m, nil
}

// looksLikeID reports whether a line is made of digits and separators only.
func looksLikeID(s string) bool {
	return strings.Trim(s, "0123456789- ") == ""
}

// eachLine calls fn with every line that is not blank or a comment, numbered from 1.
func eachLine(r io.Reader, fn func(n int, line string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(n, line)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return licet.Errorf(licet.EInvalid, "line %d is longer than %d bytes: this is not a machines or results file", n+1, maxLine)
	}
	return sc.Err()
}

// WriteResults writes the results of a proxy activation as JSON lines, in the request's order:
// the file the machines then apply with `licet client confirm --from FILE`.
func WriteResults(w io.Writer, results []licet.ProxyResult) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ParseResults reads a results file written by WriteResults; bad lines are reported with their
// numbers.
func ParseResults(r io.Reader) ([]licet.ProxyResult, error) {
	var out []licet.ProxyResult
	var bad []int
	err := eachLine(r, func(n int, line string) {
		var res licet.ProxyResult
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&res); err != nil || dec.More() {
			bad = append(bad, n)
			return
		}
		out = append(out, res)
	})
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, licet.Errorf(licet.EInvalid, "the results file has bad lines %v: use the file `licet proxy-activate --out` wrote", bad[:min(len(bad), maxReported)]).With("lines", bad)
	}
	return out, nil
}

// PickResult finds this machine's result in a results file: by its installation ID, or else by
// its machine id.
func (a *Agent) PickResult(results []licet.ProxyResult) (licet.ProxyResult, error) {
	own, err := a.InstallationID()
	if err != nil {
		return licet.ProxyResult{}, err
	}
	for _, r := range results {
		if iid, err := keys.ParseInstallationID(r.InstallationID); err == nil && iid.String() == own.InstallationID {
			return r, nil
		}
	}
	for _, r := range results {
		if r.Machine != "" && r.Machine == own.Machine {
			return r, nil
		}
	}
	return licet.ProxyResult{}, licet.Errorf(licet.ENotFound, "the results file has no line for this machine (installation ID %s): add its installation ID to the machines file and run `licet proxy-activate` again", own.InstallationID).
		With("installationId", own.InstallationID)
}

// ConfirmFrom applies this machine's line of a results file: its confirmation ID, or the error
// the service gave for it.
func (a *Agent) ConfirmFrom(results []licet.ProxyResult, pin ed25519.PublicKey) (*Status, error) {
	r, err := a.PickResult(results)
	if err != nil {
		return nil, err
	}
	if r.Error != nil {
		return nil, licet.Errorf(r.Error.Code, "the service did not activate this machine: %s", r.Error.Message)
	}
	if r.ConfirmationID == "" {
		return nil, licet.Errorf(licet.EInvalid, "line %d of the results file has neither a confirmation ID nor an error", r.Line)
	}
	return a.Confirm(r.ConfirmationID, pin, "proxy")
}
