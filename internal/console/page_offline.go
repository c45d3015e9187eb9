package console

import (
	"strings"
	"unicode"

	"github.com/licet/licet"
)

// Offline activation: the phone activation centre. An installation ID read out over the phone (or
// pasted) goes in; the confirmation ID comes out, in numbered groups to read back, through the
// offline activation service, which consumes an activation of the key exactly as online
// activation does. A mistyped group is named by its number; a refusal such as
// ActivationLimitExceeded is explained with its way out.

func init() {
	register(&page{ID: "offline", Title: "Offline activation", Path: "/offline", Nav: 35, Load: loadOffline,
		Actions: map[string]handler{"": activateOffline}})
}

// offlineData is the offline activation page.
type offlineData struct {
	Available bool
}

// offlineResult is the answer shown once: the confirmation ID in groups, or the typed
// installation ID in groups with the mistyped one marked.
type offlineResult struct {
	Confirmation *licet.Confirmation
	Groups       []string // the confirmation ID's groups, to read back one by one
	KeyHref      string
	Typed        []string // the installation ID as typed, in groups, after a mistyped group
	Mistyped     int      // the number of the mistyped group (from 1), 0 when none
}

func loadOffline(s *Server, c *reqCtx) (any, error) {
	return offlineData{Available: s.Offline != nil}, nil
}

// maxInstallationIDText bounds the text of the field before anything reads it.
const maxInstallationIDText = 256

func activateOffline(s *Server, c *reqCtx) error {
	if s.Offline == nil {
		return licet.Errorf(licet.EUnavailable, "offline activation is not available on this server")
	}
	text := strings.TrimSpace(c.r.PostForm.Get("installationId"))
	switch {
	case text == "":
		return c.refuse(licet.Errorf(licet.EInvalid, "type the installation ID the machine shows (`licet client installation-id`): 9 groups of 7 digits"), "installationId")
	case len(text) > maxInstallationIDText:
		return c.refuse(licet.Errorf(licet.EInvalid, "the installation ID is 9 groups of 7 digits; this text is longer than %d characters", maxInstallationIDText), "installationId")
	}
	conf, err := s.Offline.ActivateOffline(c.ctx(), licet.OfflineRequest{InstallationID: text})
	if err != nil {
		if g := mistypedGroup(err); g > 0 {
			c.result = offlineResult{Typed: idGroups(text), Mistyped: g}
		}
		return c.refuse(err, "installationId")
	}
	res := offlineResult{Confirmation: conf, Groups: strings.Split(conf.ConfirmationID, "-")}
	if conf.Tenant != "" {
		res.KeyHref = keyHref(conf.Tenant, conf.KeyID)
	}
	c.result = res
	return c.show(200)
}

// mistypedGroup returns the group an EInvalid error names (details.group), or 0.
func mistypedGroup(err error) int {
	e := licet.AsError(err)
	if e.Code != licet.EInvalid {
		return 0
	}
	switch g := e.Details["group"].(type) {
	case int:
		return g
	case float64:
		return int(g)
	}
	return 0
}

// idGroups splits a typed ID into its groups, to show it back: at dashes and spaces, or every 7
// characters when it was typed without separators.
func idGroups(s string) []string {
	fields := strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), func(r rune) bool { return r == '-' || unicode.IsSpace(r) })
	if len(fields) != 1 {
		return fields
	}
	var out []string
	for r := []rune(fields[0]); len(r) > 0; {
		n := min(7, len(r))
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return out
}
